//! The messages the attacks send, as pure functions of their inputs (addresses, a sequence
//! number, a salt, a random source), so that their shape is unit-tested apart from any socket.
//!
//! - [`invite`]: a syntactically valid INVITE (RFC 3261 §8.1.1: Via with a fresh `z9hG4bK`
//!   branch, Max-Forwards, From with a fresh tag, To, a fresh Call-ID, CSeq, Contact) with a
//!   small SDP body;
//! - [`forged_response`]: a response nobody asked for whose top Via names the target node, so
//!   the node strips it and relays the rest by the second Via (RFC 3261 §16.7 step 1, §18.2.2):
//!   the attacker chooses where the node sends it;
//! - [`garbage`]: a datagram of random bytes, a truncated INVITE or a corrupted INVITE.

use std::net::SocketAddr;

use rand::Rng;

use crate::sip_message::SipMessage;
use crate::transport::Transport;

/// Largest random-bytes datagram (below a typical MTU, so it is never fragmented).
pub const MAX_RANDOM_DATAGRAM: usize = 1_400;

/// The salt of the INVITEs that garbage is cut from (their Call-IDs never meet a flood's).
const GARBAGE_SALT: u64 = 0x06a7_ba6e;

/// A small SDP offer (RFC 4566), so the INVITEs look like calls.
fn sdp(local: SocketAddr) -> String {
    format!(
        "v=0\r\no=attack 1 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\n\
         m=audio 9 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n",
        ip = local.ip()
    )
}

/// The identifiers of INVITE number `seq` of a run salted by `salt`: unique per pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fresh {
    pub call_id: String,
    pub from_tag: String,
    pub branch: String,
}

impl Fresh {
    pub fn new(seq: u64, salt: u64) -> Fresh {
        Fresh {
            call_id: format!("attack-{salt:016x}-{seq}"),
            from_tag: format!("at{salt:08x}{seq}"),
            branch: format!("z9hG4bK-at{salt:016x}-{seq}"),
        }
    }
}

/// INVITE number `seq` from `local` over `transport` to `request_uri` (also the To URI), with
/// `extra` headers before Content-Length.
pub fn invite(
    transport: Transport,
    local: SocketAddr,
    request_uri: &str,
    fresh: &Fresh,
    extra: &[(&str, &str)],
) -> Vec<u8> {
    let via = format!(
        "SIP/2.0/{} {local};branch={};rport",
        transport.via_token(),
        fresh.branch
    );
    let from = format!("<sip:attacker@{local}>;tag={}", fresh.from_tag);
    let to = format!("<{request_uri}>");
    let contact = format!("<sip:attacker@{local}>");
    let mut headers: Vec<(&str, &str)> = vec![
        ("Via", &via),
        ("Max-Forwards", "70"),
        ("From", &from),
        ("To", &to),
        ("Call-ID", &fresh.call_id),
        ("CSeq", "1 INVITE"),
        ("Contact", &contact),
    ];
    headers.extend_from_slice(extra);
    headers.push(("Content-Type", "application/sdp"));
    SipMessage::compose(
        &format!("INVITE {request_uri} SIP/2.0"),
        &headers,
        &sdp(local),
    )
}

/// A `status` response to an INVITE that `node` never sent: top Via `SIP/2.0/UDP <node>`, second
/// Via `SIP/2.0/<second_via>` (e.g. `TCP 127.0.0.99:5060`), where the node would relay it.
pub fn forged_response(node: SocketAddr, second_via: &str, status: u16, fresh: &Fresh) -> Vec<u8> {
    let top = format!("SIP/2.0/UDP {node};branch={}", fresh.branch);
    let second = format!("SIP/2.0/{second_via};branch={}-up", fresh.branch);
    let from = format!("<sip:forger@{node}>;tag={}", fresh.from_tag);
    let to = format!("<sip:victim@{node}>;tag=to{}", fresh.from_tag);
    SipMessage::compose(
        &format!("SIP/2.0 {status} {}", reason(status)),
        &[
            ("Via", &top),
            ("Via", &second),
            ("From", &from),
            ("To", &to),
            ("Call-ID", &fresh.call_id),
            ("CSeq", "1 INVITE"),
        ],
        "",
    )
}

/// The reason phrase of the statuses the attacks send (RFC 3261 §21).
pub fn reason(status: u16) -> &'static str {
    match status {
        100 => "Trying",
        180 => "Ringing",
        183 => "Session Progress",
        200 => "OK",
        404 => "Not Found",
        486 => "Busy Here",
        503 => "Service Unavailable",
        _ => "Unknown",
    }
}

/// What [`garbage`] made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GarbageKind {
    /// 1 to [`MAX_RANDOM_DATAGRAM`] random bytes.
    RandomBytes,
    /// An INVITE cut at a random byte (never whole).
    Truncated,
    /// An INVITE with random bytes overwritten (about one in fifty).
    Corrupted,
}

/// One garbage datagram, of a kind chosen at random with equal odds; `local` and `target` fill
/// the INVITE the truncated and corrupted kinds start from.
pub fn garbage(
    rng: &mut impl Rng,
    local: SocketAddr,
    target: SocketAddr,
    seq: u64,
) -> (GarbageKind, Vec<u8>) {
    let base = || {
        let uri = format!("sip:garbage@{target}");
        invite(
            Transport::Udp,
            local,
            &uri,
            &Fresh::new(seq, GARBAGE_SALT),
            &[],
        )
    };
    match rng.random_range(0..3u8) {
        0 => {
            let len = rng.random_range(1..=MAX_RANDOM_DATAGRAM);
            let mut bytes = vec![0u8; len];
            rng.fill(&mut bytes[..]);
            (GarbageKind::RandomBytes, bytes)
        }
        1 => {
            let mut bytes = base();
            let cut = rng.random_range(1..bytes.len());
            bytes.truncate(cut);
            (GarbageKind::Truncated, bytes)
        }
        _ => {
            let mut bytes = base();
            let flips = (bytes.len() / 50).max(1);
            for _ in 0..flips {
                let at = rng.random_range(0..bytes.len());
                bytes[at] = rng.random();
            }
            (GarbageKind::Corrupted, bytes)
        }
    }
}

#[cfg(test)]
#[path = "messages_tests.rs"]
mod tests;
