//! Refer-To values for the REFERs the proxy sends (RFC 3515 §2.1): a plain target for a blind
//! transfer, and a target carrying a Replaces header for an attended one (RFC 3891 §6.1,
//! RFC 5589 §7). The REFER itself is built by [`crate::builder::refer`].
//!
//! ```text
//!  blind:     <sip:bob@example.com;dlgd_xfer=TOKEN>
//!  attended:  <sip:carol@c.example?Replaces=call%40host%3Bto-tag%3Dc1%3Bfrom-tag%3Da2>
//! ```
//!
//! The Replaces value names the dialog **as the UA that receives the INVITE with Replaces
//! sees it** (RFC 3891 §3): `to-tag` is that UA's own tag, `from-tag` its peer's. Inside the
//! Refer-To URI it is a URI header, so it is %-escaped whole ([`crate::uri_edit`]): `@`, `;`,
//! `=`, `%`, `?`, `&` of Call-IDs and tags never break the URI.

use crate::uri_edit::{add_uri_header, bare};

/// The dialog a Replaces header names (RFC 3891 §6.1), from the point of view of the UA that
/// receives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replaces<'a> {
    /// The Call-ID of the dialog to replace.
    pub call_id: &'a str,
    /// The receiving UA's own tag in that dialog.
    pub to_tag: &'a str,
    /// The tag of the receiving UA's peer in that dialog.
    pub from_tag: &'a str,
}

impl Replaces<'_> {
    /// The header value, unescaped: `call-id;to-tag=..;from-tag=..`.
    pub fn value(&self) -> String {
        format!(
            "{};to-tag={};from-tag={}",
            self.call_id, self.to_tag, self.from_tag
        )
    }
}

/// `<uri>`: the Refer-To of a blind transfer (`uri` may come with or without brackets).
pub fn refer_to(uri: &str) -> String {
    format!("<{}>", bare(uri))
}

/// `<uri?Replaces=...>`: the Refer-To of an attended transfer, the Replaces value escaped as a
/// URI header value (after any headers `uri` already has).
pub fn refer_to_with_replaces(uri: &str, replaces: &Replaces<'_>) -> String {
    format!("<{}>", add_uri_header(uri, "Replaces", &replaces.value()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::NameAddr;

    #[test]
    fn replaces_is_escaped_whole_inside_the_uri() {
        // (call-id, to-tag, from-tag, Refer-To)
        let table = [
            (
                "12345@192.168.118.3",
                "12345",
                "5FFE-3994",
                // RFC 3891 §6.1's example.
                "<sip:bob@example.org?Replaces=12345%40192.168.118.3%3Bto-tag%3D12345%3Bfrom-tag%3D5FFE-3994>",
            ),
            (
                "a;b=c%d?e&f@g",
                "t;1",
                "f=2",
                "<sip:bob@example.org?Replaces=a%3Bb%3Dc%25d%3Fe%26f%40g%3Bto-tag%3Dt%3B1%3Bfrom-tag%3Df%3D2>",
            ),
        ];
        for (call_id, to_tag, from_tag, want) in table {
            let r = Replaces {
                call_id,
                to_tag,
                from_tag,
            };
            let got = refer_to_with_replaces("sip:bob@example.org", &r);
            assert_eq!(got, want, "{call_id}");
            // The value reads as one name-addr with the URI intact.
            let parsed = NameAddr::parse(&got).unwrap();
            assert_eq!(parsed.uri().unwrap().host, "example.org");
            assert!(parsed.params.is_empty());
        }
    }

    #[test]
    fn blind_targets_are_bracketed_once() {
        assert_eq!(refer_to("sip:bob@example.com"), "<sip:bob@example.com>");
        assert_eq!(
            refer_to(" <sip:bob@example.com;x=1> "),
            "<sip:bob@example.com;x=1>"
        );
    }
}
