//! The API key: read from the environment or a file, shown to nobody.

use std::fmt;
use std::path::Path;

use crate::{Error, Result};

/// A MapHub API key. `Debug` and `Display` print `ApiKey(***)`; the key itself leaves
/// this type only in the `Authorization` header.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// A key from its text, surrounding ASCII whitespace trimmed. An empty key is
    /// refused, and so is a key with any character other than printable ASCII
    /// (`!`..=`~`): such a character is invisible or cannot go in an HTTP header, and
    /// the error says which and where without showing the key.
    pub fn new(key: impl Into<String>) -> Result<Self> {
        let key = key.into();
        let key = key.trim_matches(|c: char| c.is_ascii_whitespace());
        if key.is_empty() {
            return Err(Error::MissingKey);
        }
        let total = key.chars().count();
        if let Some((i, c)) = key
            .chars()
            .enumerate()
            .find(|(_, c)| !matches!(c, '\x21'..='\x7e'))
        {
            return Err(Error::BadKey(format!(
                "the API key has {} U+{:04X} at position {} (of {total}); only printable \
                 ASCII characters are allowed",
                describe(c),
                u32::from(c),
                i + 1
            )));
        }
        Ok(ApiKey(key.to_string()))
    }

    /// The key in `MAPHUB_API_KEY`, if set.
    pub fn from_env() -> Result<Option<Self>> {
        match std::env::var("MAPHUB_API_KEY") {
            Ok(k) if !k.trim().is_empty() => ApiKey::new(k).map(Some),
            Err(std::env::VarError::NotUnicode(_)) => Err(Error::BadKey(
                "MAPHUB_API_KEY is not valid UTF-8; only printable ASCII characters are \
                 allowed in an API key"
                    .into(),
            )),
            _ => Ok(None),
        }
    }

    /// The key in a file (its first line).
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::KeyFile {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        ApiKey::new(text.lines().next().unwrap_or_default()).map_err(|e| match e {
            Error::BadKey(why) => Error::BadKey(format!("{why} (in {})", path.display())),
            other => other,
        })
    }

    pub(crate) fn header(&self) -> String {
        format!("Token {}", self.0)
    }

    /// `text` with every occurrence of the key replaced by `***`: for anything a server
    /// sends back, which may echo the request — as it is, or as a JSON string or a URL
    /// would spell it (a key with `"`, `\\` or `/` is written otherwise there).
    pub(crate) fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in self.spellings() {
            out = out.replace(&s, "***");
        }
        out
    }

    /// The ways the key may be written back: as it is, JSON-escaped (with `/` as it
    /// is or as `\/`), percent-encoded (upper- or lower-case hex, space as `+` too).
    /// Longest first, so that one spelling never leaves part of another.
    fn spellings(&self) -> Vec<String> {
        let k = &self.0;
        let json = k.replace('\\', "\\\\").replace('"', "\\\"");
        let pct = |lower: bool| {
            k.bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                        char::from(b).to_string()
                    } else if lower {
                        format!("%{b:02x}")
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect::<String>()
        };
        let mut all = vec![
            k.clone(),
            json.replace('/', "\\/"),
            json,
            pct(false),
            pct(true),
        ];
        all.sort_by_key(|s| std::cmp::Reverse(s.len()));
        all.dedup();
        all
    }

    /// A key for the journal's seal, derived from the API key (which cannot be found
    /// from it), so a journal cannot be resealed without the key.
    pub(crate) fn seal_key(&self) -> [u8; 32] {
        crate::seal::hmac_sha256(self.0.as_bytes(), &[b"geonorm journal seal 1"])
    }

    /// The length of the key in bytes.
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    /// The start of a body read in part, as text of at most `chars` characters, the key
    /// redacted: also a start of the key cut off at the end of what was read.
    pub(crate) fn redact_excerpt(&self, bytes: &[u8], chars: usize) -> String {
        let mut text = self.redact(&String::from_utf8_lossy(bytes));
        // A spelling cut off at the end of what was read (all are ASCII, so every
        // prefix is a char boundary).
        for s in self.spellings() {
            if let Some(k) = (1..s.len()).rev().find(|&k| text.ends_with(&s[..k])) {
                text.truncate(text.len() - k);
            }
        }
        text.chars().take(chars).collect()
    }
}

