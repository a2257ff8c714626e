//! Hold and unhold of SDP bodies: session-level and per-media attributes, several media
//! sections, none at all, CRLF and LF bodies, the session version, and refusals. Bodies are
//! written as lists of lines joined with the line ending under test.

use super::*;
use crate::error::ParseError;
use Direction::*;

const HEAD: [&str; 5] = [
    "v=0",
    "o=alice 2890844526 2890844526 IN IP4 host.atlanta.example.com",
    "s=-",
    "c=IN IP4 host.atlanta.example.com",
    "t=0 0",
];
const AUDIO: [&str; 2] = ["m=audio 49170 RTP/AVP 0 8 97", "a=rtpmap:0 PCMU/8000"];
const VIDEO: [&str; 2] = ["m=video 51372 RTP/AVP 31 32", "a=rtpmap:31 H261/90000"];

/// `lines` joined with `eol`, each line terminated.
fn sdp(lines: &[&str], eol: &str) -> Vec<u8> {
    lines
        .iter()
        .flat_map(|l| [*l, eol])
        .collect::<String>()
        .into_bytes()
}

/// HEAD with the session version replaced.
fn head(version: u64) -> Vec<String> {
    let mut h: Vec<String> = HEAD.iter().map(|s| (*s).to_owned()).collect();
    h[1] = format!("o=alice 2890844526 {version} IN IP4 host.atlanta.example.com");
    h
}

/// HEAD (version `version`) + session lines + sections, joined with CRLF.
fn body(version: u64, session: &[&str], sections: &[&[&str]]) -> Vec<u8> {
    let h = head(version);
    let mut lines: Vec<&str> = h.iter().map(String::as_str).collect();
    lines.extend_from_slice(session);
    for s in sections {
        lines.extend_from_slice(s);
    }
    sdp(&lines, "\r\n")
}

fn cat<'a>(a: &[&'a str], b: &[&'a str]) -> Vec<&'a str> {
    a.iter().chain(b).copied().collect()
}

const V: u64 = 2890844526;

#[test]
fn directions_come_from_the_media_then_the_session_then_sendrecv() {
    let audio_sendonly = cat(&AUDIO, &["a=sendonly"]);
    let video_inactive = cat(&VIDEO, &["a=inactive"]);
    // (session lines, sections, effective directions)
    type Row<'a> = (Vec<&'a str>, Vec<&'a [&'a str]>, Vec<Direction>);
    let table: Vec<Row> = vec![
        (vec![], vec![&AUDIO], vec![SendRecv]),
        (
            vec!["a=recvonly"],
            vec![&AUDIO, &VIDEO],
            vec![RecvOnly, RecvOnly],
        ),
        (
            vec!["a=recvonly"],
            vec![&audio_sendonly, &VIDEO],
            vec![SendOnly, RecvOnly],
        ),
        (
            vec![],
            vec![&audio_sendonly, &video_inactive],
            vec![SendOnly, Inactive],
        ),
        (
            vec!["a=tool:x", "a=sendrecv"],
            vec![&video_inactive],
            vec![Inactive],
        ),
    ];
    for (session, sections, want) in table {
        let b = body(V, &session, &sections);
        assert_eq!(directions(&b).unwrap(), want, "{session:?} {sections:?}");
    }
}

#[test]
fn holding_a_call_without_direction_attributes_adds_one_per_media() {
    let before = body(V, &[], &[&AUDIO, &VIDEO]);
    let held = hold(&before, HoldMode::SendOnly).unwrap();
    let audio = cat(&AUDIO, &["a=sendonly"]);
    let video = cat(&VIDEO, &["a=sendonly"]);
    assert_eq!(held.body, body(V + 1, &[], &[&audio, &video]));
    assert_eq!(held.original, vec![SendRecv, SendRecv]);

    let back = unhold(&held.body, &held.original).unwrap();
    let audio = cat(&AUDIO, &["a=sendrecv"]);
    let video = cat(&VIDEO, &["a=sendrecv"]);
    assert_eq!(back, body(V + 2, &[], &[&audio, &video]));
    assert_eq!(directions(&back).unwrap(), held.original);
}

#[test]
fn per_media_attributes_are_rewritten_in_place_by_the_rfc_3264_rule() {
    let audio = cat(&AUDIO, &["a=sendrecv", "a=ptime:20"]);
    let video = cat(&VIDEO, &["a=recvonly"]);
    let before = body(V, &[], &[&audio, &video]);
    // (mode, audio after, video after)
    let table = [
        (HoldMode::SendOnly, "a=sendonly", "a=inactive"),
        (HoldMode::Inactive, "a=inactive", "a=inactive"),
    ];
    for (mode, a, v) in table {
        let held = hold(&before, mode).unwrap();
        let audio_held = cat(&AUDIO, &[a, "a=ptime:20"]);
        let video_held = cat(&VIDEO, &[v]);
        assert_eq!(
            held.body,
            body(V + 1, &[], &[&audio_held, &video_held]),
            "{mode:?}"
        );
        assert_eq!(held.original, vec![SendRecv, RecvOnly]);
        // Unhold gives back the body byte for byte, but for the version.
        assert_eq!(
            unhold(&held.body, &held.original).unwrap(),
            body(V + 2, &[], &[&audio, &video])
        );
    }
}

