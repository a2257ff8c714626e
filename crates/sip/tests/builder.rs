//! Requests the proxy builds itself (BYE, OPTIONS, re-INVITE, REFER, ACK for 2xx, CANCEL, ACK
//! for a non-2xx) are indexed back with `SipMessage::parse` and compared field by field with
//! what RFC 3261 §12.2.1.1 (in-dialog requests, strict and loose routing), §9.1 (CANCEL) and
//! §17.1.1.3 (ACK for a non-2xx) ask, Content-Length included.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use bytes::Bytes;
use dialogd_sip::builder::{
    InDialogRequest, ViaSpec, ack_2xx, ack_for_non_2xx, build_request, bye, cancel_for, new_branch,
    options, refer, reinvite,
};
use dialogd_sip::transaction::{cancelled_invite_key, server_key};
use dialogd_sip::values::Via;
use dialogd_sip::{HeaderName, Method, SipMessage};

const TARGET: &str = "sip:bob@192.0.2.20:5070;transport=udp";

fn base<'a>(routes: &'a [String], extra: &'a [String]) -> InDialogRequest<'a> {
    InDialogRequest {
        method: Method::Bye,
        request_uri: TARGET,
        route_set: routes,
        from: "\"Alice\" <sip:alice@atlanta.example>;tag=a1",
        to: "<sip:bob@biloxi.example>;tag=b2",
        call_id: "3848276298220188511@atlanta.example",
        cseq: 42,
        via: ViaSpec {
            transport: "UDP",
            sent_by: "198.51.100.1:5060",
            branch: "z9hG4bK00000000000000ff",
        },
        contact: None,
        max_forwards: 70,
        extra_headers: extra,
        body: None,
    }
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

fn routes_of(m: &SipMessage) -> Vec<String> {
    m.list(&HeaderName::Route)
        .iter()
        .map(|e| m.element(e).into_owned())
        .collect()
}

fn parse(bytes: &Bytes) -> SipMessage {
    SipMessage::parse(bytes.clone())
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(bytes)))
}

/// Checks what every built request must satisfy and returns it indexed: it indexes, has one
/// Content-Length equal to its body's length, ends exactly after the body, and has one Via.
fn indexed(name: &str, bytes: &Bytes) -> SipMessage {
    let m = parse(bytes);
    let lengths: Vec<String> = m
        .header_all(&HeaderName::ContentLength)
        .map(|v| v.into_owned())
        .collect();
    assert_eq!(lengths, vec![m.body().len().to_string()], "{name}");
    assert_eq!(&m.wire_bytes(), bytes, "{name}: nothing after the body");
    assert_eq!(m.list(&HeaderName::Via).len(), 1, "{name}");
    assert!(m.is_request(), "{name}");
    m
}

const INVITE: &str = "INVITE sip:bob@biloxi.example SIP/2.0\r\n\
v: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bKproxy1,\r\n SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKuac\r\n\
Via: SIP/2.0/TCP 10.0.0.9;branch=z9hG4bKfirst\r\n\
Max-Forwards: 69\r\n\
Route: <sip:p1.example;lr>\r\n\
f: Alice <sip:alice@atlanta.example>;tag=9fxced76sl\r\n\
Route: <sip:p2.example;lr>, <sip:p3.example;lr>\r\n\
t: Bob <sip:bob@biloxi.example>\r\n\
i: 3848276298220188511@atlanta.example\r\n\
CSeq: 7 INVITE\r\n\
Contact: <sip:alice@10.0.0.1>\r\n\
c: application/sdp\r\n\
l: 5\r\n\r\n\
v=0\r\n";

const BUSY: &str = "SIP/2.0 486 Busy Here\r\n\
Via: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bKproxy1\r\n\
Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKuac\r\n\
Via: SIP/2.0/TCP 10.0.0.9;branch=z9hG4bKfirst\r\n\
From: Alice <sip:alice@atlanta.example>;tag=9fxced76sl\r\n\
To: Bob <sip:bob@biloxi.example>;tag=314159\r\n\
Call-ID: 3848276298220188511@atlanta.example\r\n\
CSeq: 7 INVITE\r\n\
Content-Length: 0\r\n\r\n";

