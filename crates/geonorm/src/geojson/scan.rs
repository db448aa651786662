//! A byte cursor that finds the boundaries of JSON values without building them.
//!
//! The GeoJSON reader walks the root object and the `features` array by hand with this
//! cursor and hands each feature's bytes to serde_json on its own. That keeps memory to
//! one feature at a time, gives every feature an exact byte span, and is the same cut a
//! parallel reader needs. serde_json still checks every byte of every value.

use std::io::BufRead;

use super::origin::Origin;
use crate::Error;

pub(crate) struct Cursor<R> {
    inner: R,
    offset: usize,
    line: usize,
    line_start: usize,
    /// When set, every consumed byte is appended here.
    pub(crate) record: Option<Vec<u8>>,
}

impl<R: BufRead> Cursor<R> {
    pub(crate) fn new(inner: R) -> Self {
        Cursor {
            inner,
            offset: 0,
            line: 1,
            line_start: 0,
            record: None,
        }
    }

    /// Bytes consumed so far.
    pub(crate) fn offset(&self) -> usize {
        self.offset
    }

    /// Where the next byte is.
    pub(crate) fn origin(&self) -> Origin {
        Origin {
            offset: self.offset,
            line: self.line,
            column: self.offset - self.line_start + 1,
        }
    }

    pub(crate) fn syntax_error(&self, message: impl Into<String>) -> Error {
        Error::Syntax {
            message: message.into(),
            offset: self.offset,
            line: self.line,
            column: self.offset - self.line_start + 1,
        }
    }

    pub(crate) fn peek(&mut self) -> Result<Option<u8>, Error> {
        Ok(self.inner.fill_buf()?.first().copied())
    }

    fn consume(&mut self, n: usize, out: Option<&mut Vec<u8>>) -> Result<(), Error> {
        let buf = self.inner.fill_buf()?;
        let taken = &buf[..n.min(buf.len())];
        let n = taken.len();
        if let Some(out) = out {
            out.extend_from_slice(taken);
        }
        if let Some(rec) = &mut self.record {
            rec.extend_from_slice(taken);
        }
        if let Some(last) = memchr::memrchr(b'\n', taken) {
            self.line += memchr::memchr_iter(b'\n', taken).count();
            self.line_start = self.offset + last + 1;
        }
        self.offset += n;
        self.inner.consume(n);
        Ok(())
    }

    /// Consumes one byte.
    pub(crate) fn bump(&mut self) -> Result<(), Error> {
        self.consume(1, None)
    }

    /// Skips a UTF-8 byte order mark at the very start.
    pub(crate) fn skip_bom(&mut self) -> Result<(), Error> {
        if self.inner.fill_buf()?.starts_with(b"\xEF\xBB\xBF") {
            self.consume(3, None)?;
        }
        Ok(())
    }

    pub(crate) fn skip_ws(&mut self) -> Result<(), Error> {
        loop {
            let buf = self.inner.fill_buf()?;
            if buf.is_empty() {
                return Ok(());
            }
            let n = buf
                .iter()
                .position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
                .unwrap_or(buf.len());
            let all = n == buf.len();
            self.consume(n, None)?;
            if !all {
                return Ok(());
            }
        }
    }

    /// Consumes `byte` or fails with a syntax error naming `what`.
    pub(crate) fn expect(&mut self, byte: u8, what: &str) -> Result<(), Error> {
        self.skip_ws()?;
        match self.peek()? {
            Some(b) if b == byte => self.bump(),
            Some(_) => Err(self.syntax_error(format!("expected {what}"))),
            None => Err(self.syntax_error(format!("expected {what}, found end of file"))),
        }
    }

    /// Appends the bytes of the next JSON value to `out`: a string, an object or array
    /// (with everything nested in it), or a scalar up to the next delimiter. Only the
    /// nesting is tracked here; serde_json checks the content.
    pub(crate) fn read_value(&mut self, out: &mut Vec<u8>) -> Result<(), Error> {
        let mut depth = 0usize;
        let mut in_string = false;
        let mut escaped = false;
        let mut started = false;
        loop {
            let buf = self.inner.fill_buf()?;
            if buf.is_empty() {
                return if started && depth == 0 && !in_string {
                    Ok(()) // a scalar at the very end of input
                } else {
                    Err(self.syntax_error("unexpected end of file"))
                };
            }
            let mut end = None;
            let mut i = 0;
            while i < buf.len() {
                let b = buf[i];
                if in_string {
                    if escaped {
                        escaped = false;
                    } else if b == b'\\' {
                        escaped = true;
                    } else if b == b'"' {
                        in_string = false;
                        if depth == 0 {
                            end = Some(i + 1);
                            break;
                        }
                    } else {
                        // Jump to the next quote or backslash: strings are most of the
                        // bytes in property-heavy files.
                        match memchr::memchr2(b'"', b'\\', &buf[i..]) {
                            Some(j) => {
                                i += j;
                                continue;
                            }
                            None => {
                                i = buf.len();
                                continue;
                            }
                        }
                    }
                } else {
                    match b {
                        b'"' => in_string = true,
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            if depth == 0 {
                                end = Some(i);
                                break;
                            }
                            depth -= 1;
                            if depth == 0 {
                                end = Some(i + 1);
                                break;
                            }
                        }
                        b',' | b' ' | b'\t' | b'\n' | b'\r' if depth == 0 => {
                            end = Some(i);
                            break;
                        }
                        _ => {}
                    }
                }
                started = true;
                i += 1;
            }
            let n = end.unwrap_or(buf.len());
            self.consume(n, Some(out))?;
            if end.is_some() {
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(text: &str) -> Vec<String> {
        let mut c = Cursor::new(text.as_bytes());
        let mut out = Vec::new();
        loop {
            c.skip_ws().expect("ws");
            if c.peek().expect("peek").is_none() {
                break;
            }
            let mut v = Vec::new();
            c.read_value(&mut v).expect("value");
            out.push(String::from_utf8(v).expect("utf8"));
            c.skip_ws().expect("ws");
            if c.peek().expect("peek") == Some(b',') {
                c.bump().expect("bump");
            }
        }
        out
    }

    #[test]
    fn splits_values_with_nesting_and_tricky_strings() {
        let got = values(r#"{"a":"}]\"{"} , [1,[2]] ,"x\\",12.5e3, true"#);
        assert_eq!(
            got,
            vec![r#"{"a":"}]\"{"}"#, "[1,[2]]", r#""x\\""#, "12.5e3", "true"]
        );
    }

    #[test]
    fn truncated_value_is_a_syntax_error_with_position() {
        let mut c = Cursor::new(&b"\n\n  {\"a\": [1, 2"[..]);
        c.skip_ws().expect("ws");
        let err = c.read_value(&mut Vec::new()).expect_err("truncated");
        match err {
            Error::Syntax { line, column, .. } => assert_eq!((line, column), (3, 14)),
            other => panic!("unexpected {other:?}"),
        }
    }
}
