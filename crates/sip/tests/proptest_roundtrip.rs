//! Generated messages through the indexer: every message of the generator (extension methods,
//! compact and long names in any case, whitespace before the colon, folded lines, CRLF or bare
//! LF, any body with its Content-Length) indexes, its typed values come back as generated, an
//! empty splice gives back the wire bytes, and TCP framing splits a stream of them exactly.
//! The indexer, the framer and the 400 builder never panic, whatever the bytes.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use bytes::Bytes;
use dialogd_sip::framing::{self, Frame};
use dialogd_sip::values::{NameAddr, Uri};
use dialogd_sip::{HeaderName, Method, SipMessage, Splice, build_bad_request};
use proptest::prelude::*;

const KNOWN_METHODS: &[&str] = &[
    "INVITE",
    "ACK",
    "BYE",
    "CANCEL",
    "OPTIONS",
    "REGISTER",
    "REFER",
    "NOTIFY",
    "SUBSCRIBE",
    "INFO",
    "UPDATE",
    "PRACK",
    "MESSAGE",
    "PUBLISH",
];

#[derive(Debug, Clone)]
struct GenUri {
    text: String,
    want: Uri,
}

#[derive(Debug, Clone)]
struct GenNameAddr {
    text: String,
    display: Option<String>,
    uri: String,
    tag: Option<String>,
}

#[derive(Debug, Clone)]
struct GenVia {
    text: String,
    transport: String,
    host: String,
    port: Option<u16>,
    branch: String,
}

/// How one header line is written.
#[derive(Debug, Clone)]
struct Style {
    compact: bool,
    case: u8,
    before_colon: &'static str,
    after_colon: &'static str,
    fold: bool,
}

#[derive(Debug, Clone)]
enum Kind {
    Request { method: String, uri: GenUri },
    Response { code: u16, reason: String },
}

#[derive(Debug, Clone)]
struct GenMessage {
    kind: Kind,
    call_id: String,
    cseq: (u32, String),
    from: GenNameAddr,
    to: GenNameAddr,
    /// Via elements, top first, grouped into header lines.
    via_lines: Vec<Vec<GenVia>>,
    max_forwards: Option<(u8, usize)>,
    routes: Vec<GenUri>,
    extras: Vec<(String, String)>,
    body: Vec<u8>,
    styles: Vec<Style>,
    keys: Vec<u8>,
    lf_only: bool,
}

fn token() -> impl Strategy<Value = String> {
    "[A-Za-z0-9][A-Za-z0-9.!%*_+`'~-]{0,10}"
}

fn method() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::sample::select(KNOWN_METHODS).prop_map(str::to_owned),
        "[A-Z][A-Z0-9-]{2,10}",
        "[a-zA-Z!%*_+`'~.-]{1,12}",
    ]
}

fn host() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-z][a-z0-9-]{0,8}(\\.[a-z][a-z0-9-]{0,8}){0,3}",
        1 => any::<[u8; 4]>().prop_map(|a| std::net::Ipv4Addr::from(a).to_string()),
        1 => any::<[u16; 8]>().prop_map(|a| format!("[{}]", std::net::Ipv6Addr::from(a))),
    ]
}

fn sip_uri() -> impl Strategy<Value = GenUri> {
    let user = prop::option::of(prop_oneof![
        "[a-zA-Z0-9_~+-]{1,10}",
        "[a-z]{1,5}\\.[a-z]{1,5}",
        "%[0-9A-F]{2}[a-z]{1,5}"
    ]);
    let params = prop::collection::vec(
        (
            "[a-z][a-z0-9-]{0,6}",
            prop::option::of("[a-zA-Z0-9.-]{1,8}"),
        ),
        0..3,
    );
    (
        any::<bool>(),
        user,
        host(),
        prop::option::of(1u16..),
        params,
    )
        .prop_map(|(sips, user, host, port, params)| {
            let scheme = if sips { "sips" } else { "sip" };
            let mut text = format!("{scheme}:");
            if let Some(u) = &user {
                text.push_str(u);
                text.push('@');
            }
            text.push_str(&host);
            if let Some(p) = port {
                text.push_str(&format!(":{p}"));
            }
            for (n, v) in &params {
                text.push(';');
                text.push_str(n);
                if let Some(v) = v {
                    text.push('=');
                    text.push_str(v);
                }
            }
            let want = Uri {
                scheme: scheme.into(),
                user,
                host,
                port,
                params,
            };
            GenUri { text, want }
        })
}

