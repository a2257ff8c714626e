//! A packed dialog unpacks to the same dialog: every field (CSeq orders and marks, branches,
//! route sets, vars, profiles, the deadline) and the same behaviour afterwards, with the
//! media of a held call.

use std::collections::BTreeMap;

use dialogd_sip::Method;
use dialogd_sip::sdp::HoldMode;

use super::*;
use crate::facts::{DialogSettings, RequestFacts};
use crate::profile::ProfileKey;
use crate::record_bytes::RecordBytes;
use crate::state::{EndCause, Leg};
use crate::test_call::*;

const CALLER_SDP: &str = "v=0\r\no=alice 10 10 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=sendrecv\r\n";
const CALLEE_SDP: &str = "v=0\r\no=bob 20 20 IN IP4 192.0.2.2\r\ns=-\r\nc=IN IP4 192.0.2.2\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n";

/// A call with some history: a losing fork branch, requests from both legs, a Contact
/// refresh, requests of the proxy's own towards both legs (CSeq marks), vars and profiles,
/// and both legs' SDP with the call on hold.
fn lived_call() -> (TestCall, Media) {
    let settings = DialogSettings {
        vars: BTreeMap::from([("account".to_owned(), "acme".to_owned())]),
        profiles: vec![ProfileKey::with_value("caller", "alice")],
        flags: 0b101,
        ..settings()
    };
    let mut c = TestCall::confirmed(settings);
    c.step(2, Input::Response(response(200, Some("late-fork"))));
    c.step(3, Input::Request(from_callee("INFO", "b", 7)));
    c.step(4, Input::Request(from_caller("INFO", "b", INVITE_CSEQ + 1)));
    let refresh = RequestFacts {
        contact: Some("sip:bob@203.0.113.7".to_owned()),
        ..from_callee("INVITE", "b", 8)
    };
    c.step(5, Input::Request(refresh));
    for leg in [Leg::Caller, Leg::Callee] {
        assert!(
            c.dialog
                .request_towards(leg, Method::Options, vec![])
                .is_some()
        );
    }
    c.drain();
    let mut media = Media::default();
    media.note(Leg::Caller, CALLER_SDP.as_bytes());
    media.note(Leg::Callee, CALLEE_SDP.as_bytes());
    assert!(media.hold(HoldMode::Inactive).is_ok());
    (c, media)
}

fn round_trip(c: &TestCall, media: &Media) -> (TestCall, Media) {
    let packed = PackedDialog::pack(&c.dialog, media);
    assert!(packed.packed_len().is_some(), "kept unpacked: {packed:?}");
    let (dialog, media) = packed.unpack().unwrap_or_else(|e| panic!("{e}"));
    (TestCall { dialog, t0: c.t0 }, media)
}

#[test]
fn every_field_survives_packing() {
    let (c, media) = lived_call();
    let (back, back_media) = round_trip(&c, &media);
    assert_eq!(format!("{:?}", back.dialog), format!("{:?}", c.dialog));
    assert_eq!(back_media, media);
    assert_eq!(back.deadline_secs(), c.deadline_secs());
    assert_eq!(
        back.deadline_secs(),
        Some(65),
        "refreshed by the re-INVITE at 5"
    );
}

#[test]
fn a_revived_dialog_answers_as_the_parked_one_would_have() {
    let (mut parked, mut media) = lived_call();
    let (mut revived, mut revived_media) = round_trip(&parked, &media);
    let inputs = [
        (10, Input::Request(from_caller("INFO", "b", INVITE_CSEQ))),
        (11, Input::Request(from_callee("INFO", "b", 9))),
        (
            12,
            Input::Request(from_caller("INFO", "other", INVITE_CSEQ + 2)),
        ),
        (
            13,
            Input::Request(from_caller("INFO", "b", INVITE_CSEQ + 2)),
        ),
        (80, Input::Timeout),
    ];
    for (at, input) in inputs {
        assert_eq!(
            revived.step(at, input.clone()),
            parked.step(at, input.clone()),
            "{input:?} at {at}"
        );
    }
    assert_eq!(revived.dialog.end_cause(), Some(EndCause::Timeout));
    // The proxy's own requests keep their numbers: the CSeq a response carries maps back the
    // same way, with no takeover jump.
    for cseq in [1, 8, 9, 10, INVITE_CSEQ + 2, INVITE_CSEQ + 3] {
        for leg in [Leg::Caller, Leg::Callee] {
            assert_eq!(
                revived.dialog.response_cseq(leg, cseq),
                parked.dialog.response_cseq(leg, cseq),
                "{leg:?} {cseq}"
            );
        }
    }
    assert_eq!(revived_media.unhold(), media.unhold());
}

