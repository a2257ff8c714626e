//! Tables for [`super::lookup`], [`super::direction`] and [`super::match_request`].

use dialogd_sip::Method;

use super::*;

const DID: DialogId = DialogId(0x0001_0000_0000_0007);
const OTHER: DialogId = DialogId(0x0001_0000_0000_0008);

fn key() -> DialogKey<'static> {
    DialogKey {
        did: DID,
        call_id: "c1@host",
        caller_tag: "a",
    }
}

fn req(call_id: &str, from: Option<&str>, to: Option<&str>) -> RequestFacts {
    RequestFacts {
        method: Method::Bye,
        call_id: call_id.to_owned(),
        from_tag: from.map(str::to_owned),
        to_tag: to.map(str::to_owned),
        cseq: 2,
        contact: None,
        matched_by_did: false,
    }
}

#[test]
fn lookup_follows_the_mode_table() {
    use DidCookie::*;
    use MatchMode::*;
    let reject = Lookup::Reject {
        code: 403,
        reason: "Forbidden",
    };
    let table = [
        (
            DidOnly,
            Valid(DID),
            Lookup::ByDid {
                did: DID,
                fallback: false,
            },
        ),
        (DidOnly, Absent, Lookup::NoDialog),
        (DidOnly, Invalid, reject),
        (
            DidFallback,
            Valid(DID),
            Lookup::ByDid {
                did: DID,
                fallback: true,
            },
        ),
        (DidFallback, Absent, Lookup::ByCallId),
        (DidFallback, Invalid, reject),
        (DidNone, Valid(DID), Lookup::ByCallId),
        (DidNone, Absent, Lookup::ByCallId),
        (DidNone, Invalid, Lookup::ByCallId),
    ];
    for (mode, cookie, want) in table {
        assert_eq!(lookup(mode, cookie), want, "{mode:?} {cookie:?}");
    }
}

#[test]
fn direction_by_tags() {
    let table = [
        (
            req("c1@host", Some("a"), Some("b")),
            Some((Leg::Caller, "b")),
        ),
        (
            req("c1@host", Some("b"), Some("a")),
            Some((Leg::Callee, "b")),
        ),
        (req("c1@host", Some("x"), Some("b")), None),
        (req("C1@host", Some("a"), Some("b")), None), // Call-ID is case-sensitive
        (req("c1@host", None, Some("a")), Some((Leg::Callee, ""))),
    ];
    for (r, want) in table {
        assert_eq!(direction(&key(), &r), want, "{r:?}");
    }
}

#[test]
fn match_request_always_checks_call_id_and_tags() {
    use DidCookie::*;
    use MatchMode::*;
    use MatchOutcome::*;
    let good = req("c1@host", Some("a"), Some("b"));
    let upstream = req("c1@host", Some("b"), Some("a"));
    let wrong_tag = req("c1@host", Some("a"), Some("zz"));
    let wrong_call = req("c2@host", Some("a"), Some("b"));
    let table = [
        (DidOnly, Valid(DID), &good, Matched(Leg::Caller)),
        (DidOnly, Valid(DID), &upstream, Matched(Leg::Callee)),
        (DidOnly, Valid(DID), &wrong_tag, Forged),
        (DidOnly, Valid(DID), &wrong_call, Forged),
        (DidOnly, Valid(OTHER), &good, NotMatched),
        (DidOnly, Absent, &good, NotMatched),
        (DidOnly, Invalid, &good, Forged),
        (DidFallback, Valid(DID), &wrong_tag, Forged),
        (DidFallback, Absent, &good, Matched(Leg::Caller)),
        (DidFallback, Absent, &wrong_tag, NotMatched),
        (DidFallback, Absent, &wrong_call, NotMatched),
        (DidFallback, Invalid, &good, Forged),
        (DidNone, Absent, &upstream, Matched(Leg::Callee)),
        (DidNone, Invalid, &good, Matched(Leg::Caller)),
        (DidNone, Valid(DID), &wrong_tag, NotMatched),
    ];
    for (mode, cookie, r, want) in table {
        let got = match_request(mode, cookie, &key(), |t| t == "b", r);
        assert_eq!(got, want, "{mode:?} {cookie:?} {r:?}");
    }
}
