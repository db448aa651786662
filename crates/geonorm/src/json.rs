//! A JSON parser that remembers where every value is, for `check`.
//!
//! Reading GeoJSON goes through serde_json, which is fast but keeps no positions
//! inside a feature and drops duplicate keys. Checking a file against RFC 7946 needs
//! both: an error in a ring points at the ring, and a duplicate member is a finding.
//! Written by hand because no maintained crate gives byte spans for every value; it is
//! iterative (an explicit stack), so deep nesting cannot overflow the call stack.

use std::collections::HashSet;

/// Duplicate members listed one by one in one parse; the rest are counted: a feature
/// of millions of the same key must not become millions of stored findings.
pub(crate) const MAX_DUPLICATES: usize = 100;

/// A JSON value with the byte range it came from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Val {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Kind {
    Null,
    Bool(bool),
    /// A number, and how many digits it has after the decimal point.
    Num(f64, u32),
    Str(String),
    Arr(Vec<Val>),
    Obj(Vec<Member>),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Member {
    pub key: String,
    pub key_start: usize,
    pub value: Val,
}

impl Val {
    /// The member `key`; of duplicates, the last, as JavaScript's `JSON.parse` and
    /// most readers take it.
    pub fn get(&self, key: &str) -> Option<&Val> {
        match &self.kind {
            Kind::Obj(m) => m.iter().rev().find(|m| m.key == key).map(|m| &m.value),
            _ => None,
        }
    }

    pub fn members(&self) -> &[Member] {
        match &self.kind {
            Kind::Obj(m) => m,
            _ => &[],
        }
    }

    pub fn items(&self) -> Option<&[Val]> {
        match &self.kind {
            Kind::Arr(a) => Some(a),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self.kind {
            Kind::Num(v, _) => Some(v),
            _ => None,
        }
    }

    /// "an object", "a number"…, for messages.
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            Kind::Null => "null",
            Kind::Bool(_) => "a boolean",
            Kind::Num(..) => "a number",
            Kind::Str(_) => "a string",
            Kind::Arr(_) => "an array",
            Kind::Obj(_) => "an object",
        }
    }
}

impl Val {
    /// Moves every offset in the value by `by` (a value parsed from a piece of a
    /// larger text, placed where the piece starts).
    pub fn shift(&mut self, by: usize) {
        // An explicit stack: values may nest as deeply as the parser allows.
        let mut stack = vec![self];
        while let Some(v) = stack.pop() {
            v.start += by;
            v.end += by;
            match &mut v.kind {
                Kind::Arr(items) => stack.extend(items.iter_mut()),
                Kind::Obj(members) => {
                    for m in members.iter_mut() {
                        m.key_start += by;
                        stack.push(&mut m.value);
                    }
                }
                _ => {}
            }
        }
    }
}

/// Where the JSON is broken.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SyntaxError {
    pub message: String,
    pub offset: usize,
}

/// Nesting deeper than this is refused: GeoJSON needs 5 levels of arrays, and a
/// feature's properties rarely more than a handful.
const MAX_DEPTH: usize = 512;

enum Open {
    Arr(Vec<Val>, usize),
    /// Members so far, the pending key and its offset, start offset, and the members'
    /// names once there are many (a search of the list for each would be quadratic).
    Obj(
        Vec<Member>,
        Option<(String, usize)>,
        usize,
        Option<HashSet<String>>,
    ),
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
    /// Duplicate member names met: (name, offset of the second), the first
    /// [`MAX_DUPLICATES`] of them.
    pub dups: Vec<(String, usize)>,
    /// How many more were met.
    pub more_dups: usize,
    /// When set, only these members of the root object have their object, array or
    /// string values parsed; the others stand for their kind (see [`parse_shallow`]).
    keep: Option<&'static [&'static str]>,
    /// Whether the root's `geometry`'s `coordinates` stand for their kind too (see
    /// [`parse_outline`]).
    outline: bool,
}

