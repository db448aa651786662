//! Why a call failed. No variant carries the API key.

/// A failed call or send.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No key was given.
    #[error("no API key: set MAPHUB_API_KEY or pass --api-key-file")]
    MissingKey,
    /// The key file could not be read.
    #[error("cannot read the API key file {path}: {message}")]
    KeyFile {
        /// The file.
        path: String,
        /// Why.
        message: String,
    },
    /// The server URL is not usable.
    #[error("invalid server URL `{url}`: {why}")]
    BadServer {
        /// The URL as given.
        url: String,
        /// Why it was refused.
        why: String,
    },
    /// The server could not be reached, or the connection broke.
    #[error("could not reach {url}: {message}")]
    Transport {
        /// The endpoint's URL.
        url: String,
        /// What happened.
        message: String,
        /// False when the request provably never reached the server (connection
        /// refused, name not found), so sending it again cannot apply it twice.
        maybe_sent: bool,
    },
    /// The server answered with an HTTP error status.
    #[error("HTTP {status} from {url}: {excerpt}")]
    Http {
        /// The status.
        status: u16,
        /// The endpoint's URL.
        url: String,
        /// The start of the body.
        excerpt: String,
    },
    /// MapHub answered with an `error` (HTTP 200, as it does for every error).
    #[error("MapHub: {0}")]
    Api(String),
    /// The answer was not what the API documents.
    #[error("unexpected answer from {url}: {message}")]
    Decode {
        /// The endpoint's URL.
        url: String,
        /// What was wrong.
        message: String,
    },
    /// `map/refresh_image` is limited to one call per map every 5 minutes.
    #[error("the image of map {map_id} was refreshed less than 5 minutes ago; try again in {wait_secs} s")]
    RateLimited {
        /// The map.
        map_id: u64,
        /// Seconds until a call is allowed.
        wait_secs: u64,
    },
    /// One feature alone is larger than the upload limit, so no split can send it.
    #[error("feature {index} alone is {bytes} bytes as GeoJSON, over the limit of {limit}")]
    FeatureTooLarge {
        /// The feature's index in the document.
        index: usize,
        /// Its size.
        bytes: u64,
        /// The limit.
        limit: u64,
    },
    /// An earlier send left a journal that does not match this one, or cannot be read.
    #[error("journal {path}: {message}")]
    Journal {
        /// The journal file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// The send was stopped (Ctrl-C) before it finished.
    #[error("stopped before the send finished")]
    Interrupted,
    /// Every chunk was reported landed, but the map does not hold what was sent.
    #[error("{0}")]
    Verify(String),
    /// Reading or writing a local file failed.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// The core library could not write the document.
    #[error(transparent)]
    Geonorm(#[from] geonorm::Error),
}

/// Result with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
