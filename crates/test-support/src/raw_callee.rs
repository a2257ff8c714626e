//! [`RawCallee`]: a callee written by hand on a UDP [`RawSipPeer`]. Unlike SIPp, which answers
//! every request of a call to the address its first one came from, it answers each request
//! where its Via says (RFC 3261 §18.2.2, the source with rport), so a request that another
//! cluster member proxies gets its answer back through that member.
//!
//! Must not wait without a bound: every receive has a timeout.

use std::time::Duration;

use anyhow::Result;

use crate::raw_sip::RawSipPeer;
use crate::sip_message::SipMessage;

/// The To tag of every dialog this callee answers.
pub const CALLEE_TAG: &str = "callee-tag";

/// See the module doc.
#[derive(Debug)]
pub struct RawCallee {
    pub peer: RawSipPeer,
}

impl RawCallee {
    pub fn new() -> Result<RawCallee> {
        Ok(RawCallee {
            peer: RawSipPeer::udp()?,
        })
    }

    /// `sip:bob@<its address>`: the request-URI of calls to it, and its Contact.
    pub fn uri(&self) -> String {
        format!("sip:bob@{}", self.peer.local_addr())
    }

    /// Answers the next request `method` (within `timeout`) with 200 and returns the request.
    pub fn answer(&mut self, method: &str, timeout: Duration) -> Result<SipMessage> {
        self.answer_with_sdp(method, None, timeout)
    }

    /// [`RawCallee::answer`], the 200 carrying `sdp` when given.
    pub fn answer_with_sdp(
        &mut self,
        method: &str,
        sdp: Option<&str>,
        timeout: Duration,
    ) -> Result<SipMessage> {
        let req = self
            .peer
            .recv_until(timeout, |m| m.method() == Some(method))?;
        let contact = self.uri();
        let ok = req.response_with_sdp(200, "OK", CALLEE_TAG, Some(&contact), sdp);
        let to = req
            .source
            .ok_or_else(|| anyhow::anyhow!("{method} without a source address"))?;
        self.peer.send_to(to, &ok)?;
        Ok(req)
    }

    /// Receives the next request `method` within `timeout`, unanswered (an ACK).
    pub fn expect(&mut self, method: &str, timeout: Duration) -> Result<SipMessage> {
        self.peer
            .recv_until(timeout, |m| m.method() == Some(method))
    }

    /// Panics if a request `method` arrives within `within`.
    pub fn assert_no(&mut self, method: &str, within: Duration) {
        let got = self.peer.recv_until(within, |m| m.method() == Some(method));
        assert!(got.is_err(), "a {method} reached the callee: {got:?}");
    }
}