impl<'a> Parser<'a> {
    fn err<T>(&self, message: impl Into<String>) -> Result<T, SyntaxError> {
        Err(SyntaxError {
            message: message.into(),
            offset: self.i.min(self.b.len()),
        })
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    fn string(&mut self) -> Result<String, SyntaxError> {
        // At the opening quote.
        let start = self.i;
        self.i += 1;
        let mut out = String::new();
        loop {
            let rest = self.b.get(self.i..).unwrap_or_default();
            let Some(j) = memchr::memchr2(b'"', b'\\', rest) else {
                self.i = self.b.len();
                return self.err("unterminated string");
            };
            let chunk = &rest[..j];
            if chunk.iter().any(|&c| c < 0x20) {
                return self.err("control character in a string");
            }
            match std::str::from_utf8(chunk) {
                Ok(s) => out.push_str(s),
                Err(_) => return self.err("invalid UTF-8 in a string"),
            }
            self.i += j;
            if self.b[self.i] == b'"' {
                self.i += 1;
                return Ok(out);
            }
            // A backslash escape.
            self.i += 1;
            let Some(&e) = self.b.get(self.i) else {
                return self.err("unterminated string");
            };
            self.i += 1;
            match e {
                b'"' => out.push('"'),
                b'\\' => out.push('\\'),
                b'/' => out.push('/'),
                b'b' => out.push('\u{8}'),
                b'f' => out.push('\u{c}'),
                b'n' => out.push('\n'),
                b'r' => out.push('\r'),
                b't' => out.push('\t'),
                b'u' => {
                    let hex = |p: &mut Self| -> Result<u32, SyntaxError> {
                        let h =
                            p.b.get(p.i..p.i + 4)
                                .and_then(|h| std::str::from_utf8(h).ok());
                        match h.and_then(|h| u32::from_str_radix(h, 16).ok()) {
                            Some(v) => {
                                p.i += 4;
                                Ok(v)
                            }
                            None => p.err("bad \\u escape"),
                        }
                    };
                    let hi = hex(self)?;
                    let c = if (0xD800..0xDC00).contains(&hi)
                        && self.b.get(self.i..self.i + 2) == Some(b"\\u")
                    {
                        self.i += 2;
                        let lo = hex(self)?;
                        char::from_u32(
                            0x10000 + ((hi - 0xD800) << 10) + (lo.wrapping_sub(0xDC00) & 0x3FF),
                        )
                    } else {
                        char::from_u32(hi)
                    };
                    out.push(c.unwrap_or('\u{FFFD}'));
                }
                _ => return self.err("bad escape in a string"),
            }
            let _ = start;
        }
    }

    fn number(&mut self) -> Result<Kind, SyntaxError> {
        let start = self.i;
        if self.b.get(self.i) == Some(&b'-') {
            self.i += 1;
        }
        let digits = |p: &mut Self| {
            let s = p.i;
            while p.b.get(p.i).is_some_and(u8::is_ascii_digit) {
                p.i += 1;
            }
            p.i - s
        };
        if self.b.get(self.i) == Some(&b'0')
            && self.b.get(self.i + 1).is_some_and(u8::is_ascii_digit)
        {
            self.i += 1;
            return self.err("a number cannot start with 0");
        }
        if digits(self) == 0 {
            return self.err("expected a value");
        }
        let mut decimals = 0;
        if self.b.get(self.i) == Some(&b'.') {
            self.i += 1;
            decimals = digits(self);
            if decimals == 0 {
                return self.err("expected digits after the decimal point");
            }
        }
        if let Some(b'e' | b'E') = self.b.get(self.i) {
            self.i += 1;
            if let Some(b'+' | b'-') = self.b.get(self.i) {
                self.i += 1;
            }
            if digits(self) == 0 {
                return self.err("expected digits in the exponent");
            }
        }
        let text = std::str::from_utf8(&self.b[start..self.i]).unwrap_or("0");
        match text.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(Kind::Num(v, decimals as u32)),
            _ => {
                self.i = start;
                self.err(format!("number `{text}` is out of range"))
            }
        }
    }