#[test]
fn a_session_level_attribute_stays_and_media_override_it() {
    let before = body(V, &["a=sendrecv"], &[&AUDIO]);
    let held = hold(&before, HoldMode::Inactive).unwrap();
    let audio = cat(&AUDIO, &["a=inactive"]);
    assert_eq!(held.body, body(V + 1, &["a=sendrecv"], &[&audio]));
    // Back to the session's direction: the added line now says it explicitly.
    let back = unhold(&held.body, &held.original).unwrap();
    let audio = cat(&AUDIO, &["a=sendrecv"]);
    assert_eq!(back, body(V + 2, &["a=sendrecv"], &[&audio]));

    // Session sendonly: sendonly hold changes no direction, only the version.
    let before = body(V, &["a=sendonly"], &[&AUDIO]);
    let held = hold(&before, HoldMode::SendOnly).unwrap();
    assert_eq!(held.body, body(V + 1, &["a=sendonly"], &[&AUDIO]));
    assert_eq!(held.original, vec![SendOnly]);
}

#[test]
fn several_media_sections_each_keep_their_own_and_disabled_ones_are_left_alone() {
    let audio = cat(&AUDIO, &["a=recvonly"]);
    let disabled = ["m=audio 0 RTP/AVP 0", "a=sendrecv"];
    let before = body(V, &[], &[&audio, &disabled, &VIDEO]);
    let held = hold(&before, HoldMode::SendOnly).unwrap();
    let audio_held = cat(&AUDIO, &["a=inactive"]);
    let video_held = cat(&VIDEO, &["a=sendonly"]);
    assert_eq!(
        held.body,
        body(V + 1, &[], &[&audio_held, &disabled, &video_held])
    );
    assert_eq!(held.original, vec![RecvOnly, SendRecv, SendRecv]);
    assert_eq!(
        directions(&held.body).unwrap(),
        vec![Inactive, SendRecv, SendOnly]
    );
}

#[test]
fn lf_bodies_get_lf_lines_and_a_missing_last_line_ending_stays_missing() {
    let lines = cat(&HEAD, &AUDIO);
    let lf = sdp(&lines, "\n");
    let held = hold(&lf, HoldMode::SendOnly).unwrap();
    let want = cat(&head_v1(), &cat(&AUDIO, &["a=sendonly"]));
    assert_eq!(held.body, sdp(&want, "\n"));

    let mut open_end = sdp(&lines, "\r\n");
    open_end.truncate(open_end.len() - 2);
    let held = hold(&open_end, HoldMode::SendOnly).unwrap();
    let mut want = sdp(&cat(&head_v1(), &AUDIO), "\r\n");
    want.extend_from_slice(b"a=sendonly");
    assert_eq!(held.body, want);
    assert_eq!(directions(&held.body).unwrap(), vec![SendOnly]);
}

fn head_v1() -> Vec<&'static str> {
    let mut h = HEAD.to_vec();
    h[1] = "o=alice 2890844526 2890844527 IN IP4 host.atlanta.example.com";
    h
}

#[test]
fn trailing_empty_lines_and_spaces_after_the_attribute_are_kept() {
    let before = b"v=0\r\no=- 1 1 IN IP4 h\r\nm=audio 9 RTP/AVP 0\r\na=sendrecv \r\n\r\n";
    let held = hold(before, HoldMode::SendOnly).unwrap();
    assert_eq!(
        held.body,
        b"v=0\r\no=- 1 2 IN IP4 h\r\nm=audio 9 RTP/AVP 0\r\na=sendonly \r\n\r\n"
    );
    let bare = b"v=0\r\no=- 1 1 IN IP4 h\r\nm=audio 9 RTP/AVP 0\r\n\r\n";
    let held = hold(bare, HoldMode::Inactive).unwrap();
    assert_eq!(
        held.body,
        b"v=0\r\no=- 1 2 IN IP4 h\r\nm=audio 9 RTP/AVP 0\r\na=inactive\r\n\r\n"
    );
}

#[test]
fn set_directions_touches_no_version() {
    let before = body(V, &[], &[&AUDIO, &VIDEO]);
    let set = set_directions(&before, &[SendRecv, Inactive]).unwrap();
    assert_eq!(set, body(V, &[], &[&AUDIO, &cat(&VIDEO, &["a=inactive"])]));
}

