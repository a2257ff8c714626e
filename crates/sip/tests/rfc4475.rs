//! RFC 4475 torture messages through the indexer: every valid message (§3.1.1) is indexed and
//! forwarded through a typical proxy splice with only the proxy's edits; every message the
//! proxy must refuse is refused with its reason and answered 400 when the bytes allow it; the
//! semantically odd ones (§3.1.2 liberal cases, §3.2–§3.4) are indexed and the table says
//! whether the proxy forwards them or answers them itself.
//!
//! Fixtures: `tests/fixtures/rfc4475/{valid,invalid}/<name>.sip`, the RFC's messages with its
//! `<allOneLine>`, `<hex>` and `<repeat>` notation expanded and CRLF line endings.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use std::path::PathBuf;

use bytes::Bytes;
use dialogd_sip::framing::{self, Frame};
use dialogd_sip::values::{NameAddr, Uri, Via};
use dialogd_sip::{
    HeaderName, Method, ParseError, SipMessage, Splice, build_bad_request, build_response,
};

const PROXY_VIA: &str = "SIP/2.0/UDP proxy.example.net;branch=z9hG4bKrfc4475";
const PROXY_RR: &str = "<sip:proxy.example.net;lr;did=1a2b>";

fn fixture(dir: &str, name: &str) -> Vec<u8> {
    let path: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "tests",
        "fixtures",
        "rfc4475",
        dir,
        &format!("{name}.sip"),
    ]
    .iter()
    .collect();
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A textual edit the proxy splice is expected to make; the needle must occur exactly once.
enum Edit {
    Replace(&'static str, &'static str),
    Remove(&'static str),
}
use Edit::{Remove, Replace};

/// The one edit most torture messages get: Max-Forwards 70 decremented.
const MAX_FORWARDS_70: Edit = Replace("Max-Forwards: 70\r\n", "Max-Forwards: 69\r\n");

/// What a stateful proxy does with the message.
enum Expect {
    /// Indexed, then forwarded with only the proxy's edits: the listed ones plus, for requests,
    /// its Via and Record-Route on top.
    Forward(&'static [Edit]),
    /// Indexed; the proxy answers with this code itself instead of forwarding.
    Answer(u16),
    /// Indexed response the proxy must not forward.
    Drop,
    /// Refused by the indexer with exactly this error.
    Reject(ParseError, Bad400),
}

/// Forwarded with Max-Forwards 70 decremented and no other edit of the proxy's own.
const FORWARDED_70: Expect = Expect::Forward(&[MAX_FORWARDS_70]);

/// What [`build_bad_request`] makes of a refused message.
#[derive(Debug, PartialEq)]
enum Bad400 {
    /// A 400 that indexes.
    Indexable,
    /// A 400 that copies the peer's broken line (RFC 3261 §8.2.6.2 says copy), so it does not index.
    CopiesBrokenLine,
    /// No 400: a response, or the lines needed are missing; the message is dropped.
    Dropped,
}

struct Case {
    file: &'static str,
    section: &'static str,
    expect: Expect,
    /// One line: why this is what a stateful proxy should do.
    why: &'static str,
}

fn value(header: &'static str, value: &str) -> ParseError {
    ParseError::Value {
        header,
        value: value.to_owned(),
    }
}

#[rustfmt::skip]
fn valid_cases() -> Vec<Case> {
    vec![
        Case { file: "wsinv", section: "3.1.1.1", why: "LWS, folding, compact forms and odd case are all legal",
            expect: Expect::Forward(&[Replace("MaX-fOrWaRdS: 0068\r\n", "MaX-fOrWaRdS: 67\r\n"),
                Remove("Route:\r\n <sip:services.example.com;lr;unknownwith=value;unknown-no-value>\r\n")]) },
        Case { file: "intmeth", section: "3.1.1.2", why: "every token character, extension method, NUL/BEL/DEL in a quoted string",
            expect: Expect::Forward(&[Replace("Max-Forwards: 255\r\n", "Max-Forwards: 254\r\n")]) },
        Case { file: "esc01", section: "3.1.1.3", why: "escapes are forwarded as written",
            expect: Expect::Forward(&[Replace("Max-Forwards: 87\r\n", "Max-Forwards: 86\r\n")]) },
        Case { file: "escnull", section: "3.1.1.4", why: "%00 is only an escape, never a NUL",
            expect: FORWARDED_70 },
        Case { file: "esc02", section: "3.1.1.5", why: "% that is not an escape: method, header name and branch are tokens",
            expect: FORWARDED_70 },
        Case { file: "lwsdisp", section: "3.1.1.6", why: "no LWS between display name and <",
            expect: FORWARDED_70 },
        Case { file: "longreq", section: "3.1.1.7", why: "long values and 34 Vias in every spelling",
            expect: FORWARDED_70 },
        Case { file: "dblreq", section: "3.1.1.8", why: "bytes after Content-Length in a datagram are discarded (RFC 3261 §18.3)",
            expect: Expect::Forward(&[Replace("Max-Forwards: 8\r\n", "Max-Forwards: 7\r\n")]) },
        Case { file: "semiuri", section: "3.1.1.9", why: "; in the user part belongs to the user",
            expect: Expect::Forward(&[Replace("Max-Forwards: 3\r\n", "Max-Forwards: 2\r\n")]) },
        Case { file: "transports", section: "3.1.1.10", why: "unknown transports in lower Vias are not the proxy's business",
            expect: FORWARDED_70 },
        Case { file: "mpart01", section: "3.1.1.11", why: "binary body with NULs is framed by Content-Length only",
            expect: Expect::Forward(&[MAX_FORWARDS_70, Remove("Route: <sip:127.0.0.1:5080>\r\n")]) },
        Case { file: "unreason", section: "3.1.1.12", why: "UTF-8 reason phrase is legal; popping the top Via is the only edit",
            expect: Expect::Forward(&[Remove("Via: SIP/2.0/UDP 192.0.2.198;branch=z9hG4bK1324923\r\n")]) },
        Case { file: "noreason", section: "3.1.1.13", why: "empty reason phrase is legal; popping the top Via is the only edit",
            expect: Expect::Forward(&[Remove("Via: SIP/2.0/UDP 192.0.2.105;branch=z9hG4bK2398ndaoe\r\n")]) },
    ]
}

#[rustfmt::skip]
fn invalid_cases() -> Vec<Case> {
    use Bad400::*;
    vec![
        Case { file: "badinv01", section: "3.1.2.1", why: "empty Via parameters: the proxy cannot trust the top Via to route the response",
            expect: Expect::Reject(value("Via", "SIP/2.0/UDP 192.0.2.15;;"), CopiesBrokenLine) },
        Case { file: "clerr", section: "3.1.2.2", why: "body shorter than Content-Length: a request gets 400 (RFC 3261 §18.3)",
            expect: Expect::Reject(ParseError::ShortBody { declared: 9999, available: 154 }, Indexable) },
        Case { file: "ncl", section: "3.1.2.3", why: "negative Content-Length cannot frame the body",
            expect: Expect::Reject(value("Content-Length", "-999"), Indexable) },
        Case { file: "scalar02", section: "3.1.2.4", why: "CSeq number over 2**32 cannot be tracked",
            expect: Expect::Reject(value("CSeq", "36893488147419103232 REGISTER"), CopiesBrokenLine) },
        Case { file: "scalarlg", section: "3.1.2.5", why: "response with an overlarge CSeq: dropped, responses are never answered",
            expect: Expect::Reject(value("CSeq", "9292394834772304023312 OPTIONS"), Dropped) },
        Case { file: "quotbal", section: "3.1.2.6", why: "unterminated quote: To (and its tag) cannot be read",
            expect: Expect::Reject(value("To", "\"Mr. J. User <sip:j.user@example.com>"), CopiesBrokenLine) },
        Case { file: "ltgtruri", section: "3.1.2.7", why: "<> around the Request-URI is not a Request-Line",
            expect: Expect::Reject(ParseError::StartLine("INVITE <sip:user@example.com> SIP/2.0".into()), Indexable) },
        Case { file: "lwsruri", section: "3.1.2.8", why: "LWS inside the Request-URI is not a Request-Line",
            expect: Expect::Reject(ParseError::StartLine("INVITE sip:user@example.com; lr SIP/2.0".into()), Indexable) },
        Case { file: "lwsstart", section: "3.1.2.9", why: "double SP: the proxy splices the Request-URI by offset, it does not guess",
            expect: Expect::Reject(ParseError::StartLine("INVITE  sip:user@example.com  SIP/2.0".into()), Indexable) },
        Case { file: "trws", section: "3.1.2.10", why: "trailing SP after the version is not a Request-Line",
            expect: Expect::Reject(ParseError::StartLine("OPTIONS sip:remote-target@example.com SIP/2.0  ".into()), Indexable) },
        Case { file: "escruri", section: "3.1.2.11", why: "URI headers in a Request-URI: a forwarding proxy would have to strip them, 400 is allowed and simpler",
            expect: Expect::Reject(ParseError::RequestUri("sip:user@example.com?Route=%3Csip:example.com%3E".into()), Indexable) },
        Case { file: "baddate", section: "3.1.2.12", why: "a proxy does not interpret Date; it forwards it unchanged",
            expect: FORWARDED_70 },
        Case { file: "regbadct", section: "3.1.2.13", why: "Contact is the registrar's to refuse; the URI is unambiguous here",
            expect: FORWARDED_70 },
        Case { file: "badaspec", section: "3.1.2.14", why: "spaces around the To URI are trimmed; tag and URI stay unambiguous (liberal)",
            expect: FORWARDED_70 },
        Case { file: "baddn", section: "3.1.2.15", why: "unquoted display names are never interpreted by a proxy (liberal)",
            expect: Expect::Forward(&[Replace("Max-Forwards:      70\r\n", "Max-Forwards:      69\r\n")]) },
        Case { file: "badvers", section: "3.1.2.16", why: "SIP/7.0: refused (the transport may map this error to 505)",
            expect: Expect::Reject(ParseError::Version("SIP/7.0".into()), CopiesBrokenLine) },
        Case { file: "mismatch01", section: "3.1.2.17", why: "CSeq method differs from the Request-Line: transactions cannot match it",
            expect: Expect::Reject(ParseError::CseqMethod { cseq: "INVITE".into(), method: "OPTIONS".into() }, Indexable) },
        Case { file: "mismatch02", section: "3.1.2.18", why: "same, with an extension method",
            expect: Expect::Reject(ParseError::CseqMethod { cseq: "INVITE".into(), method: "NEWMETHOD".into() }, Indexable) },
        Case { file: "bigcode", section: "3.1.2.19", why: "status code over 699: response dropped",
            expect: Expect::Reject(ParseError::StartLine("SIP/2.0 4294967301 better not break the receiver".into()), Dropped) },
        Case { file: "badbranch", section: "3.2.1", why: "bare magic cookie: no transaction id to match on, answered 400 statelessly",
            expect: Expect::Reject(ParseError::Branch("z9hG4bK".into()), Indexable) },
        Case { file: "insuf", section: "3.3.1", why: "no Call-ID, From or To: not even a 400 can be built, dropped",
            expect: Expect::Reject(ParseError::Missing("Call-ID"), Dropped) },
        Case { file: "unkscm", section: "3.3.2", why: "indexed; no route for an unknown scheme, so 416 unless a rule routes it",
            expect: Expect::Answer(416) },
        Case { file: "novelsc", section: "3.3.3", why: "indexed; soap.beep is not routable by a SIP proxy, 416",
            expect: Expect::Answer(416) },
        Case { file: "unksm2", section: "3.3.4", why: "odd schemes in To/From/Contact are the UAS's business",
            expect: FORWARDED_70 },
        Case { file: "bext01", section: "3.3.5", why: "Proxy-Require with unknown options: 420 (RFC 3261 §16.3 item 4); Require is the UAS's",
            expect: Expect::Answer(420) },
        Case { file: "invut", section: "3.3.6", why: "a proxy never reads the body",
            expect: FORWARDED_70 },
        Case { file: "regaut01", section: "3.3.7", why: "Authorization is the registrar's",
            expect: Expect::Forward(&[Replace("Max-Forwards: 8\r\n", "Max-Forwards: 7\r\n")]) },
        Case { file: "multi01", section: "3.3.8", why: "two Call-IDs (and CSeqs, Tos, Froms): the dialog cannot be identified",
            expect: Expect::Reject(ParseError::Duplicate("Call-ID"), Indexable) },
        Case { file: "mcl01", section: "3.3.9", why: "two Content-Lengths: the body cannot be framed",
            expect: Expect::Reject(ParseError::Duplicate("Content-Length"), Indexable) },
        Case { file: "bcast", section: "3.3.10", why: "top Via is not the proxy's, and the next one is a broadcast address: never sent on",
            expect: Expect::Drop },
        Case { file: "zeromf", section: "3.3.11", why: "Max-Forwards 0: 483 (RFC 3261 §16.3 item 2)",
            expect: Expect::Answer(483) },
        Case { file: "cparam01", section: "3.3.12", why: "Contact parameters are the registrar's",
            expect: FORWARDED_70 },
        Case { file: "cparam02", section: "3.3.13", why: "URI parameters in Contact are the registrar's",
            expect: FORWARDED_70 },
        Case { file: "regescrt", section: "3.3.14", why: "escaped headers inside a Contact name-addr are legal",
            expect: FORWARDED_70 },
        Case { file: "sdp01", section: "3.3.15", why: "Accept is the UAS's (406), not the proxy's",
            expect: Expect::Forward(&[Replace("Max-Forwards: 5\r\n", "Max-Forwards: 4\r\n")]) },
        Case { file: "inv2543", section: "3.4.1", why: "RFC 2543 syntax (no branch, no tag, no Max-Forwards, no Content-Length on UDP) is still forwarded",
            expect: Expect::Forward(&[]) },
    ]
}

/// The splice a proxy makes: Via and Record-Route on top, Max-Forwards decremented, the first
/// Route element popped; for a response, the top Via removed.
fn proxy_forward(msg: &SipMessage) -> Bytes {
    if !msg.is_request() {
        let vias = msg.list(&HeaderName::Via);
        return Splice::new(msg).remove_element(&vias[0]).build();
    }
    let mut splice = Splice::new(msg).prepend_header(&HeaderName::Via, PROXY_VIA);
    if let Some(mf) = msg.max_forwards() {
        let index = msg
            .headers()
            .iter()
            .position(|h| h.name == HeaderName::MaxForwards)
            .unwrap();
        splice = splice.replace_value(index, &(mf - 1).to_string());
    }
    if let Some(route) = msg.list(&HeaderName::Route).first() {
        splice = splice.remove_element(route);
    }
    splice
        .prepend_header(&HeaderName::RecordRoute, PROXY_RR)
        .build()
}

/// The forwarded bytes computed by hand: the table's textual edits, then the proxy's lines
/// after the start line of a request.
fn expected_forward(wire: &[u8], is_request: bool, edits: &[Edit]) -> Vec<u8> {
    let mut out = wire.to_vec();
    for edit in edits {
        let (needle, with) = match edit {
            Replace(a, b) => (*a, *b),
            Remove(a) => (*a, ""),
        };
        let hits: Vec<usize> = out
            .windows(needle.len())
            .enumerate()
            .filter(|(_, w)| *w == needle.as_bytes())
            .map(|(i, _)| i)
            .collect();
        assert_eq!(hits.len(), 1, "edit needle {needle:?} must occur once");
        out.splice(hits[0]..hits[0] + needle.len(), with.bytes());
    }
    if is_request {
        let first_line_end = out.windows(2).position(|w| w == b"\r\n").unwrap() + 2;
        let ours = format!("Via: {PROXY_VIA}\r\nRecord-Route: {PROXY_RR}\r\n");
        out.splice(first_line_end..first_line_end, ours.bytes());
    }
    out
}

fn check_forward(dir: &str, case: &Case, edits: &[Edit]) {
    let raw = fixture(dir, case.file);
    let msg = SipMessage::parse(Bytes::from(raw.clone()))
        .unwrap_or_else(|e| panic!("{} (§{}) must index: {e}", case.file, case.section));
    let wire = msg.wire_bytes();
    assert_eq!(
        &raw[..wire.len()],
        &wire[..],
        "{}: wire bytes are the message as received",
        case.file
    );
    let forwarded = proxy_forward(&msg);
    let want = expected_forward(&wire, msg.is_request(), edits);
    assert_eq!(
        String::from_utf8_lossy(&forwarded),
        String::from_utf8_lossy(&want),
        "{} (§{}): forwarded bytes differ from the original plus the proxy's edits",
        case.file,
        case.section
    );
    assert_eq!(&forwarded[..], &want[..], "{}: byte-exact", case.file);

    if !msg.is_request() && msg.list(&HeaderName::Via).len() == 1 {
        // The only Via was the proxy's own: the response ends at the proxy (it was the
        // client), there is nowhere to forward it, and without a Via it does not index.
        assert_eq!(
            SipMessage::parse(forwarded).err(),
            Some(ParseError::Missing("Via")),
            "{}",
            case.file
        );
        return;
    }
    let again = SipMessage::parse(forwarded)
        .unwrap_or_else(|e| panic!("{}: forwarded bytes must re-index: {e}", case.file));
    assert_eq!(again.call_id(), msg.call_id(), "{}", case.file);
    assert_eq!(again.cseq(), msg.cseq(), "{}", case.file);
    assert_eq!(again.body(), msg.body(), "{}", case.file);
    assert_eq!(again.from_tag(), msg.from_tag(), "{}", case.file);
    if msg.is_request() {
        assert_eq!(
            again.top_via().branch(),
            Some("z9hG4bKrfc4475"),
            "{}",
            case.file
        );
        assert_eq!(
            again.max_forwards(),
            msg.max_forwards().map(|m| m - 1),
            "{}",
            case.file
        );
        assert_eq!(
            again.list(&HeaderName::RecordRoute)[0].range.len(),
            PROXY_RR.len(),
            "{}",
            case.file
        );
        let routes = msg.list(&HeaderName::Route).len();
        assert_eq!(
            again.list(&HeaderName::Route).len(),
            routes.saturating_sub(1),
            "{}",
            case.file
        );
    } else {
        assert_eq!(
            again.list(&HeaderName::Via).len(),
            msg.list(&HeaderName::Via).len() - 1,
            "{}",
            case.file
        );
    }
}

#[test]
fn valid_messages_are_indexed_and_forwarded_with_only_the_proxy_edits() {
    for case in valid_cases() {
        match &case.expect {
            Expect::Forward(edits) => check_forward("valid", &case, edits),
            _ => panic!("{}: every RFC 4475 §3.1.1 message is forwarded", case.file),
        }
    }
}

#[test]
fn refused_messages_are_refused_with_their_reason_and_answered_400_when_possible() {
    let mut refused = 0;
    for case in invalid_cases() {
        let Expect::Reject(want, bad400) = &case.expect else {
            continue;
        };
        refused += 1;
        let raw = fixture("invalid", case.file);
        let got = SipMessage::parse(Bytes::from(raw.clone())).err();
        assert_eq!(
            got.as_ref(),
            Some(want),
            "{} (§{}): {}",
            case.file,
            case.section,
            case.why
        );

        let reason = want.to_string();
        let resp = build_bad_request(&raw, &reason);
        match (bad400, resp) {
            (Bad400::Dropped, None) => {}
            (Bad400::Dropped, Some(r)) => panic!(
                "{}: no 400 expected, got {:?}",
                case.file,
                String::from_utf8_lossy(&r)
            ),
            (_, None) => panic!("{}: a 400 was expected", case.file),
            (kind, Some(resp)) => {
                let text = String::from_utf8_lossy(&resp).into_owned();
                let phrase: String = reason
                    .chars()
                    .map(|c| if (' '..='~').contains(&c) { c } else { '?' })
                    .take(100)
                    .collect();
                assert!(
                    text.starts_with(&format!("SIP/2.0 400 {}\r\n", phrase.trim())),
                    "{}: {text}",
                    case.file
                );
                let indexed = SipMessage::parse(resp.clone());
                assert_eq!(
                    *kind == Bad400::Indexable,
                    indexed.is_ok(),
                    "{}: {text} {:?}",
                    case.file,
                    indexed.err()
                );
                if let Ok(r) = indexed {
                    assert_eq!(r.status(), Some(400));
                    assert!(r.to_tag().is_some(), "{}: the 400 has a To tag", case.file);
                    assert!(
                        raw.windows(r.call_id().len())
                            .any(|w| w == r.call_id().as_bytes()),
                        "{}",
                        case.file
                    );
                }
            }
        }
    }
    assert_eq!(refused, 19);
}

#[test]
fn semantically_odd_messages_are_indexed_for_the_proxy_to_forward_or_answer() {
    for case in invalid_cases() {
        match &case.expect {
            Expect::Reject(..) => {}
            Expect::Forward(edits) => check_forward("invalid", &case, edits),
            Expect::Answer(code) => {
                let msg = SipMessage::parse(Bytes::from(fixture("invalid", case.file)))
                    .unwrap_or_else(|e| {
                        panic!("{} (§{}) must index: {e}", case.file, case.section)
                    });
                let trigger = match code {
                    416 => msg
                        .request_uri()
                        .and_then(Uri::parse)
                        .is_some_and(|u| !u.is_sip() && u.scheme != "tel"),
                    420 => msg.header(&HeaderName::ProxyRequire).is_some(),
                    483 => msg.max_forwards() == Some(0),
                    _ => false,
                };
                assert!(
                    trigger,
                    "{}: the condition for {code} is visible in the index",
                    case.file
                );
                let resp =
                    SipMessage::parse(build_response(&msg, *code, "Refused", Some("t1"), &[]))
                        .unwrap();
                assert_eq!(
                    (resp.status(), resp.to_tag().as_deref()),
                    (Some(*code), Some("t1")),
                    "{}",
                    case.file
                );
                assert_eq!(resp.call_id(), msg.call_id());
            }
            Expect::Drop => {
                let msg = SipMessage::parse(Bytes::from(fixture("invalid", case.file))).unwrap();
                let vias = msg.list(&HeaderName::Via);
                let next = Via::parse(&msg.element(&vias[1])).unwrap();
                assert_eq!(next.host, "255.255.255.255", "{}", case.file);
            }
        }
    }
}

#[test]
fn every_fixture_is_in_the_table() {
    for (dir, cases) in [("valid", valid_cases()), ("invalid", invalid_cases())] {
        let path: PathBuf = [
            env!("CARGO_MANIFEST_DIR"),
            "tests",
            "fixtures",
            "rfc4475",
            dir,
        ]
        .iter()
        .collect();
        let mut files: Vec<String> = std::fs::read_dir(&path)
            .unwrap()
            .map(|e| {
                e.unwrap()
                    .file_name()
                    .to_string_lossy()
                    .trim_end_matches(".sip")
                    .to_owned()
            })
            .collect();
        files.sort();
        let mut listed: Vec<String> = cases.iter().map(|c| c.file.to_owned()).collect();
        listed.sort();
        assert_eq!(files, listed, "{dir}");
        assert!(
            cases
                .iter()
                .all(|c| !c.why.is_empty() && c.section.starts_with('3'))
        );
    }
}

/// The values the proxy reads, typed as the RFC means them.
#[test]
fn valid_messages_type_their_values() {
    let parse = |name: &str| SipMessage::parse(Bytes::from(fixture("valid", name))).unwrap();

    let m = parse("wsinv");
    assert_eq!(
        m.request_uri(),
        Some("sip:vivekg@chair-dnrc.example.com;unknownparam")
    );
    assert_eq!(m.to_tag().as_deref(), Some("1918181833n"));
    assert_eq!(m.from_tag().as_deref(), Some("98asjd8"));
    assert_eq!(m.from().display.as_deref(), Some("J Rosenberg \\\""));
    assert_eq!((m.cseq().number, &m.cseq().method), (9, &Method::Invite));
    assert_eq!(m.max_forwards(), Some(68));
    let vias: Vec<Via> = m
        .list(&HeaderName::Via)
        .iter()
        .map(|e| Via::parse(&m.element(e)).unwrap())
        .collect();
    let vias: Vec<(&str, &str, Option<&str>)> = vias
        .iter()
        .map(|v| (v.transport.as_str(), v.host.as_str(), v.branch()))
        .collect();
    assert_eq!(
        vias,
        [
            ("UDP", "192.0.2.2", Some("390skdjuw")),
            ("TCP", "spindle.example.com", Some("z9hG4bK9ikj8")),
            ("UDP", "192.168.255.111", Some("z9hG4bK30239"))
        ]
    );
    let route = NameAddr::parse(&m.element(&m.list(&HeaderName::Route)[0]))
        .unwrap()
        .uri()
        .unwrap();
    assert_eq!(
        (
            route.host.as_str(),
            route.has_param("lr"),
            route.param("unknownwith")
        ),
        ("services.example.com", true, Some("value"))
    );
    assert_eq!(m.header(&HeaderName::Subject).as_deref(), Some(""));
    assert_eq!(
        m.header(&HeaderName::parse("newfangledheader")).as_deref(),
        Some("newfangled value continued newfangled value")
    );
    let contact = NameAddr::parse(&m.header(&HeaderName::Contact).unwrap()).unwrap();
    assert_eq!(
        (
            contact.param("newparam"),
            contact.param("q"),
            contact.param("secondparam")
        ),
        (Some("newvalue"), Some("0.33"), Some(""))
    );
    assert_eq!(m.body().len(), 150);

    let m = parse("intmeth");
    let method = "!interesting-Method0123456789_*+`.%indeed'~";
    assert_eq!(m.method(), Some(&Method::Extension(method.into())));
    assert_eq!(m.cseq().method.as_str(), method);
    let ruri = Uri::parse(m.request_uri().unwrap()).unwrap();
    assert_eq!(
        (ruri.user.as_deref(), ruri.host.as_str()),
        (
            Some("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*"),
            "example.com"
        )
    );
    assert_eq!(
        m.to().display.as_deref(),
        Some("BEL:\u{7} NUL:\u{0} DEL:\u{7f}")
    );
    assert_eq!(
        m.from().param("fromParam''~+*_!.-%"),
        Some("\"работающий\"")
    );
    assert_eq!(m.from_tag().as_deref(), Some("_token~1'+`*%!-."));
    assert_eq!(m.call_id(), "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{");
    assert_eq!(m.top_via().branch(), Some("z9hG4bK-.!%66*_+`'~"));
    let ext = m
        .headers()
        .iter()
        .find(|h| h.name.as_str() == "extensionHeader-!.%*+_`'~")
        .unwrap();
    assert_eq!(m.raw_value(ext), "\u{feff}大停電".as_bytes());

    let m = parse("esc01");
    let ruri = Uri::parse(m.request_uri().unwrap()).unwrap();
    assert_eq!(
        (ruri.user.as_deref(), ruri.host.as_str()),
        (Some("sips%3Auser%40example.com"), "example.net")
    );
    assert_eq!(m.to().uri().unwrap().user.as_deref(), Some("%75se%72"));
    let contact = NameAddr::parse(&m.header(&HeaderName::Contact).unwrap())
        .unwrap()
        .uri()
        .unwrap();
    assert_eq!(
        (contact.has_param("%6C%72"), contact.param("n%61me")),
        (true, Some("v%61lue%25%34%31"))
    );

    let m = parse("escnull");
    assert_eq!(m.to().uri().unwrap().user.as_deref(), Some("null-%00-null"));
    assert_eq!(m.list(&HeaderName::Contact).len(), 2);

    let m = parse("esc02");
    assert_eq!(m.method(), Some(&Method::Extension("RE%47IST%45R".into())));
    assert_eq!(
        m.list(&HeaderName::Contact).len(),
        2,
        "C%6Fntact is another header"
    );
    assert_eq!(m.top_via().branch(), Some("z9hG4bK209%fzsnel234"));
    assert_eq!(m.to().display.as_deref(), Some("%Z%45"));

    let m = parse("lwsdisp");
    assert_eq!(
        (m.from().display.as_deref(), m.from_tag().as_deref()),
        (Some("caller"), Some("323"))
    );

    let m = parse("longreq");
    assert_eq!(m.list(&HeaderName::Via).len(), 34);
    assert_eq!(
        (m.top_via().host.as_str(), m.top_via().branch()),
        ("sip33.example.com", None)
    );
    assert_eq!(m.to().uri().unwrap().port, Some(6000));
    assert_eq!(m.from_tag().map(|t| t.len()), Some(2 + 150 + 3));
    assert!(m.to().display.unwrap().contains(&"extreme".repeat(10)));

    let m = parse("dblreq");
    assert_eq!(
        (m.method(), m.call_id()),
        (
            Some(&Method::Register),
            "dblreq.0ha0isndaksdj99sdfafnl3lk233412"
        )
    );
    assert!(m.body().is_empty());
    assert!(
        fixture("valid", "dblreq")[m.wire_bytes().len()..]
            .starts_with(b"\r\nINVITE sip:joe@example.com SIP/2.0\r\n")
    );

    let m = parse("semiuri");
    let ruri = Uri::parse(m.request_uri().unwrap()).unwrap();
    assert_eq!(
        (ruri.user.as_deref(), ruri.host.as_str()),
        (Some("user;par=u%40example.net"), "example.com")
    );
    assert_eq!(
        m.header(&HeaderName::parse("Accept")).as_deref(),
        Some(
            "application/sdp, application/pkcs7-mime, multipart/mixed, multipart/signed, message/sip, message/sipfrag"
        )
    );

    let m = parse("transports");
    let transports: Vec<String> = m
        .list(&HeaderName::Via)
        .iter()
        .map(|e| Via::parse(&m.element(e)).unwrap().transport)
        .collect();
    assert_eq!(transports, ["UDP", "SCTP", "TLS", "UNKNOWN", "TCP"]);
    assert_eq!(m.call_id(), "transports.kijh4akdnaqjkwendsasfdj");

    let m = parse("mpart01");
    assert_eq!(m.body().len(), 553);
    assert!(m.body().contains(&0));
    let route = NameAddr::parse(&m.header(&HeaderName::Route).unwrap())
        .unwrap()
        .uri()
        .unwrap();
    assert_eq!(
        (route.host.as_str(), route.port, route.user),
        ("127.0.0.1", Some(5080), None)
    );
    assert_eq!(m.top_via().port, Some(5070));

    let m = parse("unreason");
    assert_eq!(
        (m.status(), m.reason()),
        (
            Some(200),
            Some("= 2**3 * 5**2 но сто девяносто девять - простое")
        )
    );
    let m = parse("noreason");
    assert_eq!((m.status(), m.reason()), (Some(100), Some("")));
}

#[test]
fn tcp_framing_splits_the_concatenated_valid_messages() {
    let mut stream = b"\r\n\r\n".to_vec();
    let mut lens = Vec::new();
    for case in valid_cases() {
        let wire = SipMessage::parse(Bytes::from(fixture("valid", case.file)))
            .unwrap()
            .wire_bytes();
        stream.extend_from_slice(&wire);
        lens.push(wire.len());
    }
    let mut at = 0;
    for (i, len) in lens.iter().enumerate() {
        let skip = if i == 0 { 4 } else { 0 };
        assert_eq!(
            framing::frame(&stream[at..]),
            Ok(Frame::Message { skip, len: *len }),
            "message {i}"
        );
        at += skip + len;
        assert!(SipMessage::parse(Bytes::copy_from_slice(&stream[at - len..at])).is_ok());
    }
    assert_eq!(at, stream.len());
    assert_eq!(framing::frame(&stream[at..]), Ok(Frame::Incomplete));
}
