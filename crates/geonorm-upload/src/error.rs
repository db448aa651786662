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
    /// The API key has a character that cannot be in a key (the message says which and
    /// where, never the key itself).
    #[error("{0}")]
    BadKey(String),
    /// The server URL is not usable.
    #[error("invalid server URL `{url}`: {why}")]
    BadServer {
        /// The URL as given.
        url: String,
        /// Why it was refused.
        why: String,
    },
    /// The request failed before an answer came: it could not be sent, the server
    /// could not be reached, the connection broke or a time limit passed.
    #[error("request to {url} failed: {message}")]
    Transport {
        /// The endpoint's URL.
        url: String,
        /// What happened.
        message: String,
        /// False when the request provably never reached the server (it could not be
        /// built, the name was not found, the connection was refused), so nothing landed
        /// and sending it again cannot apply it twice.
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
    /// The server answered with a redirect, which is never followed: a redirected POST
    /// may be replayed or turned into a GET, and the key would go to another address.
    #[error("HTTP {status} from {url}: the server redirected to {location}; geonorm does not follow redirects (they could send the API key elsewhere or repeat a request), so give the server's final address instead")]
    Redirected {
        /// The status (3xx).
        status: u16,
        /// The endpoint's URL.
        url: String,
        /// The `Location` it named (`(none)` when it named none).
        location: String,
    },
    /// The answer was larger than the limit for this call; the rest was not read.
    #[error("the answer from {url} is larger than {limit} bytes, the most accepted for this call")]
    AnswerTooLarge {
        /// The endpoint's URL.
        url: String,
        /// The limit.
        limit: u64,
    },
    /// The answer holds more JSON values than are decoded for this call: one per
    /// [`ANSWER_BYTES_PER_VALUE`](crate::ANSWER_BYTES_PER_VALUE) bytes of its size
    /// limit, since a decoded value takes up to some 40 times the bytes it is written
    /// in. The rest was not read.
    #[error("the answer from {url} holds more than {values} JSON values, the most decoded for this call (one per {} bytes of its size limit of {limit} bytes: decoded, each takes up to 80 bytes of memory); a program can raise the limit with ClientBuilder::{setting}", crate::ANSWER_BYTES_PER_VALUE)]
    AnswerTooManyValues {
        /// The endpoint's URL.
        url: String,
        /// The most values accepted.
        values: u64,
        /// The size limit they are derived from.
        limit: u64,
        /// The `ClientBuilder` method that sets that limit.
        setting: &'static str,
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
    /// MapHub refused an icon or photo (it answered, so nothing of it landed). The
    /// send can go on without it: `--skip-asset NAME`, or `--no-assets` for none.
    #[error("MapHub refused the {kind} {name}: {message}. To send without it, run the same command with --skip-asset {quoted} (its placemarks get MapHub's default pin, or no photo), or with --no-assets to send no icons or photos; add --resume if geonorm says it kept a journal")]
    AssetRefused {
        /// `marker` or `image`.
        kind: String,
        /// Its name (the archive entry, or the path beside the KML).
        name: String,
        /// The name as a shell word, for the command to copy.
        quoted: String,
        /// What MapHub said.
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
