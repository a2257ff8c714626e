//! The SIP transport a test peer uses, UDP or TCP, and how each tool spells it.
//!
//! Owns the spelling only (SIPp's `-t` flag, the `transport=` URI parameter, the Via token); it
//! opens nothing.

use std::fmt;

/// UDP or TCP, for SIPp runs and raw peers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    Udp,
    Tcp,
}

impl Transport {
    /// SIPp's `-t` value: one socket for every call (`u1`, `t1`).
    pub fn sipp_flag(self) -> &'static str {
        match self {
            Transport::Udp => "u1",
            Transport::Tcp => "t1",
        }
    }

    /// The token of a Via header (`SIP/2.0/UDP`).
    pub fn via_token(self) -> &'static str {
        match self {
            Transport::Udp => "UDP",
            Transport::Tcp => "TCP",
        }
    }

    /// The value of a `;transport=` URI parameter.
    pub fn uri_param(self) -> &'static str {
        match self {
            Transport::Udp => "udp",
            Transport::Tcp => "tcp",
        }
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.via_token())
    }
}

#[cfg(test)]
mod tests {
    use super::Transport;

    #[test]
    fn each_tool_gets_its_spelling() {
        let table = [
            (Transport::Udp, "u1", "UDP", "udp"),
            (Transport::Tcp, "t1", "TCP", "tcp"),
        ];
        for (t, flag, via, param) in table {
            assert_eq!(t.sipp_flag(), flag);
            assert_eq!(t.via_token(), via);
            assert_eq!(t.uri_param(), param);
            assert_eq!(t.to_string(), via);
        }
    }
}