/// One row per builder and input shape: what comes out must index with the right start line,
/// CSeq, Via, Max-Forwards, Contact and body.
#[test]
fn every_builder_output_indexes_with_its_fields() {
    let loose = strings(&["<sip:p1.example;lr>", "<sip:p2.example;lr;did=1f.ab>"]);
    let extra = strings(&["Reason: SIP;cause=200;text=\"timeout\"", "X-Dlg: 1"]);
    // A Content-Length or Content-Type among the extra lines must not break the framing.
    let lying = strings(&[
        "Content-Length: 999",
        "l: 3",
        "Content-Type: text/plain",
        "X-Keep: yes",
    ]);
    let sdp: &[u8] = b"v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=-\r\n";
    let tcp6 = InDialogRequest {
        via: ViaSpec {
            transport: "TCP",
            sent_by: "[2001:db8::1]:5060",
            branch: "z9hG4bK1",
        },
        ..base(&loose, &[])
    };
    let with_contact = InDialogRequest {
        contact: Some("<sip:proxy@198.51.100.1:5060>"),
        max_forwards: 10,
        ..base(&loose, &extra)
    };
    let late_offer = InDialogRequest {
        body: Some(("application/sdp", sdp)),
        ..base(&loose, &[])
    };
    let invite = parse(&Bytes::from_static(INVITE.as_bytes()));
    let busy = parse(&Bytes::from_static(BUSY.as_bytes()));

    let via = "SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bK00000000000000ff";
    let proxy_via = "SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bKproxy1";
    let contact = Some("<sip:proxy@198.51.100.1:5060>");
    // An in-dialog request built from `base`: CSeq 42, our Via, Max-Forwards 70, no Contact,
    // no body.
    let plain = |method: Method| Want {
        method,
        cseq: 42,
        top_via: via,
        max_forwards: 70,
        contact: None,
        content_type: None,
        body: b"",
    };
    let with_sdp = |method: Method| Want {
        content_type: Some("application/sdp"),
        body: sdp,
        ..plain(method)
    };
    // CANCEL and ACK of the INVITE above: its CSeq number and top Via.
    let of_invite = |method: Method| Want {
        cseq: 7,
        top_via: proxy_via,
        ..plain(method)
    };
    let rows: Vec<(&str, Bytes, Want)> = vec![
        ("bye, no routes", bye(&base(&[], &[])), plain(Method::Bye)),
        (
            "bye, loose routes, extra",
            bye(&base(&loose, &extra)),
            plain(Method::Bye),
        ),
        (
            "bye over tcp, IPv6 sent-by",
            bye(&tcp6),
            Want {
                top_via: "SIP/2.0/TCP [2001:db8::1]:5060;branch=z9hG4bK1",
                ..plain(Method::Bye)
            },
        ),
        (
            "bye ignores a body given to it",
            bye(&late_offer),
            plain(Method::Bye),
        ),
        (
            "options",
            options(&with_contact),
            Want {
                max_forwards: 10,
                contact,
                ..plain(Method::Options)
            },
        ),
        (
            "re-INVITE with SDP",
            reinvite(&with_contact, sdp),
            Want {
                max_forwards: 10,
                contact,
                ..with_sdp(Method::Invite)
            },
        ),
        (
            "re-INVITE, lying extra lines",
            reinvite(&base(&[], &lying), sdp),
            with_sdp(Method::Invite),
        ),
        (
            "build_request, no body, lying extra lines",
            build_request(&InDialogRequest {
                method: Method::Info,
                ..base(&[], &lying)
            }),
            Want {
                content_type: Some("text/plain"),
                ..plain(Method::Info)
            },
        ),
        (
            "build_request, extension method with a body",
            build_request(&InDialogRequest {
                method: Method::parse("PUBLISH").unwrap(),
                body: Some(("application/pidf+xml", b"<presence/>")),
                ..base(&[], &[])
            }),
            Want {
                content_type: Some("application/pidf+xml"),
                body: b"<presence/>",
                ..plain(Method::parse("PUBLISH").unwrap())
            },
        ),
        (
            "refer",
            refer(&with_contact, "<sip:carol@c.example>", None),
            Want {
                max_forwards: 10,
                contact,
                ..plain(Method::Refer)
            },
        ),
        (
            "ACK for a 2xx",
            ack_2xx(&base(&loose, &[])),
            plain(Method::Ack),
        ),
        (
            "ACK for a 2xx with a late-offer answer",
            ack_2xx(&late_offer),
            with_sdp(Method::Ack),
        ),
        ("CANCEL", cancel_for(&invite), of_invite(Method::Cancel)),
        (
            "ACK for a 486",
            ack_for_non_2xx(&invite, &busy),
            of_invite(Method::Ack),
        ),
    ];
    for (name, bytes, want) in rows {
        let m = indexed(name, &bytes);
        assert_eq!(m.method(), Some(&want.method), "{name}");
        assert_eq!(m.cseq().method, want.method, "{name}");
        assert_eq!(m.cseq().number, want.cseq, "{name}");
        assert_eq!(m.top_via(), Via::parse(want.top_via).unwrap(), "{name}");
        assert_eq!(m.max_forwards(), Some(want.max_forwards), "{name}");
        assert_eq!(
            m.header(&HeaderName::Contact).as_deref(),
            want.contact,
            "{name}"
        );
        assert_eq!(
            m.header(&HeaderName::ContentType).as_deref(),
            want.content_type,
            "{name}"
        );
        assert_eq!(m.body(), want.body, "{name}");
    }
}

