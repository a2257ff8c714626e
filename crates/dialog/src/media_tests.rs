use super::*;

const CALLER: &str = "v=0\r\no=alice 10 10 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=sendrecv\r\n";
const CALLEE: &str = "v=0\r\no=bob 20 20 IN IP4 192.0.2.2\r\ns=-\r\nc=IN IP4 192.0.2.2\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n";

fn both() -> Media {
    let mut m = Media::default();
    m.note(Leg::Caller, CALLER.as_bytes());
    m.note(Leg::Callee, CALLEE.as_bytes());
    m
}

fn text(b: &[u8]) -> &str {
    std::str::from_utf8(b).unwrap_or("")
}

#[test]
fn each_leg_is_offered_its_peers_sdp_held_with_a_new_version() {
    let mut m = both();
    let bodies = m.hold(HoldMode::SendOnly).unwrap_or_default();
    assert_eq!(bodies.len(), 2);
    let (caller, callee) = (&bodies[0], &bodies[1]);
    assert_eq!(caller.0, Leg::Caller);
    assert!(
        text(&caller.1).contains("o=bob 20 21 IN IP4"),
        "{}",
        text(&caller.1)
    );
    assert!(text(&caller.1).contains("a=sendonly"));
    assert_eq!(callee.0, Leg::Callee);
    assert!(text(&callee.1).contains("o=alice 10 11 IN IP4"));
    assert!(text(&callee.1).contains("a=sendonly") && !text(&callee.1).contains("sendrecv"));
    assert!(m.is_held());
}

#[test]
fn a_second_hold_is_refused_and_unhold_restores_directions() {
    let mut m = both();
    assert!(m.hold(HoldMode::Inactive).is_ok());
    assert_eq!(m.hold(HoldMode::SendOnly), Err(MediaError::AlreadyHeld));
    let bodies = m.unhold().unwrap_or_default();
    assert_eq!(bodies.len(), 2);
    assert!(text(&bodies[0].1).contains("o=bob 20 22 IN IP4"));
    assert!(
        !text(&bodies[0].1).contains("inactive"),
        "{}",
        text(&bodies[0].1)
    );
    assert!(text(&bodies[1].1).contains("a=sendrecv"));
    assert_eq!(m.unhold(), Err(MediaError::NotHeld));
    assert!(!m.is_held());
}

#[test]
fn without_any_sdp_hold_is_refused_and_one_known_sdp_holds_one_leg() {
    let mut m = Media::default();
    assert!(matches!(
        m.hold(HoldMode::SendOnly),
        Err(MediaError::NoSdp(_))
    ));
    assert!(!m.is_held());
    m.note(Leg::Caller, CALLER.as_bytes());
    let bodies = m.hold(HoldMode::SendOnly).unwrap_or_default();
    assert_eq!(
        bodies.iter().map(|b| b.0).collect::<Vec<_>>(),
        vec![Leg::Callee]
    );
}

#[test]
fn a_refused_leg_is_not_held_and_all_refused_means_not_on_hold() {
    let mut m = both();
    assert!(m.hold(HoldMode::SendOnly).is_ok());
    m.hold_answered(Leg::Caller, false);
    m.hold_answered(Leg::Callee, true);
    assert!(m.is_held());
    let bodies = m.unhold().unwrap_or_default();
    assert_eq!(
        bodies.iter().map(|b| b.0).collect::<Vec<_>>(),
        vec![Leg::Callee]
    );
    assert!(m.hold(HoldMode::SendOnly).is_ok());
    m.hold_answered(Leg::Caller, false);
    m.hold_answered(Leg::Callee, false);
    assert!(!m.is_held());
}

#[test]
fn garbage_and_oversized_bodies_are_not_offered() {
    let mut m = Media::default();
    m.note(Leg::Caller, b"not sdp at all");
    m.note(Leg::Callee, &vec![b'x'; MAX_SDP_LEN + 1]);
    assert!(m.sdp(Leg::Callee).is_none());
    match m.hold(HoldMode::SendOnly) {
        Err(MediaError::NoSdp(why)) => assert!(why.contains("caller's SDP"), "{why}"),
        other => panic!("{other:?}"),
    }
}
