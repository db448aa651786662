//! Where a unit of the input starts, and serde_json's errors placed in the source.
//!
//! The cursor hands out origins and every part of the reader turns errors inside a
//! unit into source positions, so both depend on this module and it on neither.

use serde_json::Value;

use crate::diag::offset_of_line_col;
use crate::{Error, Result};

/// What kind of JSON value `v` is, with its article, for messages.
pub(super) fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Where a unit of input starts: byte offset, and the 1-based line and byte column.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Origin {
    pub(crate) offset: usize,
    pub(crate) line: usize,
    pub(crate) column: usize,
}

impl Origin {
    /// The origin of the byte `n` bytes into `unit`, which starts at `self`.
    pub(super) fn advance(self, unit: &[u8], n: usize) -> Origin {
        let before = unit.get(..n).unwrap_or(unit);
        match memchr::memrchr(b'\n', before) {
            Some(last) => Origin {
                offset: self.offset + n,
                line: self.line + memchr::memchr_iter(b'\n', before).count(),
                column: n - last,
            },
            None => Origin {
                offset: self.offset + n,
                line: self.line,
                column: self.column + n,
            },
        }
    }
}

/// Turns a serde_json syntax error inside `unit` (which starts at `origin` in the
/// source) into a positioned fatal error.
pub(super) fn syntax_error(e: &serde_json::Error, unit: &[u8], origin: Origin) -> Error {
    let at = origin.advance(unit, offset_of_line_col(unit, e.line(), e.column()));
    Error::Syntax {
        message: crate::diag::json_syntax_message(e),
        offset: at.offset,
        line: at.line,
        column: at.column,
    }
}

/// Parses `unit` (which starts at `origin`), a syntax error placed in the source.
pub(super) fn parse_unit<'a, T: serde::Deserialize<'a>>(
    unit: &'a [u8],
    origin: Origin,
) -> Result<T> {
    serde_json::from_slice(unit).map_err(|e| syntax_error(&e, unit, origin))
}

/// Whether serde_json failed on what the JSON means rather than on its syntax: such
/// a unit is reported and skipped, not fatal.
pub(super) fn is_data_error(e: &serde_json::Error) -> bool {
    matches!(e.classify(), serde_json::error::Category::Data)
}

/// serde_json's message without its " at line … column …", which is relative to the
/// unit, not the source.
pub(super) fn strip_position(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}