/// What one builder output must index to.
struct Want<'a> {
    method: Method,
    cseq: u32,
    top_via: &'a str,
    max_forwards: u32,
    contact: Option<&'a str>,
    content_type: Option<&'a str>,
    body: &'a [u8],
}

/// In-dialog requests carry the dialog's identifiers and the extra lines as given.
#[test]
fn in_dialog_requests_carry_the_dialog() {
    let extra = strings(&["Reason: SIP;cause=200", "X-Dlg: 1"]);
    let m = indexed("bye", &bye(&base(&[], &extra)));
    assert_eq!(m.call_id(), "3848276298220188511@atlanta.example");
    assert_eq!(m.from_tag().as_deref(), Some("a1"));
    assert_eq!(m.from().display.as_deref(), Some("Alice"));
    assert_eq!(m.to_tag().as_deref(), Some("b2"));
    assert_eq!(m.request_uri(), Some(TARGET));
    assert_eq!(
        m.header(&HeaderName::parse("Reason")).as_deref(),
        Some("SIP;cause=200")
    );
    assert_eq!(m.header(&HeaderName::parse("X-Dlg")).as_deref(), Some("1"));

    let with_by = indexed(
        "refer",
        &refer(
            &base(&[], &extra),
            "<sip:carol@c.example?Replaces=abc%40d>",
            Some("<sip:bob@biloxi.example>"),
        ),
    );
    assert_eq!(
        with_by.header(&HeaderName::ReferTo).as_deref(),
        Some("<sip:carol@c.example?Replaces=abc%40d>")
    );
    assert_eq!(
        with_by.header(&HeaderName::ReferredBy).as_deref(),
        Some("<sip:bob@biloxi.example>")
    );
    // The caller's extra lines stay.
    assert_eq!(
        with_by.header(&HeaderName::parse("X-Dlg")).as_deref(),
        Some("1")
    );
    let without_by = indexed("refer", &refer(&base(&[], &[]), "<sip:carol@c>", None));
    assert!(without_by.header(&HeaderName::ReferredBy).is_none());
}

/// RFC 3261 §12.2.1.1: a route set whose first URI has `;lr` is sent as Route with the remote
/// target as request-URI; a strict first route becomes the request-URI and the remote target
/// goes last.
#[test]
fn route_sets_follow_loose_and_strict_routing() {
    let t = format!("<{TARGET}>");
    // (route set, request-URI, Route values)
    let rows: Vec<(Vec<String>, &str, Vec<String>)> = vec![
        (vec![], TARGET, vec![]),
        (
            strings(&["<sip:p1;lr>", "<sip:p2;lr>"]),
            TARGET,
            strings(&["<sip:p1;lr>", "<sip:p2;lr>"]),
        ),
        (
            strings(&["<sip:p1;lr=on>"]),
            TARGET,
            strings(&["<sip:p1;lr=on>"]),
        ),
        (
            strings(&["<sip:p1>", "<sip:p2;lr>"]),
            "sip:p1",
            vec!["<sip:p2;lr>".to_owned(), t.clone()],
        ),
        (
            strings(&["\"strict\" <sip:p1.example:5080;transport=tcp>"]),
            "sip:p1.example:5080;transport=tcp",
            vec![t.clone()],
        ),
        // Only the first route decides.
        (
            strings(&["<sip:p1;lr>", "<sip:p2>"]),
            TARGET,
            strings(&["<sip:p1;lr>", "<sip:p2>"]),
        ),
    ];
    for (routes, ruri, want) in rows {
        let m = indexed("bye", &bye(&base(&routes, &[])));
        assert_eq!(m.request_uri(), Some(ruri), "{routes:?}");
        assert_eq!(routes_of(&m), want, "{routes:?}");
    }
}

