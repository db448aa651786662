//! References as documents write them: where they lead, and the `<img>` tags of a
//! description.

use std::ops::Range;

/// A reference as the document wrote it.
pub(super) enum Href {
    /// A path to look up.
    Local(String),
    /// One of Google Earth's own icons, which the reader already maps to MapHub's.
    Google,
    /// A web address (or `data:`), not fetched.
    Remote,
    /// An absolute path (or a drive letter): outside by definition.
    Absolute,
}

pub(super) fn classify(href: &str) -> Href {
    let h = href.trim();
    let lower = h.to_ascii_lowercase();
    if lower.contains("://") || h.starts_with("//") || lower.starts_with("data:") {
        let google = ["maps.google.com/", "maps.gstatic.com/", "earth.google.com/"]
            .iter()
            .any(|host| lower.contains(host));
        return if google && lower.contains("/mapfiles/") {
            Href::Google
        } else {
            Href::Remote
        };
    }
    let h = h.replace('\\', "/");
    let bytes = h.as_bytes();
    if h.starts_with('/') || (bytes.len() > 1 && bytes[1] == b':') {
        return Href::Absolute;
    }
    let mut rel = h.as_str();
    while let Some(rest) = rel.strip_prefix("./") {
        rel = rest;
    }
    Href::Local(rel.to_string())
}

/// `%XX` escapes decoded (paths written as URLs: `My%20Photo.jpg`); `None` when there
/// are none or they do not decode to UTF-8.
pub(super) fn percent_decoded(s: &str) -> Option<String> {
    if !s.contains('%') {
        return None;
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (
            b[i],
            b.get(i + 1).copied().and_then(hex),
            b.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(hi), Some(lo)) => {
                out.push((hi * 16 + lo) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok().filter(|d| d != s)
}

/// HTML's escapes in an attribute value, decoded (`&amp;` and the like). By hand:
/// quick-xml's `unescape` refuses a whole value for one unknown entity or a bare `&`
/// (`a.jpg?x=1&y=2`), which HTML keeps as written.
pub(super) fn html_unescaped(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let end = tail.find(';').filter(|&e| e <= 10);
        let decoded = end.and_then(|e| {
            let name = &tail[1..e];
            let c = match name {
                "amp" => Some('&'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "lt" => Some('<'),
                "gt" => Some('>'),
                _ => name
                    .strip_prefix("#x")
                    .or_else(|| name.strip_prefix("#X"))
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()))
                    .and_then(char::from_u32),
            }?;
            Some((c, e + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &tail[len..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The `<img>` tags of an HTML text: each tag's byte range and its `src` value's (as
/// written, without quotes). Written by hand because only this one attribute matters
/// and descriptions are fragments an HTML parser crate would rebuild, not keep.
pub(crate) fn img_tags(html: &str) -> Vec<(Range<usize>, Range<usize>)> {
    let b = html.as_bytes();
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(off) = memchr::memchr(b'<', &b[from..]) {
        let start = from + off;
        from = start + 1;
        let is_img = b.len() >= start + 5
            && b[start + 1..start + 4].eq_ignore_ascii_case(b"img")
            && matches!(b[start + 4], b' ' | b'\t' | b'\n' | b'\r' | b'/' | b'>');
        if !is_img {
            continue;
        }
        let mut i = start + 4;
        let mut src = None;
        let end = loop {
            while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r' | b'/') {
                i += 1;
            }
            if i >= b.len() {
                break None;
            }
            if b[i] == b'>' {
                break Some(i + 1);
            }
            let name_start = i;
            while i < b.len() && !matches!(b[i], b' ' | b'\t' | b'\n' | b'\r' | b'=' | b'>' | b'/')
            {
                i += 1;
            }
            let name = &b[name_start..i];
            while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
                i += 1;
            }
            if i >= b.len() || b[i] != b'=' {
                continue;
            }
            i += 1;
            while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
                i += 1;
            }
            let value = match b.get(i) {
                Some(&q @ (b'"' | b'\'')) => {
                    let Some(close) = memchr::memchr(q, &b[i + 1..]) else {
                        break None;
                    };
                    let v = i + 1..i + 1 + close;
                    i = v.end + 1;
                    v
                }
                _ => {
                    let v0 = i;
                    while i < b.len() && !matches!(b[i], b' ' | b'\t' | b'\n' | b'\r' | b'>') {
                        i += 1;
                    }
                    v0..i
                }
            };
            if name.eq_ignore_ascii_case(b"src") && src.is_none() {
                src = Some(value);
            }
        };
        if let (Some(end), Some(src)) = (end, src) {
            found.push((start..end, src));
            from = end;
        }
    }
    found
}