fn tel_uri() -> impl Strategy<Value = GenUri> {
    "\\+[0-9]{3,12}".prop_map(|n| GenUri {
        text: format!("tel:{n}"),
        want: Uri {
            scheme: "tel".into(),
            user: Some(n),
            ..Uri::default()
        },
    })
}

fn name_addr(tagged: bool) -> impl Strategy<Value = GenNameAddr> {
    let uri = prop_oneof![4 => sip_uri(), 1 => tel_uri()];
    let display = prop_oneof![
        Just(None),
        "[A-Za-z]{1,8}( [A-Za-z]{1,8}){0,2}".prop_map(|d| Some((d.clone(), d))),
        "[A-Za-z ,<>;:@\"\\\\]{0,12}".prop_map(|d| {
            let escaped: String = d
                .chars()
                .flat_map(|c| {
                    if c == '"' || c == '\\' {
                        vec!['\\', c]
                    } else {
                        vec![c]
                    }
                })
                .collect();
            Some((format!("\"{escaped}\""), d))
        }),
    ];
    let tag = if tagged {
        prop::option::of(token()).boxed()
    } else {
        Just(None).boxed()
    };
    let semi = prop::sample::select(&[";", " ; ", ";  ", " ;"][..]);
    let eq = prop::sample::select(&["=", " = "][..]);
    (uri, display, tag, any::<bool>(), semi, eq).prop_map(
        |(uri, display, tag, bracket, semi, eq)| {
            let addr_spec = display.is_none() && !bracket && uri.want.params.is_empty();
            let mut text = match (&display, addr_spec) {
                (_, true) => uri.text.clone(),
                (Some((written, _)), _) => format!("{written} <{}>", uri.text),
                (None, _) => format!("<{}>", uri.text),
            };
            if let Some(t) = &tag {
                text.push_str(&format!("{semi}tag{eq}{t}"));
            }
            GenNameAddr {
                text,
                display: display.map(|(_, d)| d).filter(|d| !d.is_empty()),
                uri: uri.text,
                tag,
            }
        },
    )
}

fn via() -> impl Strategy<Value = GenVia> {
    let transport = prop_oneof![
        proptest::sample::select(&["UDP", "TCP", "TLS", "SCTP", "WS"][..]).prop_map(str::to_owned),
        "[A-Z]{2,8}"
    ];
    let slash = prop::sample::select(&["/", " / ", "  /"][..]);
    let port = prop::option::of(1u16..);
    (
        transport,
        slash,
        host(),
        port,
        "[A-Za-z0-9.-]{1,12}",
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(transport, slash, host, port, id, rport, space_before_semi)| {
                let branch = format!("z9hG4bK{id}");
                let mut text = format!("SIP{slash}2.0{slash}{transport} {host}");
                if let Some(p) = port {
                    text.push_str(&format!(":{p}"));
                }
                if space_before_semi {
                    text.push(' ');
                }
                text.push_str(&format!(";branch={branch}"));
                if rport {
                    text.push_str(";rport");
                }
                GenVia {
                    text,
                    transport,
                    host,
                    port,
                    branch,
                }
            },
        )
}

fn style() -> impl Strategy<Value = Style> {
    (
        any::<bool>(),
        0u8..3,
        prop::sample::select(&["", "", " ", "  ", "\t"][..]),
        prop::sample::select(&["", " ", " ", "   ", "\t"][..]),
        prop::bool::weighted(0.3),
    )
        .prop_map(|(compact, case, before_colon, after_colon, fold)| Style {
            compact,
            case,
            before_colon,
            after_colon,
            fold,
        })
}