#[test]
fn malformed_bodies_are_errors() {
    let no_media = sdp(&HEAD, "\r\n");
    let no_origin = sdp(&cat(&["v=0", "s=-"], &AUDIO), "\r\n");
    let garbage_line = sdp(
        &cat(&HEAD, &["m=audio 1 RTP/AVP 0", "what is this"]),
        "\r\n",
    );
    let two = body(V, &[], &[&AUDIO, &VIDEO]);
    // (body, result of hold with the same error for directions where it applies)
    let table: Vec<(&[u8], ParseError)> = vec![
        (b"", ParseError::SdpStart(String::new())),
        (
            b"\x00\x01\x02garbage",
            ParseError::SdpStart("\u{0}\u{1}\u{2}garbage".into()),
        ),
        (
            b"SIP/2.0 200 OK\r\n",
            ParseError::SdpStart("SIP/2.0 200 OK".into()),
        ),
        (&no_media, ParseError::SdpNoMedia),
        (&garbage_line, ParseError::SdpLine("what is this".into())),
    ];
    for (b, want) in table {
        assert_eq!(
            hold(b, HoldMode::SendOnly).err(),
            Some(want.clone()),
            "{b:?}"
        );
        assert_eq!(directions(b).err(), Some(want.clone()), "{b:?}");
        assert_eq!(unhold(b, &[SendRecv]).err(), Some(want), "{b:?}");
    }
    assert_eq!(directions(&no_origin).unwrap(), vec![SendRecv]);
    assert_eq!(
        hold(&no_origin, HoldMode::SendOnly).err(),
        Some(ParseError::SdpOrigin(String::new()))
    );
    let count = ParseError::SdpMediaCount {
        expected: 1,
        found: 2,
    };
    assert_eq!(unhold(&two, &[SendRecv]).err(), Some(count.clone()));
    assert_eq!(set_directions(&two, &[SendRecv]).err(), Some(count));
}

#[test]
fn direction_names_round_trip() {
    for d in [SendRecv, SendOnly, RecvOnly, Inactive] {
        assert_eq!(Direction::parse(d.as_str()), Some(d));
        assert_eq!(d.to_string(), d.as_str());
    }
    assert_eq!(Direction::parse("SENDONLY"), None);
    assert_eq!(Direction::parse("sendonly:x"), None);
}

proptest::proptest! {
    /// Whatever the bytes, the functions answer; none panics.
    #[test]
    fn any_bytes_give_an_answer(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
        let _ = directions(&bytes);
        let _ = hold(&bytes, HoldMode::SendOnly);
        let _ = unhold(&bytes, &[SendRecv]);
        let _ = crate::sdp::bump_session_version(&bytes);
    }

    /// SDP-like text: every function answers, and what hold accepts, unhold takes back.
    #[test]
    fn sdp_like_text_gives_an_answer(
        text in "(v=0\r?\n)?((m=audio [0-9 ]{0,5}|a=(sendrecv|sendonly|recvonly|inactive|x)|o=[0-9a-z ]{0,14}|[a-z]=[ -~]{0,6}| ?)\r?\n?){0,8}",
    ) {
        let bytes = text.as_bytes();
        let _ = directions(bytes);
        let _ = crate::sdp::bump_session_version(bytes);
        if let Ok(held) = hold(bytes, HoldMode::Inactive) {
            let back = unhold(&held.body, &held.original);
            proptest::prop_assert!(back.is_ok(), "{:?}", back);
        }
    }

    /// Hold then unhold restores every effective direction and raises the version by two;
    /// held bodies hold every enabled stream.
    #[test]
    fn hold_then_unhold_restores_the_directions(
        session in proptest::option::of(0usize..4),
        media in proptest::collection::vec(proptest::option::of(0usize..4), 1..5),
        version in proptest::num::u64::ANY,
        lf in proptest::bool::ANY,
    ) {
        let names = ["sendrecv", "sendonly", "recvonly", "inactive"];
        let eol = if lf { "\n" } else { "\r\n" };
        let mut text = format!("v=0{eol}o=- 1 {version} IN IP4 h{eol}s=-{eol}t=0 0{eol}");
        if let Some(s) = session {
            text.push_str(&format!("a={}{eol}", names[s]));
        }
        for m in &media {
            text.push_str(&format!("m=audio 4000 RTP/AVP 0{eol}a=rtpmap:0 PCMU/8000{eol}"));
            if let Some(d) = m {
                text.push_str(&format!("a={}{eol}", names[*d]));
            }
        }
        let before = directions(text.as_bytes()).unwrap();
        let held = hold(text.as_bytes(), HoldMode::SendOnly).unwrap();
        proptest::prop_assert_eq!(&held.original, &before);
        for d in directions(&held.body).unwrap() {
            proptest::prop_assert!(matches!(d, SendOnly | Inactive));
        }
        let back = unhold(&held.body, &held.original).unwrap();
        proptest::prop_assert_eq!(directions(&back).unwrap(), before);
        let want = (u128::from(version) + 2).to_string();
        proptest::prop_assert_eq!(crate::sdp::session_version(&back).unwrap(), want.as_str());
        let text = String::from_utf8(back).unwrap();
        let crlf = text.matches("\r\n").count();
        proptest::prop_assert_eq!(crlf, if lf { 0 } else { text.matches('\n').count() });
    }
}
