//! Transaction keys: how a message finds its transaction (RFC 3261 §17.1.3 for responses at a
//! client, §17.2.3 for requests at a server).
//!
//! With an RFC 3261 branch (magic cookie `z9hG4bK`) the key is the branch, the sent-by of the
//! top Via (server side) and the method, where ACK is filed under INVITE (the ACK of a non-2xx
//! final response belongs to the INVITE transaction). A CANCEL has its own transaction (its
//! method differs); [`cancelled_invite_key`] finds the INVITE it cancels (§9.2).
//!
//! Without the cookie (RFC 2543 peers, §17.2.3 second half) the branch field holds a fallback
//! made of Call-ID, From tag, CSeq number, request-URI and the top Via's transport and branch
//! (if any); its sent-by stays in `sent_by`. The RFC also compares the To tag; we leave it out
//! so that the ACK of a non-2xx response, whose To carries the tag the server added, still
//! finds its INVITE (the INVITE had no To tag), and so that a CANCEL finds it too. Two INVITEs
//! that differ only by To tag would share a key: acceptable for peers that predate RFC 3261.
//! Whitespace and case differences in the Via do not matter (it is compared typed).
//!
//! Client keys need no fallback: the branch in the top Via of a response is ours.

use crate::message::SipMessage;
use crate::method::Method;
use crate::values::MAGIC_COOKIE;

/// Identifies one transaction on one side.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TransactionKey {
    /// `true` for client transactions (our own branch), `false` for server ones.
    pub client: bool,
    /// The branch (or the RFC 2543 fallback string).
    pub branch: String,
    /// Top Via sent-by (server side only; empty on the client side).
    pub sent_by: String,
    /// The method, ACK filed as INVITE.
    pub method: String,
}

fn filed_method(m: &Method) -> String {
    match m {
        Method::Ack => Method::Invite.as_str().to_owned(),
        other => other.as_str().to_owned(),
    }
}

fn server_branch(msg: &SipMessage) -> (String, String) {
    let via = msg.top_via();
    let sent_by = format!(
        "{}:{}",
        via.host.to_ascii_lowercase(),
        via.port.unwrap_or(5060)
    );
    match via.branch() {
        Some(b) if b.starts_with(MAGIC_COOKIE) => (b.to_owned(), sent_by),
        _ => {
            let fallback = format!(
                "2543|{}|{}|{}|{}|{}|{}",
                msg.call_id(),
                msg.from_tag().unwrap_or_default(),
                msg.cseq().number,
                msg.request_uri().unwrap_or(""),
                via.transport,
                via.branch().unwrap_or(""),
            );
            (fallback, sent_by)
        }
    }
}

/// The key of the server transaction a request belongs to (ACK → its INVITE's).
pub fn server_key(msg: &SipMessage) -> TransactionKey {
    let (branch, sent_by) = server_branch(msg);
    let method = msg.method().map(filed_method).unwrap_or_default();
    TransactionKey {
        client: false,
        branch,
        sent_by,
        method,
    }
}

/// The key of the INVITE server transaction a CANCEL cancels (same branch, §9.2).
pub fn cancelled_invite_key(cancel: &SipMessage) -> TransactionKey {
    let (branch, sent_by) = server_branch(cancel);
    TransactionKey {
        client: false,
        branch,
        sent_by,
        method: Method::Invite.as_str().to_owned(),
    }
}

/// The key of the client transaction a response belongs to: top Via branch + CSeq method.
pub fn client_key(resp: &SipMessage) -> TransactionKey {
    let branch = resp.top_via().branch().unwrap_or_default().to_owned();
    TransactionKey {
        client: true,
        branch,
        sent_by: String::new(),
        method: filed_method(&resp.cseq().method),
    }
}