fn message() -> impl Strategy<Value = GenMessage> {
    let kind = prop_oneof![
        3 => (method(), sip_uri()).prop_map(|(method, uri)| Kind::Request { method, uri }),
        1 => (100u16..700, "[A-Za-z][A-Za-z ]{0,15}").prop_map(|(code, reason)| Kind::Response { code, reason }),
    ];
    let call_id = "[A-Za-z0-9.!%*_+`'~()<>:\\\\/\"\\[\\]?{}-]{1,16}(@[a-z0-9.]{1,10})?";
    let vias = prop::collection::vec(prop::collection::vec(via(), 1..3), 1..3);
    let extras = prop::collection::vec(
        ("X-[A-Za-z0-9-]{1,10}", "[!-~]{1,8}( [!-~]{1,8}){0,3}"),
        0..4,
    );
    let body = prop::collection::vec(any::<u8>(), 0..80);
    let parts = (
        kind,
        call_id,
        (any::<u32>(), method()),
        name_addr(true),
        name_addr(true),
        vias,
    );
    let more = (
        prop::option::of((any::<u8>(), 0usize..3)),
        prop::collection::vec(sip_uri(), 0..3),
        extras,
        body,
        prop::collection::vec(style(), 16),
        prop::collection::vec(any::<u8>(), 16),
        prop::bool::weighted(0.2),
    );
    (parts, more).prop_map(
        |(
            (kind, call_id, cseq, from, to, via_lines),
            (max_forwards, routes, extras, body, styles, keys, lf_only),
        )| {
            // A request's CSeq carries its own method (RFC 3261 §8.1.1.5).
            let cseq = match &kind {
                Kind::Request { method, .. } => (cseq.0, method.clone()),
                Kind::Response { .. } => cseq,
            };
            GenMessage {
                kind,
                call_id,
                cseq,
                from,
                to,
                via_lines,
                max_forwards,
                routes,
                extras,
                body,
                styles,
                keys,
                lf_only,
            }
        },
    )
}

fn apply_case(name: &str, case: u8) -> String {
    match case {
        0 => name.to_owned(),
        1 => name.to_ascii_lowercase(),
        _ => name.to_ascii_uppercase(),
    }
}

/// Replaces the first lone space of `value` by a folded line break (RFC 3261 §7.3.1: the
/// whole LWS reads as one SP, so a space next to another one is left alone).
fn fold(value: &str, eol: &str) -> String {
    let b = value.as_bytes();
    let lone = (1..b.len().saturating_sub(1))
        .find(|&i| b[i] == b' ' && b[i - 1] != b' ' && b[i + 1] != b' ');
    match lone {
        Some(i) => format!("{}{eol} {}", &value[..i], &value[i + 1..]),
        None => value.to_owned(),
    }
}