/// RFC 3261 §9.1: the CANCEL has the INVITE's request-URI, top Via only (same branch),
/// Call-ID, From, To, CSeq number and Route values; no body. The next hop files it under the
/// INVITE it cancels.
#[test]
fn cancel_copies_the_invite() {
    let invite = parse(&Bytes::from_static(INVITE.as_bytes()));
    let cancel = indexed("cancel", &cancel_for(&invite));
    assert_eq!(cancel.method(), Some(&Method::Cancel));
    assert_eq!(cancel.request_uri(), invite.request_uri());
    assert_eq!(cancel.top_via(), invite.top_via());
    assert_eq!(cancel.call_id(), invite.call_id());
    assert_eq!(cancel.from(), invite.from());
    assert_eq!(cancel.to(), invite.to());
    assert_eq!(cancel.cseq().number, invite.cseq().number);
    assert_eq!(
        routes_of(&cancel),
        strings(&[
            "<sip:p1.example;lr>",
            "<sip:p2.example;lr>",
            "<sip:p3.example;lr>"
        ])
    );
    assert!(cancel.body().is_empty());
    assert!(cancel.header(&HeaderName::ContentType).is_none());
    assert!(cancel.header(&HeaderName::Contact).is_none());
    assert_eq!(cancelled_invite_key(&cancel), server_key(&invite));
    assert_ne!(server_key(&cancel), server_key(&invite));
}

/// RFC 3261 §17.1.1.3: the ACK of a non-2xx final response has the INVITE's request-URI, top
/// Via, Call-ID, From, CSeq number and Route values, the response's To (with its tag), no body;
/// the next hop files it under the INVITE.
#[test]
fn ack_for_a_non_2xx_copies_the_invite_and_the_response_to() {
    let invite = parse(&Bytes::from_static(INVITE.as_bytes()));
    let busy = parse(&Bytes::from_static(BUSY.as_bytes()));
    let ack = indexed("ack", &ack_for_non_2xx(&invite, &busy));
    assert_eq!(ack.method(), Some(&Method::Ack));
    assert_eq!(ack.request_uri(), invite.request_uri());
    assert_eq!(ack.top_via(), invite.top_via());
    assert_eq!(ack.call_id(), invite.call_id());
    assert_eq!(ack.from(), invite.from());
    assert_eq!(ack.to(), busy.to());
    assert_eq!(ack.to_tag().as_deref(), Some("314159"));
    assert_eq!(ack.cseq().number, 7);
    assert_eq!(routes_of(&ack).len(), 3);
    assert!(ack.body().is_empty());
    assert_eq!(server_key(&ack), server_key(&invite));
}

/// The ACK of a 2xx is a new transaction (RFC 3261 §13.2.2.4): built like any in-dialog
/// request, with the caller's new branch and the INVITE's CSeq number.
#[test]
fn ack_for_a_2xx_is_a_new_transaction() {
    let invite = parse(&Bytes::from_static(INVITE.as_bytes()));
    let branch = new_branch(0x5eed);
    let ack = indexed(
        "ack 2xx",
        &ack_2xx(&InDialogRequest {
            cseq: invite.cseq().number,
            via: ViaSpec {
                transport: "UDP",
                sent_by: "198.51.100.1:5060",
                branch: &branch,
            },
            ..base(&[], &[])
        }),
    );
    assert_eq!(ack.cseq().number, 7);
    assert_eq!(ack.cseq().method, Method::Ack);
    assert_eq!(ack.top_via().branch(), Some(branch.as_str()));
    assert_ne!(server_key(&ack), server_key(&invite));
}

#[test]
fn branches_carry_the_magic_cookie_and_the_seed() {
    let rows: &[(u64, &str)] = &[
        (0, "z9hG4bK0000000000000000"),
        (1, "z9hG4bK0000000000000001"),
        (0xdead_beef, "z9hG4bK00000000deadbeef"),
        (u64::MAX, "z9hG4bKffffffffffffffff"),
    ];
    for (seed, want) in rows {
        let b = new_branch(*seed);
        assert_eq!(b, *want);
        let via = Via::parse(&format!("SIP/2.0/UDP h;branch={b}")).unwrap();
        assert!(via.is_rfc3261_branch(), "{b}");
    }
    assert_ne!(new_branch(1), new_branch(2));
}