    fn literal(&mut self, word: &[u8], kind: Kind) -> Result<Kind, SyntaxError> {
        if self.b.get(self.i..self.i + word.len()) == Some(word) {
            self.i += word.len();
            Ok(kind)
        } else {
            self.err("expected a value")
        }
    }

    /// Whether the value about to be read is a root member's that [`parse_shallow`]
    /// leaves unread.
    fn skipped(&self, stack: &[Open]) -> bool {
        match (self.keep, stack) {
            (Some(keep), [Open::Obj(_, Some((key, _)), ..)]) => !keep.contains(&key.as_str()),
            (Some(_), [Open::Obj(_, Some((g, _)), ..), Open::Obj(_, Some((c, _)), ..)]) => {
                self.outline && g == "geometry" && c == "coordinates"
            }
            _ => false,
        }
    }

    /// Steps over a string (at its opening quote).
    fn skip_string(&mut self) -> Result<(), SyntaxError> {
        self.i += 1;
        loop {
            let rest = self.b.get(self.i..).unwrap_or_default();
            let Some(j) = memchr::memchr2(b'"', b'\\', rest) else {
                self.i = self.b.len();
                return self.err("unterminated string");
            };
            self.i += j + 1;
            if rest[j] == b'"' {
                return Ok(());
            }
            // The escaped character, whatever it is.
            self.i += 1;
        }
    }

