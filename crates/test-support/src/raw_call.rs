//! A caller-side dialog written by hand (RFC 3261 §12.1.2, §12.2.1.1): the INVITE a raw peer
//! sends through a proxy, the dialog learnt from its 2xx (To tag, remote target from Contact,
//! route set = the Record-Route entries reversed) and the in-dialog requests built from it.
//!
//! Its fields are public so that a test can clone a call, forge one of them (a tag, the `did` of
//! a Route) and build the request a forger would send. Must not send anything itself except in
//! [`RawCall::establish`], which is bounded by its timeout.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Result, anyhow, bail};

use crate::raw_sip::RawSipPeer;
use crate::sip_message::SipMessage;
use crate::transport::Transport;

static NEXT: AtomicU64 = AtomicU64::new(1);

const SDP: &str = "v=0\r\no=raw 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";

/// See the module doc.
#[derive(Debug, Clone)]
pub struct RawCall {
    pub transport: Transport,
    /// Where every request goes (the proxy).
    pub proxy: SocketAddr,
    /// The peer's own address (Via, Contact).
    pub local: SocketAddr,
    pub request_uri: String,
    pub call_id: String,
    pub from_uri: String,
    pub from_tag: String,
    pub to_uri: String,
    /// From the 2xx.
    pub to_tag: Option<String>,
    /// Contact of the 2xx.
    pub remote_target: Option<String>,
    /// Record-Route of the 2xx, reversed, each `<sip:...>`.
    pub route_set: Vec<String>,
    /// CSeq of the last request sent (the INVITE is 1).
    pub cseq: u32,
    unique: u64,
}

impl RawCall {
    /// A call from `from_user` at the peer's address to `request_uri`, sent via `proxy`.
    pub fn new(
        peer: &RawSipPeer,
        proxy: SocketAddr,
        request_uri: &str,
        from_user: &str,
    ) -> RawCall {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        let unique = nanos ^ (NEXT.fetch_add(1, Ordering::Relaxed) << 48);
        let local = peer.local_addr();
        RawCall {
            transport: peer.transport(),
            proxy,
            local,
            request_uri: request_uri.to_string(),
            call_id: format!("raw-{unique:x}@127.0.0.1"),
            from_uri: format!("sip:{from_user}@{local}"),
            from_tag: format!("rawtag{unique:x}"),
            to_uri: request_uri
                .split(';')
                .next()
                .unwrap_or(request_uri)
                .to_string(),
            to_tag: None,
            remote_target: None,
            route_set: Vec::new(),
            cseq: 0,
            unique,
        }
    }

    /// A Via with a branch never used before in this process (clones of a call included).
    fn via(&mut self) -> String {
        format!(
            "SIP/2.0/{} {};branch=z9hG4bK-raw-{:x}-{}",
            self.transport.via_token(),
            self.local,
            self.unique,
            NEXT.fetch_add(1, Ordering::Relaxed)
        )
    }

    fn contact(&self) -> String {
        format!(
            "<sip:raw@{};transport={}>",
            self.local,
            self.transport.uri_param()
        )
    }

    fn to_header(&self) -> String {
        match &self.to_tag {
            Some(tag) => format!("<{}>;tag={tag}", self.to_uri),
            None => format!("<{}>", self.to_uri),
        }
    }

    /// The initial INVITE (CSeq 1, with SDP).
    pub fn invite(&mut self) -> Vec<u8> {
        self.cseq = 1;
        let via = self.via();
        let from = format!("<{}>;tag={}", self.from_uri, self.from_tag);
        let to = self.to_header();
        let contact = self.contact();
        SipMessage::compose(
            &format!("INVITE {} SIP/2.0", self.request_uri),
            &[
                ("Via", &via),
                ("Max-Forwards", "70"),
                ("From", &from),
                ("To", &to),
                ("Call-ID", &self.call_id),
                ("CSeq", "1 INVITE"),
                ("Contact", &contact),
                ("Content-Type", "application/sdp"),
            ],
            SDP,
        )
    }