impl GenMessage {
    fn render(&self) -> Vec<u8> {
        let eol = if self.lf_only { "\n" } else { "\r\n" };
        // (long name, compact name, value, is a Via line)
        let mut lines: Vec<(&str, Option<&str>, String, bool)> = Vec::new();
        for group in &self.via_lines {
            let value = group
                .iter()
                .map(|v| v.text.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            lines.push(("Via", Some("v"), value, true));
        }
        lines.push(("From", Some("f"), self.from.text.clone(), false));
        lines.push(("To", Some("t"), self.to.text.clone(), false));
        lines.push(("Call-ID", Some("i"), self.call_id.clone(), false));
        lines.push((
            "CSeq",
            None,
            format!("{} {}", self.cseq.0, self.cseq.1),
            false,
        ));
        if let Some((mf, zeros)) = self.max_forwards {
            lines.push((
                "Max-Forwards",
                None,
                format!("{}{mf}", "0".repeat(zeros)),
                false,
            ));
        }
        if !self.routes.is_empty() {
            let value = self
                .routes
                .iter()
                .map(|r| format!("<{}>", r.text))
                .collect::<Vec<_>>()
                .join(",");
            lines.push(("Route", None, value, false));
        }
        for (name, value) in &self.extras {
            lines.push((name.as_str(), None, value.clone(), false));
        }
        lines.push((
            "Content-Length",
            Some("l"),
            self.body.len().to_string(),
            false,
        ));

        // Shuffle the lines by key, keeping the Via lines in their order.
        let mut keys: Vec<u8> = (0..lines.len())
            .map(|i| self.keys[i % self.keys.len()].wrapping_add(i as u8))
            .collect();
        let mut via_keys: Vec<u8> = lines
            .iter()
            .zip(&keys)
            .filter(|(l, _)| l.3)
            .map(|(_, k)| *k)
            .collect();
        via_keys.sort_unstable();
        let mut via_keys = via_keys.into_iter();
        for (l, k) in lines.iter().zip(keys.iter_mut()) {
            if l.3 {
                *k = via_keys.next().unwrap();
            }
        }
        let mut order: Vec<usize> = (0..lines.len()).collect();
        order.sort_by_key(|&i| (keys[i], i));

        let mut out = match &self.kind {
            Kind::Request { method, uri } => format!("{method} {} SIP/2.0{eol}", uri.text),
            Kind::Response { code, reason } => format!("SIP/2.0 {code} {reason}{eol}"),
        };
        for (n, &i) in order.iter().enumerate() {
            let (long, compact, value, _) = &lines[i];
            let style = &self.styles[n % self.styles.len()];
            let name = match compact {
                Some(c) if style.compact => apply_case(c, style.case),
                _ => apply_case(long, style.case),
            };
            let value = if style.fold {
                fold(value, eol)
            } else {
                value.clone()
            };
            out.push_str(&format!(
                "{name}{}:{}{value}{eol}",
                style.before_colon, style.after_colon
            ));
        }
        out.push_str(eol);
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }

    fn vias(&self) -> Vec<&GenVia> {
        self.via_lines.iter().flatten().collect()
    }
}

fn check_typed_values(g: &GenMessage, m: &SipMessage) -> Result<(), TestCaseError> {
    match &g.kind {
        Kind::Request { method, uri } => {
            prop_assert_eq!(m.method(), Some(&Method::parse(method).unwrap()));
            prop_assert_eq!(m.request_uri(), Some(uri.text.as_str()));
            prop_assert_eq!(Uri::parse(m.request_uri().unwrap()), Some(uri.want.clone()));
        }
        Kind::Response { code, reason } => {
            prop_assert_eq!(m.status(), Some(*code));
            prop_assert_eq!(m.reason(), Some(reason.as_str()));
        }
    }
    prop_assert_eq!(m.call_id(), g.call_id.as_str());
    prop_assert_eq!(m.cseq().number, g.cseq.0);
    prop_assert_eq!(m.cseq().method.as_str(), g.cseq.1.as_str());
    for (got, want) in [(m.from(), &g.from), (m.to(), &g.to)] {
        prop_assert_eq!(&got.display, &want.display);
        prop_assert_eq!(&got.uri, &want.uri);
        prop_assert_eq!(got.tag(), want.tag.as_deref());
    }
    let vias = m.list(&HeaderName::Via);
    prop_assert_eq!(vias.len(), g.vias().len());
    for (e, want) in vias.iter().zip(g.vias()) {
        let got = dialogd_sip::values::Via::parse(&m.element(e)).unwrap();
        prop_assert_eq!(&got.transport, &want.transport);
        prop_assert_eq!(&got.host, &want.host);
        prop_assert_eq!(got.port, want.port);
        prop_assert_eq!(got.branch(), Some(want.branch.as_str()));
    }
    let top = m.top_via();
    prop_assert_eq!(top.branch(), Some(g.vias()[0].branch.as_str()));
    prop_assert_eq!(
        m.max_forwards(),
        g.max_forwards.map(|(mf, _)| u32::from(mf))
    );
    let routes = m.list(&HeaderName::Route);
    prop_assert_eq!(routes.len(), g.routes.len());
    for (e, want) in routes.iter().zip(&g.routes) {
        let got = NameAddr::parse(&m.element(e)).unwrap().uri();
        prop_assert_eq!(got, Some(want.want.clone()));
    }
    for (name, value) in &g.extras {
        let got: Vec<String> = m
            .header_all(&HeaderName::parse(name))
            .map(|v| v.into_owned())
            .collect();
        prop_assert!(got.contains(value), "{name}: {got:?} lacks {value:?}");
    }
    prop_assert_eq!(m.body(), &g.body[..]);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn generated_messages_index_and_give_back_their_values(g in message()) {
        let bytes = g.render();
        let m = SipMessage::parse(Bytes::from(bytes.clone()));
        prop_assert!(m.is_ok(), "{:?}\n{}", m.as_ref().err(), String::from_utf8_lossy(&bytes));
        let m = m.unwrap();
        check_typed_values(&g, &m)?;
        prop_assert_eq!(&m.wire_bytes()[..], &bytes[..]);
        prop_assert_eq!(&Splice::new(&m).build()[..], &bytes[..], "an empty splice is the identity");
    }

    #[test]
    fn framing_splits_a_stream_of_generated_messages_exactly(
        msgs in prop::collection::vec((message(), 0usize..3), 1..6),
    ) {
        let mut stream = Vec::new();
        let mut want = Vec::new();
        for (g, pings) in &msgs {
            let bytes = g.render();
            let ping: &[u8] = if g.lf_only { b"\n" } else { b"\r\n" };
            stream.extend(std::iter::repeat_n(ping, *pings).flatten());
            want.push((pings * ping.len(), bytes.clone()));
            stream.extend_from_slice(&bytes);
        }
        let mut at = 0;
        for (skip, bytes) in want {
            let frame = framing::frame(&stream[at..]);
            prop_assert_eq!(frame, Ok(Frame::Message { skip, len: bytes.len() }));
            at += skip;
            prop_assert_eq!(&stream[at..at + bytes.len()], &bytes[..]);
            prop_assert!(SipMessage::parse(Bytes::copy_from_slice(&stream[at..at + bytes.len()])).is_ok());
            at += bytes.len();
            // A cut anywhere in the message is only ever "need more bytes".
            if at > 1 {
                let cut = (at * 7) % bytes.len().max(1);
                let partial = &stream[at - bytes.len()..at - bytes.len() + cut];
                let f = framing::frame(partial);
                prop_assert!(matches!(f, Ok(Frame::Incomplete) | Ok(Frame::KeepAlive { .. })), "{:?}", f);
            }
        }
        prop_assert_eq!(at, stream.len());
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let parsed = SipMessage::parse(Bytes::from(bytes.clone()));
        let _ = framing::frame(&bytes);
        if let Err(e) = &parsed {
            let _ = build_bad_request(&bytes, &e.to_string());
        }
    }

    #[test]
    fn damaged_messages_never_panic_and_refusals_answer_sanely(
        g in message(),
        damage in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..8),
    ) {
        let mut bytes = g.render();
        for (at, byte, op) in damage {
            if bytes.is_empty() {
                break;
            }
            let i = at.index(bytes.len());
            match op {
                0 => bytes[i] = byte,
                1 => { bytes.remove(i); }
                _ => bytes.insert(i, byte),
            }
        }
        let _ = framing::frame(&bytes);
        match SipMessage::parse(Bytes::from(bytes.clone())) {
            Ok(m) => {
                let _ = (m.from(), m.to(), m.top_via(), m.max_forwards(), m.list(&HeaderName::Route));
                prop_assert_eq!(&Splice::new(&m).build()[..], &m.wire_bytes()[..]);
            }
            Err(e) => {
                if let Some(resp) = build_bad_request(&bytes, &e.to_string()) {
                    prop_assert!(resp.starts_with(b"SIP/2.0 400 "));
                    prop_assert!(resp.ends_with(b"\r\nContent-Length: 0\r\n\r\n"));
                    let first = resp.split(|&b| b == b'\r').next().unwrap();
                    prop_assert!(first.iter().all(|&b| (b' '..=b'~').contains(&b)));
                }
            }
        }
    }
}