    /// Steps over an object, array or string without building it, giving an empty
    /// one of its kind; `None` for the other values (read as usual, they are small).
    fn skip(&mut self) -> Option<Result<Kind, SyntaxError>> {
        let open = *self.b.get(self.i)?;
        if open == b'"' {
            return Some(self.skip_string().map(|()| Kind::Str(String::new())));
        }
        if open != b'{' && open != b'[' {
            return None;
        }
        let mut depth = 0usize;
        while let Some(&c) = self.b.get(self.i) {
            match c {
                b'"' => {
                    if let Err(e) = self.skip_string() {
                        return Some(Err(e));
                    }
                    continue;
                }
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        self.i += 1;
                        return Some(Ok(if open == b'{' {
                            Kind::Obj(Vec::new())
                        } else {
                            Kind::Arr(Vec::new())
                        }));
                    }
                }
                _ => {}
            }
            self.i += 1;
        }
        Some(self.err("unexpected end of file"))
    }

    fn parse(&mut self) -> Result<Val, SyntaxError> {
        let mut stack: Vec<Open> = Vec::new();
        loop {
            // Expect a value (or the end of an empty container).
            self.ws();
            let start = self.i;
            let skipped = if self.skipped(&stack) {
                self.skip()
            } else {
                None
            };
            let value = match self.b.get(self.i) {
                _ if skipped.is_some() => Val {
                    kind: skipped.unwrap_or(Ok(Kind::Null))?,
                    start,
                    end: self.i,
                },
                Some(b'{') | Some(b'[') if stack.len() >= MAX_DEPTH => {
                    return self.err(format!("nested deeper than {MAX_DEPTH} levels"))
                }
                Some(b'{') => {
                    self.i += 1;
                    self.ws();
                    if self.b.get(self.i) == Some(&b'}') {
                        self.i += 1;
                        Val {
                            kind: Kind::Obj(Vec::new()),
                            start,
                            end: self.i,
                        }
                    } else {
                        let key = self.key()?;
                        stack.push(Open::Obj(Vec::new(), Some(key), start, None));
                        continue;
                    }
                }
                Some(b'[') => {
                    self.i += 1;
                    self.ws();
                    if self.b.get(self.i) == Some(&b']') {
                        self.i += 1;
                        Val {
                            kind: Kind::Arr(Vec::new()),
                            start,
                            end: self.i,
                        }
                    } else {
                        stack.push(Open::Arr(Vec::new(), start));
                        continue;
                    }
                }
                Some(b'"') => {
                    let s = self.string()?;
                    Val {
                        kind: Kind::Str(s),
                        start,
                        end: self.i,
                    }
                }
                Some(b't') => Val {
                    kind: self.literal(b"true", Kind::Bool(true))?,
                    start,
                    end: self.i,
                },
                Some(b'f') => Val {
                    kind: self.literal(b"false", Kind::Bool(false))?,
                    start,
                    end: self.i,
                },
                Some(b'n') => Val {
                    kind: self.literal(b"null", Kind::Null)?,
                    start,
                    end: self.i,
                },
                Some(b'-' | b'0'..=b'9') => Val {
                    kind: self.number()?,
                    start,
                    end: self.i,
                },
                Some(_) => return self.err("expected a value"),
                None => return self.err("unexpected end of file"),
            };
            // Attach the value and close whatever it completes.
            let mut value = value;
            loop {
                match stack.last_mut() {
                    None => return Ok(value),
                    Some(Open::Arr(items, _)) => {
                        items.push(value);
                        self.ws();
                        match self.b.get(self.i) {
                            Some(b',') => {
                                self.i += 1;
                                break;
                            }
                            Some(b']') => {
                                self.i += 1;
                                let Some(Open::Arr(items, s)) = stack.pop() else {
                                    unreachable!()
                                };
                                value = Val {
                                    kind: Kind::Arr(items),
                                    start: s,
                                    end: self.i,
                                };
                            }
                            _ => return self.err("expected `,` or `]`"),
                        }
                    }
                    Some(Open::Obj(members, pending, _, names)) => {
                        let (key, key_start) = pending.take().unwrap_or_default();
                        let seen = if members.len() < 16 && names.is_none() {
                            members.iter().any(|m| m.key == key)
                        } else {
                            let names = names.get_or_insert_with(|| {
                                members.iter().map(|m| m.key.clone()).collect()
                            });
                            !names.insert(key.clone())
                        };
                        if seen && self.dups.len() < MAX_DUPLICATES {
                            self.dups.push((key.clone(), key_start));
                        } else if seen {
                            self.more_dups += 1;
                        }
                        members.push(Member {
                            key,
                            key_start,
                            value,
                        });
                        self.ws();
                        match self.b.get(self.i) {
                            Some(b',') => {
                                self.i += 1;
                                let key = self.key()?;
                                if let Some(Open::Obj(_, pending, ..)) = stack.last_mut() {
                                    *pending = Some(key);
                                }
                                break;
                            }
                            Some(b'}') => {
                                self.i += 1;
                                let Some(Open::Obj(members, _, s, _)) = stack.pop() else {
                                    unreachable!()
                                };
                                value = Val {
                                    kind: Kind::Obj(members),
                                    start: s,
                                    end: self.i,
                                };
                            }
                            _ => return self.err("expected `,` or `}`"),
                        }
                    }
                }
            }
        }
    }

    /// A member name and the colon after it.
    fn key(&mut self) -> Result<(String, usize), SyntaxError> {
        self.ws();
        let at = self.i;
        if self.b.get(self.i) != Some(&b'"') {
            return self.err("expected a member name");
        }
        let k = self.string()?;
        self.ws();
        if self.b.get(self.i) != Some(&b':') {
            return self.err("expected `:`");
        }
        self.i += 1;
        Ok((k, at))
    }
}

/// A parsed document and the duplicate member names in it.
#[derive(Debug)]
pub(crate) struct Parsed {
    pub root: Val,
    pub duplicates: Vec<(String, usize)>,
    /// How many duplicates were met past the first [`MAX_DUPLICATES`], not listed.
    pub more_duplicates: usize,
}

/// Parses a whole JSON text (a UTF-8 byte order mark is skipped).
pub(crate) fn parse(bytes: &[u8]) -> Result<Parsed, SyntaxError> {
    let skip = if bytes.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    parse_from(bytes, skip, None, false)
}

/// Parses an object as [`parse`] does, except the values of its members not named in
/// `keep`: an object, array or string there is stepped over and stands as an empty one
/// (its kind and span are right, its content is not read). For text already known to
/// be JSON (serde read it), when the rules look only at those members' kinds: most of
/// a feature's bytes may be properties that the rules never read.
pub(crate) fn parse_shallow(
    bytes: &[u8],
    keep: &'static [&'static str],
) -> Result<Parsed, SyntaxError> {
    parse_from(bytes, 0, Some(keep), false)
}

