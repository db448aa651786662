//! Reading an answer: into a buffer capped in bytes and in JSON values, decoded only
//! once whole.

use std::io::Read;

use serde_json::Value;

use super::Client;
use crate::{Error, Result};

/// An answer may hold at most one JSON value per this many bytes of its size limit
/// (so 16 Mi values for `map/get` and `map/list` with the default 256 MiB, 64 Ki for
/// the other calls' 1 MiB), counted as it is read and refused with
/// [`Error::AnswerTooManyValues`] beyond that. A decoded value takes up to about 80
/// bytes, so a short one (`0,` is two bytes) grows some 40 times when decoded: the
/// count keeps the decoded answer within about 5 times its size limit. Real GeoJSON
/// spends at least 8 to 10 bytes a number, so maps up to about 60 % of the limit pass;
/// a larger limit ([`ClientBuilder::max_map_bytes`](super::ClientBuilder::max_map_bytes))
/// raises the count with it.
pub const ANSWER_BYTES_PER_VALUE: u64 = 16;

/// How much of an HTTP error's body is read, and shown.
pub(super) const EXCERPT_BYTES: u64 = 300;
pub(super) const EXCERPT_CHARS: usize = 200;

/// The most JSON values decoded from an answer of at most `limit` bytes.
pub(super) fn max_values(limit: u64) -> u64 {
    (limit / ANSWER_BYTES_PER_VALUE).max(1)
}

impl Client {
    /// Reads an answer into a buffer of at most `limit` bytes and at most
    /// [`max_values`] JSON values, then decodes it. Read whole first: decoding as it
    /// arrives would build the values of an endless answer (a JSON value takes many
    /// times the bytes it is written in) before the limit on its bytes is reached; and
    /// counted as it arrives, since a complete answer under the byte limit may still
    /// hold more values than memory can.
    pub(super) fn read_answer(
        &self,
        url: &str,
        response: ureq::Response,
        limit: u64,
        setting: &'static str,
    ) -> Result<Value> {
        let mut capped = Capped::new(response.into_reader(), limit, max_values(limit));
        let mut bytes = Vec::new();
        if let Err(e) = capped.read_to_end(&mut bytes) {
            if capped.hit {
                return Err(Error::AnswerTooLarge {
                    url: url.to_string(),
                    limit,
                });
            }
            if capped.too_many {
                return Err(Error::AnswerTooManyValues {
                    url: url.to_string(),
                    values: capped.max_values,
                    limit,
                    setting,
                });
            }
            let mut message = format!("the answer broke off: {e}");
            if e.kind() == std::io::ErrorKind::TimedOut {
                message.push_str(" (the time limit for one request passed)");
            }
            return Err(Error::Transport {
                url: url.to_string(),
                message: self.key.redact(&message),
                maybe_sent: true,
            });
        }
        let v: Value = serde_json::from_slice(&bytes).map_err(|e| Error::Decode {
            url: url.to_string(),
            message: format!(
                "not JSON ({e}): {}",
                self.key.redact_excerpt(&capped.head, 120)
            ),
        })?;
        drop(bytes);
        self.api_error(v)
    }
}

/// Reads at most `left` bytes and fails, setting `hit`, if there is more; fails,
/// setting `too_many`, once what was read may hold more than `max_values` JSON values;
/// keeps the first bytes for an excerpt.
pub(super) struct Capped<R> {
    inner: R,
    left: u64,
    pub(super) hit: bool,
    max_values: u64,
    pub(super) too_many: bool,
    values: ValueCount,
    pub(super) head: Vec<u8>,
}

impl<R> Capped<R> {
    pub(super) fn new(inner: R, limit: u64, max_values: u64) -> Capped<R> {
        Capped {
            inner,
            left: limit,
            hit: false,
            max_values,
            too_many: false,
            values: ValueCount::default(),
            head: Vec::new(),
        }
    }
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.left == 0 {
            // One byte more tells a body of exactly the limit from a larger one.
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => {
                    self.hit = true;
                    Err(std::io::Error::other("the answer is larger than the limit"))
                }
            };
        }
        let max = usize::try_from(self.left)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        let n = self.inner.read(&mut buf[..max])?;
        self.left -= n as u64;
        let got = buf.get(..n).unwrap_or_default();
        self.values.feed(got);
        if self.values.at_most() > self.max_values {
            self.too_many = true;
            return Err(std::io::Error::other(
                "the answer holds more JSON values than the limit",
            ));
        }
        let keep = (EXCERPT_BYTES as usize)
            .saturating_sub(self.head.len())
            .min(n);
        self.head.extend_from_slice(&got[..keep]);
        Ok(n)
    }
}

/// An upper bound on the JSON values in a text, fed as it arrives: one, plus each
/// comma and each opening bracket or brace outside a string. (An object's keys are
/// not counted: each comes with its value, counted.)
#[derive(Debug, Default)]
pub(super) struct ValueCount {
    in_string: bool,
    escaped: bool,
    separators: u64,
}

impl ValueCount {
    /// Counts what `bytes`, the next part of the text, adds.
    pub(super) fn feed(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            if self.escaped {
                // The character after a backslash (`\"`, `\\`, the `u` of `\u…`).
                self.escaped = false;
                bytes = bytes.get(1..).unwrap_or_default();
            } else if self.in_string {
                let Some(at) = memchr::memchr2(b'"', b'\\', bytes) else {
                    return;
                };
                if bytes.get(at) == Some(&b'\\') {
                    self.escaped = true;
                } else {
                    self.in_string = false;
                }
                bytes = bytes.get(at + 1..).unwrap_or_default();
            } else {
                let end = memchr::memchr(b'"', bytes);
                let outside = bytes.get(..end.unwrap_or(bytes.len())).unwrap_or_default();
                let n = memchr::memchr3_iter(b',', b'[', b'{', outside).count();
                self.separators = self.separators.saturating_add(n as u64);
                let Some(at) = end else {
                    return;
                };
                self.in_string = true;
                bytes = bytes.get(at + 1..).unwrap_or_default();
            }
        }
    }

    /// The most values the text so far can hold.
    pub(super) fn at_most(&self) -> u64 {
        self.separators.saturating_add(1)
    }
}