/// The key under which a client transaction for the request we send is filed.
pub fn client_request_key(req: &SipMessage) -> TransactionKey {
    let branch = req.top_via().branch().unwrap_or_default().to_owned();
    let method = req.method().map(filed_method).unwrap_or_default();
    TransactionKey {
        client: true,
        branch,
        sent_by: String::new(),
        method,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn msg(start: &str, via: &str, cseq: &str) -> SipMessage {
        SipMessage::parse(Bytes::from(format!(
            "{start}\r\nVia: {via}\r\nFrom: <sip:a@x>;tag=f\r\nTo: <sip:b@y>\r\nCall-ID: c1\r\nCSeq: {cseq}\r\nContent-Length: 0\r\n\r\n"
        )))
        .unwrap()
    }

    #[test]
    fn ack_and_cancel_find_the_invite() {
        let via = "SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKabc";
        let invite = msg("INVITE sip:b@y SIP/2.0", via, "1 INVITE");
        let ack = msg("ACK sip:b@y SIP/2.0", via, "1 ACK");
        let cancel = msg("CANCEL sip:b@y SIP/2.0", via, "1 CANCEL");
        assert_eq!(server_key(&invite), server_key(&ack));
        assert_ne!(server_key(&invite), server_key(&cancel));
        assert_eq!(cancelled_invite_key(&cancel), server_key(&invite));
        let other_host = msg(
            "INVITE sip:b@y SIP/2.0",
            "SIP/2.0/UDP 10.0.0.2;branch=z9hG4bKabc",
            "1 INVITE",
        );
        assert_ne!(server_key(&invite), server_key(&other_host));
    }

    #[test]
    fn responses_find_client_transactions_and_rfc2543_falls_back() {
        let req = msg(
            "BYE sip:b@y SIP/2.0",
            "SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKq",
            "2 BYE",
        );
        let resp = msg(
            "SIP/2.0 200 OK",
            "SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKq",
            "2 BYE",
        );
        assert_eq!(client_request_key(&req), client_key(&resp));
        assert!(
            server_key(&msg(
                "INVITE sip:b@y SIP/2.0",
                "SIP/2.0/UDP h;branch=1",
                "1 INVITE"
            ))
            .branch
            .starts_with("2543|c1|f|1|sip:b@y|UDP|1")
        );
    }

    /// RFC 2543 peers (no magic cookie): each row is a message compared with the INVITE
    /// `INVITE sip:b@y`, top Via `SIP/2.0/UDP 10.0.0.1:5060;branch=1`, `CSeq: 1 INVITE`.
    #[test]
    fn rfc2543_fallback_table() {
        let via = "SIP/2.0/UDP 10.0.0.1:5060;branch=1";
        let invite = msg("INVITE sip:b@y SIP/2.0", via, "1 INVITE");
        let with_to_tag = |start: &str, cseq: &str| {
            SipMessage::parse(Bytes::from(format!(
                "{start}\r\nVia: {via}\r\nFrom: <sip:a@x>;tag=f\r\nTo: <sip:b@y>;tag=t\r\nCall-ID: c1\r\nCSeq: {cseq}\r\nContent-Length: 0\r\n\r\n"
            )))
            .unwrap()
        };
        let same = |m: &SipMessage| server_key(m) == server_key(&invite);
        let rows: Vec<(&str, bool, bool)> = vec![
            (
                "retransmission",
                same(&msg("INVITE sip:b@y SIP/2.0", via, "1 INVITE")),
                true,
            ),
            (
                "retransmission, Via spaced differently",
                same(&msg(
                    "INVITE sip:b@y SIP/2.0",
                    "SIP/2.0/udp 10.0.0.1:5060 ; branch=1",
                    "1 INVITE",
                )),
                true,
            ),
            (
                "ACK with the response's To tag",
                same(&with_to_tag("ACK sip:b@y SIP/2.0", "1 ACK")),
                true,
            ),
            (
                "CSeq number differs",
                same(&msg("INVITE sip:b@y SIP/2.0", via, "2 INVITE")),
                false,
            ),
            (
                "request-URI differs",
                same(&msg("INVITE sip:c@y SIP/2.0", via, "1 INVITE")),
                false,
            ),
            (
                "top Via branch differs",
                same(&msg(
                    "INVITE sip:b@y SIP/2.0",
                    "SIP/2.0/UDP 10.0.0.1:5060;branch=2",
                    "1 INVITE",
                )),
                false,
            ),
            (
                "top Via without branch",
                same(&msg(
                    "INVITE sip:b@y SIP/2.0",
                    "SIP/2.0/UDP 10.0.0.1:5060",
                    "1 INVITE",
                )),
                false,
            ),
            (
                "top Via transport differs",
                same(&msg(
                    "INVITE sip:b@y SIP/2.0",
                    "SIP/2.0/TCP 10.0.0.1:5060;branch=1",
                    "1 INVITE",
                )),
                false,
            ),
            (
                "top Via sent-by differs",
                same(&msg(
                    "INVITE sip:b@y SIP/2.0",
                    "SIP/2.0/UDP 10.0.0.2:5060;branch=1",
                    "1 INVITE",
                )),
                false,
            ),
            (
                "CANCEL is its own transaction",
                same(&msg("CANCEL sip:b@y SIP/2.0", via, "1 CANCEL")),
                false,
            ),
            (
                "CANCEL finds the INVITE",
                cancelled_invite_key(&msg("CANCEL sip:b@y SIP/2.0", via, "1 CANCEL"))
                    == server_key(&invite),
                true,
            ),
        ];
        for (name, got, want) in rows {
            assert_eq!(got, want, "{name}");
        }
    }
}