    /// Learns the dialog from a 2xx to the INVITE.
    pub fn accept(&mut self, ok: &SipMessage) -> Result<()> {
        if !ok.status().is_some_and(|s| (200..300).contains(&s)) {
            bail!("not a 2xx: {}", ok.first_line());
        }
        self.to_tag = Some(
            ok.to_tag()
                .ok_or_else(|| anyhow!("2xx without a To tag:\n{}", ok.text()))?,
        );
        self.remote_target = Some(
            ok.contact_uri()
                .ok_or_else(|| anyhow!("2xx without a Contact:\n{}", ok.text()))?,
        );
        self.route_set = ok.record_routes().into_iter().rev().collect();
        Ok(())
    }

    /// The ACK for the 2xx (CSeq of the INVITE, a new branch, the route set).
    pub fn ack(&mut self) -> Vec<u8> {
        let cseq = self.cseq;
        self.in_dialog("ACK", cseq)
    }

    /// The next in-dialog request `method` (CSeq + 1).
    pub fn request(&mut self, method: &str) -> Vec<u8> {
        self.cseq += 1;
        let cseq = self.cseq;
        self.in_dialog(method, cseq)
    }

    /// The next in-dialog request `method` (CSeq + 1) carrying `sdp` (a re-INVITE's offer).
    pub fn request_with_sdp(&mut self, method: &str, sdp: &str) -> Vec<u8> {
        self.cseq += 1;
        let cseq = self.cseq;
        self.in_dialog_with_body(method, cseq, Some(("application/sdp", sdp)))
    }

    fn in_dialog(&mut self, method: &str, cseq: u32) -> Vec<u8> {
        self.in_dialog_with_body(method, cseq, None)
    }

    fn in_dialog_with_body(
        &mut self,
        method: &str,
        cseq: u32,
        body: Option<(&str, &str)>,
    ) -> Vec<u8> {
        let via = self.via();
        let from = format!("<{}>;tag={}", self.from_uri, self.from_tag);
        let to = self.to_header();
        let contact = self.contact();
        let target = self
            .remote_target
            .clone()
            .unwrap_or_else(|| self.request_uri.clone());
        let cseq = format!("{cseq} {method}");
        let mut headers: Vec<(&str, &str)> = vec![("Via", &via), ("Max-Forwards", "70")];
        for route in &self.route_set {
            headers.push(("Route", route));
        }
        headers.extend([
            ("From", from.as_str()),
            ("To", to.as_str()),
            ("Call-ID", self.call_id.as_str()),
            ("CSeq", cseq.as_str()),
            ("Contact", contact.as_str()),
        ]);
        if let Some((content_type, _)) = body {
            headers.push(("Content-Type", content_type));
        }
        let body = body.map_or("", |(_, b)| b);
        SipMessage::compose(&format!("{method} {target} SIP/2.0"), &headers, body)
    }

    /// Sends the INVITE through `peer` and waits for its final response; a 2xx is accepted and
    /// ACKed. Returns the final response.
    pub fn establish(&mut self, peer: &mut RawSipPeer, timeout: Duration) -> Result<SipMessage> {
        let invite = self.invite();
        peer.send_to(self.proxy, &invite)?;
        let call_id = self.call_id.clone();
        let response = peer.recv_until(timeout, |m| {
            m.status().is_some_and(|s| s >= 200)
                && m.cseq_method().as_deref() == Some("INVITE")
                && m.header("Call-ID").as_deref() == Some(call_id.as_str())
        })?;
        if response.status().is_some_and(|s| (200..300).contains(&s)) {
            self.accept(&response)?;
            let ack = self.ack();
            peer.send_to(self.proxy, &ack)?;
        }
        Ok(response)
    }

    /// Sends the next in-dialog `method` and waits for its final response.
    pub fn send_request(
        &mut self,
        peer: &mut RawSipPeer,
        method: &str,
        timeout: Duration,
    ) -> Result<SipMessage> {
        let request = self.request(method);
        let cseq = self.cseq;
        peer.send_to(self.proxy, &request)?;
        peer.recv_until(timeout, |m| {
            m.status().is_some_and(|s| s >= 200)
                && m.cseq_number() == Some(cseq)
                && m.cseq_method().as_deref() == Some(method)
        })
    }
}

#[cfg(test)]
#[path = "raw_call_tests.rs"]
mod tests;
