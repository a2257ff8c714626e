//! Unit tests of `raw_call.rs`.

use super::*;

fn ok_response(call: &RawCall) -> SipMessage {
    let text = format!(
        "SIP/2.0 200 OK\r\n\
         Via: SIP/2.0/UDP {}\r\n\
         Record-Route: <sip:10.0.0.1;lr;did=1.2>\r\n\
         Record-Route: <sip:10.0.0.2;lr>\r\n\
         From: <{}>;tag={}\r\n\
         To: <{}>;tag=callee\r\n\
         Call-ID: {}\r\n\
         CSeq: 1 INVITE\r\n\
         Contact: <sip:b@127.0.0.1:5070>\r\n\
         Content-Length: 0\r\n\r\n",
        call.local, call.from_uri, call.from_tag, call.to_uri, call.call_id
    );
    SipMessage::parse(text.as_bytes()).unwrap()
}

#[test]
fn in_dialog_requests_follow_the_reversed_record_route() {
    let peer = RawSipPeer::udp().unwrap();
    let mut call = RawCall::new(
        &peer,
        "127.0.0.1:5060".parse().unwrap(),
        "sip:bob@127.0.0.1:5070;transport=udp",
        "alice",
    );
    let invite = SipMessage::parse(&call.invite()).unwrap();
    assert_eq!(
        invite.first_line(),
        "INVITE sip:bob@127.0.0.1:5070;transport=udp SIP/2.0"
    );
    assert_eq!(invite.to_tag(), None);
    assert_eq!(
        invite.header("To").as_deref(),
        Some("<sip:bob@127.0.0.1:5070>")
    );

    call.accept(&ok_response(&call)).unwrap();
    let ack = SipMessage::parse(&call.ack()).unwrap();
    assert_eq!(ack.first_line(), "ACK sip:b@127.0.0.1:5070 SIP/2.0");
    assert_eq!(ack.header("CSeq").as_deref(), Some("1 ACK"));
    assert_eq!(
        ack.headers("Route"),
        vec!["<sip:10.0.0.2;lr>", "<sip:10.0.0.1;lr;did=1.2>"]
    );
    let bye = SipMessage::parse(&call.request("BYE")).unwrap();
    assert_eq!(bye.header("CSeq").as_deref(), Some("2 BYE"));
    assert_eq!(bye.to_tag().as_deref(), Some("callee"));
    assert_eq!(bye.from_tag(), Some(call.from_tag.clone()));
    assert_ne!(
        ack.header("Via"),
        bye.header("Via"),
        "each request has its own branch"
    );
}

#[test]
fn accept_refuses_a_non_2xx() {
    let peer = RawSipPeer::udp().unwrap();
    let mut call = RawCall::new(&peer, "127.0.0.1:5060".parse().unwrap(), "sip:b@h", "a");
    let busy = SipMessage::parse(b"SIP/2.0 486 Busy Here\r\nTo: <sip:b@h>;tag=x\r\n\r\n").unwrap();
    assert!(call.accept(&busy).is_err());
}
