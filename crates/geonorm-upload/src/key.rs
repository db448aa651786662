//! The API key: read from the environment or a file, shown to nobody.

use std::fmt;
use std::path::Path;

use crate::{Error, Result};

/// A MapHub API key. `Debug` and `Display` print `ApiKey(***)`; the key itself leaves
/// this type only in the `Authorization` header.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// A key from its text (surrounding whitespace trimmed); an empty key is refused.
    pub fn new(key: impl Into<String>) -> Result<Self> {
        let key = key.into().trim().to_string();
        if key.is_empty() || key.contains(['\r', '\n']) {
            return Err(Error::MissingKey);
        }
        Ok(ApiKey(key))
    }

    /// The key in `MAPHUB_API_KEY`, if set.
    pub fn from_env() -> Result<Option<Self>> {
        match std::env::var("MAPHUB_API_KEY") {
            Ok(k) if !k.trim().is_empty() => ApiKey::new(k).map(Some),
            _ => Ok(None),
        }
    }

    /// The key in a file (its first line).
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::KeyFile {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        ApiKey::new(text.lines().next().unwrap_or_default())
    }

    pub(crate) fn header(&self) -> String {
        format!("Token {}", self.0)
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
    }
}