#[test]
fn a_parked_dialogs_view_is_its_running_view() {
    let (c, media) = lived_call();
    let packed = PackedDialog::pack(&c.dialog, &media);
    let now = c.at(30);
    let view = packed.snapshot(now, 3).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(view, c.dialog.snapshot(now, 3));
}

#[test]
fn the_packed_form_is_its_bytes() {
    let (c, media) = lived_call();
    let packed = PackedDialog::pack(&c.dialog, &media);
    let len = packed.packed_len().unwrap_or_default();
    // The strings and SDPs the call holds, plus a few bytes of lengths and numbers each.
    let text = CALL_ID.len() + FROM.len() + CALLER_CONTACT.len() + CALLEE_CONTACT.len();
    assert!(len > text, "{len} bytes");
    assert!(len < 1200, "{len} bytes");
}

const OWNER: u64 = 1;
const UNIX_MS: u64 = 1_700_000_030_000;

/// The cluster's packed copy of `c`'s record, written at second `at`.
fn cluster_copy(c: &TestCall, at: u64) -> RecordBytes {
    let mut record = c.dialog.record(OWNER, c.at(at), UNIX_MS);
    RecordBytes::pack(&mut record).unwrap_or_else(|e| panic!("{e}"))
}

fn pack_sharing(c: &TestCall, media: &Media, copy: RecordBytes) -> PackedDialog {
    PackedDialog::pack_sharing(&c.dialog, media, Some(copy))
}

#[test]
fn a_dialog_whose_record_the_cluster_holds_packs_only_the_rest() {
    // Recorded at the 2xx, before the ACK (state 3), as the owner does.
    let mut c = TestCall::new(settings());
    c.step(0, Input::Response(response(200, Some("b"))));
    let copy = cluster_copy(&c, 0);
    c.step(1, Input::Request(from_caller("ACK", "b", INVITE_CSEQ)));
    c.drain();
    let media = Media::default();
    let packed = pack_sharing(&c, &media, copy);
    assert!(packed.is_shared(), "{packed:?}");
    let (dialog, _) = packed.unpack().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(dialog, c.dialog);
    assert_eq!(dialog.state(), crate::state::DialogState::Confirmed);

    let (c, media) = lived_call();
    // Recorded at 5, after its last change (the re-INVITE's Contact).
    let packed = pack_sharing(&c, &media, cluster_copy(&c, 5));
    assert!(packed.is_shared(), "{packed:?}");
    let alone = PackedDialog::pack(&c.dialog, &media);
    let (shared_len, alone_len) = (packed.packed_len(), alone.packed_len());
    assert!(shared_len < alone_len, "{shared_len:?} vs {alone_len:?}");
    let (dialog, back_media) = packed.unpack().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(dialog, c.dialog);
    assert_eq!(back_media, media);
}

#[test]
fn a_record_that_lags_the_dialog_is_not_shared() {
    let (mut c, media) = lived_call();
    let copy = cluster_copy(&c, 5);
    // Changed since the cluster's copy was written: a var, or the callee's Contact.
    let mut with_var = TestCall {
        dialog: c.dialog.clone(),
        t0: c.t0,
    };
    assert!(with_var.dialog.set_var("tier", "gold").is_ok());
    let refresh = RequestFacts {
        contact: Some("sip:bob@198.51.100.9".to_owned()),
        ..from_callee("UPDATE", "b", 10)
    };
    c.step(20, Input::Request(refresh));
    for changed in [&with_var, &c] {
        let packed = pack_sharing(changed, &media, copy.clone());
        assert!(!packed.is_shared());
        let (dialog, _) = packed.unpack().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(dialog, changed.dialog);
    }
}