/// [`parse_shallow`], with the `coordinates` of the root's `geometry` stepped over too:
/// the outline of a feature whose positions are looked at another way.
pub(crate) fn parse_outline(
    bytes: &[u8],
    keep: &'static [&'static str],
) -> Result<Parsed, SyntaxError> {
    parse_from(bytes, 0, Some(keep), true)
}

/// The root value that starts at or after byte `start`, and nothing after it.
fn parse_from(
    bytes: &[u8],
    start: usize,
    keep: Option<&'static [&'static str]>,
    outline: bool,
) -> Result<Parsed, SyntaxError> {
    let mut p = Parser {
        b: bytes,
        i: start,
        dups: Vec::new(),
        more_dups: 0,
        keep,
        outline,
    };
    let root = p.parse()?;
    p.ws();
    if p.i < bytes.len() {
        return p.err("trailing characters after the root value");
    }
    Ok(Parsed {
        root,
        duplicates: p.dups,
        more_duplicates: p.more_dups,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shallow_parse_reads_only_the_members_kept() {
        let text = br#"{"type":"Feature","properties":{"a":[1,"]}\"x"],"b":{}},"x":"s\"}","geometry":{"type":"Point","coordinates":[1,2]},"n":[]}"#;
        let p = parse_shallow(text, &["type", "geometry"]).expect("json");
        let full = parse(text).expect("json");
        assert_eq!(p.root.get("geometry"), full.root.get("geometry"));
        assert_eq!(p.root.get("type"), full.root.get("type"));
        let props = p.root.get("properties").expect("properties");
        assert_eq!(props.kind, Kind::Obj(Vec::new()));
        let whole = full.root.get("properties").expect("properties");
        assert_eq!((props.start, props.end), (whole.start, whole.end));
        assert_eq!(
            p.root.get("x").map(|v| &v.kind),
            Some(&Kind::Str(String::new()))
        );
        assert_eq!(p.root.get("n").map(|v| v.kind_name()), Some("an array"));
        assert_eq!(p.root.members().len(), 5);
        assert!(parse_shallow(br#"{"a":{"b":"#, &[]).is_err());
    }

    #[test]
    fn values_keep_their_spans() {
        let text = br#"{"a": [1, 2.50, "x\u00e9\ud83d\ude00"], "b": {"c": null}, "a": true}"#;
        let p = parse(text).expect("json");
        let a = &p.root.members()[0].value;
        assert_eq!(
            p.root.get("a").map(|v| &v.kind),
            Some(&Kind::Bool(true)),
            "the last duplicate counts"
        );
        assert_eq!(
            &text[a.start..a.end],
            br#"[1, 2.50, "x\u00e9\ud83d\ude00"]"#
        );
        let items = a.items().expect("array");
        assert_eq!(items[1].kind, Kind::Num(2.5, 2));
        assert_eq!(items[2].as_str(), Some("xé😀"));
        assert_eq!(p.duplicates, vec![("a".to_string(), 58)]);
    }

    #[test]
    fn broken_json_says_where() {
        for (text, at) in [
            ("{\"a\": }", 6),
            ("[1, 2", 5),
            ("{\"a\" 1}", 5),
            ("[1] x", 4),
            ("[1e999]", 1),
            ("[01]", 2),
        ] {
            let e = parse(text.as_bytes()).expect_err(text);
            assert_eq!(e.offset, at, "{text}: {}", e.message);
        }
    }

    #[test]
    fn deep_nesting_is_refused_not_followed() {
        let deep = "[".repeat(100_000) + &"]".repeat(100_000);
        assert!(parse(deep.as_bytes()).is_err());
        let ok = "[".repeat(100) + &"]".repeat(100);
        assert!(parse(ok.as_bytes()).is_ok());
    }
}
