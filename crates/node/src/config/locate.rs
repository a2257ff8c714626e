//! Finding things in the config file's text: the line and column of a byte offset, the line
//! of a key path such as `dialog.limit_reject_code` or `rules[2].match.from_user`, and the key
//! path written at an offset (with `toml_edit`, which keeps the span of every key and value).
//! Used only to word errors.

use toml_edit::{ImDocument, Item};

/// 1-based line and column (in characters) of a byte offset of `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// One step of a key path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment<'a> {
    Key(&'a str),
    Index(usize),
}

/// Splits `rules[2].match.headers.X-Tenant` into `rules`, `2`, `match`, `headers`, `X-Tenant`.
pub fn segments(path: &str) -> Vec<Segment<'_>> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let (name, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !name.is_empty() {
            out.push(Segment::Key(name));
        }
        while let Some(inner) = rest.strip_prefix('[') {
            let Some(end) = inner.find(']') else { break };
            if let Ok(i) = inner[..end].parse() {
                out.push(Segment::Index(i));
            }
            rest = &inner[end + 1..];
        }
    }
    out
}

/// Line and column where the value at `path` is written, or, if the path goes deeper than
/// the file (a key left at its default inside a table that is there), where the deepest part
/// present is. `None` if the file does not parse or does not mention the first key.
pub fn locate(text: &str, path: &str) -> Option<(usize, usize)> {
    let doc = ImDocument::parse(text).ok()?;
    let mut item: &Item = doc.as_item();
    let mut best = None;
    for seg in segments(path) {
        let next = match seg {
            Segment::Key(k) => {
                let key_span = key_span(item, k);
                let next = item.get(k);
                if let Some(span) = next.and_then(Item::span).or(key_span) {
                    best = Some(span.start);
                }
                next
            }
            Segment::Index(i) => {
                let next = item.get(i);
                if let Some(span) = next.and_then(Item::span) {
                    best = Some(span.start);
                }
                next
            }
        };
        match next {
            Some(n) => item = n,
            None => break,
        }
    }
    best.map(|offset| line_col(text, offset))
}

/// The key path (`rules[1].profiles[0].limit`) of the deepest key or value written at byte
/// `offset`, to name the key of a type error the `toml` parser reports by position only.
pub fn key_at(text: &str, offset: usize) -> Option<String> {
    let doc = ImDocument::parse(text).ok()?;
    let mut path = Vec::new();
    if !walk(doc.as_item(), offset, &mut path) {
        return None;
    }
    let mut out = String::new();
    for seg in path {
        if !out.is_empty() && !seg.starts_with('[') {
            out.push('.');
        }
        out.push_str(&seg);
    }
    Some(out)
}

fn walk(item: &Item, offset: usize, path: &mut Vec<String>) -> bool {
    let within = |span: Option<std::ops::Range<usize>>| {
        span.is_some_and(|s| s.start <= offset && offset < s.end)
    };
    if let Some(table) = item.as_table_like() {
        for (k, v) in table.iter() {
            path.push(k.to_owned());
            let key_hit = within(table.get_key_value(k).and_then(|(key, _)| key.span()));
            // A `[table]`'s span is its header only: look inside it whatever the offset.
            if key_hit || walk(v, offset, path) || (!v.is_table() && within(v.span())) {
                return true;
            }
            path.pop();
        }
        return false;
    }
    if item.is_array_of_tables() || item.is_array() {
        let mut i = 0;
        while let Some(child) = item.get(i) {
            path.push(format!("[{i}]"));
            if walk(child, offset, path) || (!child.is_table() && within(child.span())) {
                return true;
            }
            path.pop();
            i += 1;
        }
    }
    false
}

fn key_span(item: &Item, key: &str) -> Option<std::ops::Range<usize>> {
    if let Some(t) = item.as_table() {
        return t.get_key_value(key).and_then(|(k, _)| k.span());
    }
    item.as_inline_table()
        .and_then(|t| t.get_key_value(key))
        .and_then(|(k, _)| k.span())
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"node_id = 3
sip_listen = "127.0.0.1:5060"

[dialog]
limit_reject_code = 700

[[rules]]
name = "a"

[[rules]]
name = "b"
match = { from_user = "(", headers = { "X-Tenant" = "[" } }
profiles = [
  { name = "caller" },
  { name = "bad/name" },
]

[[rules]]
match.to_user = "*"
[rules.reject]
code = 302
"#;

    #[test]
    fn locate_table() {
        let cases: &[(&str, Option<(usize, usize)>)] = &[
            ("node_id", Some((1, 11))),
            ("sip_listen", Some((2, 14))),
            ("dialog.limit_reject_code", Some((5, 21))),
            ("rules[1].match.from_user", Some((12, 23))),
            ("rules[1].match.headers.X-Tenant", Some((12, 53))),
            ("rules[1].profiles[1].name", Some((15, 12))),
            ("rules[1].profiles[1]", Some((15, 3))),
            ("rules[2].match.to_user", Some((19, 17))),
            ("rules[2].reject.code", Some((21, 8))),
            // Deeper than the file: the deepest part present.
            ("rules[0].match.from_user", Some((7, 1))),
            ("dialog.secret", Some((4, 1))),
            ("grpc_listen", None),
        ];
        for (path, want) in cases {
            assert_eq!(locate(FILE, path), *want, "{path}");
        }
    }

    #[test]
    fn key_at_table() {
        let offset = |line: usize, col: usize| {
            FILE.split_inclusive('\n')
                .take(line - 1)
                .map(str::len)
                .sum::<usize>()
                + col
                - 1
        };
        let cases: &[((usize, usize), Option<&str>)] = &[
            ((1, 1), Some("node_id")),
            ((1, 11), Some("node_id")),
            ((2, 14), Some("sip_listen")),
            ((5, 21), Some("dialog.limit_reject_code")),
            ((8, 8), Some("rules[0].name")),
            ((12, 23), Some("rules[1].match.from_user")),
            ((12, 53), Some("rules[1].match.headers.X-Tenant")),
            ((14, 12), Some("rules[1].profiles[0].name")),
            ((15, 12), Some("rules[1].profiles[1].name")),
            ((19, 17), Some("rules[2].match.to_user")),
            ((21, 8), Some("rules[2].reject.code")),
            ((3, 1), None),
        ];
        for ((line, col), want) in cases {
            assert_eq!(
                key_at(FILE, offset(*line, *col)).as_deref(),
                *want,
                "{line}:{col}"
            );
        }
    }

    #[test]
    fn segments_table() {
        use Segment::*;
        let cases: &[(&str, Vec<Segment<'_>>)] = &[
            ("node_id", vec![Key("node_id")]),
            (
                "rules[2].match.from_user",
                vec![Key("rules"), Index(2), Key("match"), Key("from_user")],
            ),
            (
                "rules[0].profiles[1].value",
                vec![
                    Key("rules"),
                    Index(0),
                    Key("profiles"),
                    Index(1),
                    Key("value"),
                ],
            ),
            ("a[1][2]", vec![Key("a"), Index(1), Index(2)]),
        ];
        for (path, want) in cases {
            assert_eq!(segments(path), *want, "{path}");
        }
    }

    #[test]
    fn line_col_table() {
        let text = "ab\ncdé\nf";
        let cases = [
            (0, (1, 1)),
            (2, (1, 3)),
            (3, (2, 1)),
            (7, (2, 4)),
            (8, (3, 1)),
            (100, (3, 2)),
        ];
        for (offset, want) in cases {
            assert_eq!(line_col(text, offset), want, "offset {offset}");
        }
    }
}