/// What kind of character a refused one is, for the error.
fn describe(c: char) -> &'static str {
    match c {
        ' ' => "a space",
        c if c.is_control() => "a control character",
        '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{00AD}' => {
            "an invisible character"
        }
        c if c.is_whitespace() => "a whitespace character",
        _ => "a non-ASCII character",
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(***)")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_never_shows() {
        let k = ApiKey::new(" s3cr3t-key \n").expect("key");
        assert_eq!(format!("{k:?} {k}"), "ApiKey(***) ApiKey(***)");
        assert_eq!(k.header(), "Token s3cr3t-key");
        assert!(ApiKey::new("  ").is_err());
        assert_eq!(k.redact("x s3cr3t-key y s3cr3t-key"), "x *** y ***");
        assert_eq!(k.redact_excerpt(b"a s3cr3t-key b s3cr3", 100), "a *** b ");
        assert_eq!(k.redact_excerpt(b"abcdef", 3), "abc");
    }

    #[test]
    fn the_key_is_redacted_in_its_json_and_url_spellings_too() {
        let k = ApiKey::new(r#"ab"c\d/ef"#).expect("key");
        let raw = r#"ab"c\d/ef"#;
        for spelled in [
            raw.to_string(),
            r#"ab\"c\\d/ef"#.to_string(),
            r#"ab\"c\\d\/ef"#.to_string(),
            "ab%22c%5Cd%2Fef".to_string(),
            "ab%22c%5cd%2fef".to_string(),
        ] {
            let echoed = format!("{{\"error\": \"bad Token {spelled} here\"}}");
            let red = k.redact(&echoed);
            assert!(red.contains("Token *** here"), "{spelled}: {red}");
            for part in ["ab\"c", "ab\\\"c", "ab%22c"] {
                assert!(!red.contains(part), "{spelled}: {red}");
            }
            // Cut off in the middle of the key: the start is not shown either.
            let cut = &echoed[..echoed.find("here").expect("here") - 4];
            let ex = k.redact_excerpt(cut.as_bytes(), 200);
            assert!(
                !ex.contains("ab\"") && !ex.contains("ab%22") && !ex.contains("ab\\\""),
                "{ex}"
            );
        }
    }

    #[test]
    fn invisible_and_control_characters_are_refused_without_showing_the_key() {
        let key = "abcdefghij0123456789abcdefghij0123456789";
        for (text, what, at) in [
            (
                format!("{key}\u{200B}"),
                "an invisible character U+200B",
                "41 (of 41)",
            ),
            (
                format!("ab\u{7}{key}"),
                "a control character U+0007",
                "3 (of 43)",
            ),
            (format!("ab cd{key}"), "a space U+0020", "3 (of 45)"),
            (
                format!("é{key}"),
                "a non-ASCII character U+00E9",
                "1 (of 41)",
            ),
            (
                format!("{key}\u{A0}"),
                "a whitespace character U+00A0",
                "41 (of 41)",
            ),
        ] {
            let err = ApiKey::new(text).expect_err("refused").to_string();
            assert!(err.contains(what), "{err}");
            assert!(err.contains(&format!("at position {at}")), "{err}");
            assert!(!err.contains("abcdefghij"), "{err}");
        }
        // ASCII whitespace around the key is only trimmed.
        assert!(ApiKey::new(format!("\t{key} \r\n")).is_ok());
    }

    #[test]
    fn from_a_file() {
        let dir = std::env::temp_dir().join(format!("geonorm-key-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let p = dir.join("key");
        std::fs::write(&p, "abc123\nignored\n").expect("write");
        assert_eq!(ApiKey::from_file(&p).expect("key").header(), "Token abc123");
        let missing = ApiKey::from_file(&dir.join("none")).expect_err("missing");
        assert!(missing.to_string().contains("cannot read the API key file"));
        let zw = dir.join("zw");
        std::fs::write(&zw, "abc123\u{200B}\n").expect("write");
        let err = ApiKey::from_file(&zw).expect_err("refused").to_string();
        assert!(err.contains("U+200B") && err.contains("zw"), "{err}");
        assert!(!err.contains("abc123"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
