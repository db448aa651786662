//! What Python hands geonorm as a source: a path (`str`, `pathlib.Path`, any
//! `os.PathLike`), the content (`bytes`, `bytearray`, `memoryview`, anything with the
//! buffer protocol), or a binary file object (anything with `.read()`).

use std::path::PathBuf;

use pyo3::exceptions::{PyOSError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyString};

/// A source as Python gave it: a path, or the bytes themselves with the name
/// diagnostics give them.
pub(crate) enum Src {
    Path(PathBuf),
    Bytes(Vec<u8>, String),
}

/// A file that could not be read, with what Python's `OSError` wants to say so:
/// `errno`, `strerror` and `filename`.
#[derive(Debug)]
pub(crate) struct PathError {
    path: PathBuf,
    error: std::io::Error,
}

impl std::fmt::Display for PathError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot read {}: {}", self.path.display(), self.error)
    }
}

impl std::error::Error for PathError {}

/// An I/O error as a Python exception: one about a named file becomes
/// `OSError(errno, strerror, filename)`, which Python turns into the subclass the errno
/// calls for (`FileNotFoundError`, `PermissionError`…) with those attributes set.
pub(crate) fn os_error(e: std::io::Error) -> PyErr {
    let named = e.get_ref().and_then(|r| r.downcast_ref::<PathError>());
    if let Some(pe) = named {
        if let Some(errno) = pe.error.raw_os_error() {
            // std's text ends in " (os error N)", which Python's own message says first.
            let text = pe.error.to_string();
            let suffix = format!(" (os error {errno})");
            let strerror = text.strip_suffix(&suffix).unwrap_or(&text).to_string();
            let filename = pe.path.display().to_string();
            return PyOSError::new_err((errno, strerror, filename));
        }
    }
    e.into()
}

/// True when `s` starts (after whitespace) as XML or JSON content does.
fn looks_like_content(s: &str) -> bool {
    matches!(s.trim_start().chars().next(), Some('<' | '{'))
}

impl Src {
    /// Sorts what Python passed into a path or content. A `str` that names no file
    /// and starts like XML or JSON is refused with a `ValueError` that says so (without
    /// the content, which may be long or private); a file object opened in text mode is
    /// a `TypeError`.
    pub(crate) fn extract(obj: &Bound<'_, PyAny>) -> PyResult<Src> {
        let py = obj.py();
        if let Ok(b) = obj.cast::<PyBytes>() {
            return Ok(Src::Bytes(b.as_bytes().to_vec(), "<bytes>".into()));
        }
        if let Ok(b) = obj.cast::<PyByteArray>() {
            return Ok(Src::Bytes(b.to_vec(), "<bytes>".into()));
        }
        if let Ok(s) = obj.cast::<PyString>() {
            let s = s.to_cow()?;
            let path = PathBuf::from(&*s);
            if !path.exists() && looks_like_content(&s) {
                return Err(PyValueError::new_err(
                    "the str passed as a source looks like XML or JSON content, not a path: \
                     pass content as bytes (text.encode()) or a file opened in binary mode",
                ));
            }
            return Ok(Src::Path(path));
        }
        if let Ok(path) = obj.extract::<PathBuf>() {
            return Ok(Src::Path(path));
        }
        if obj.hasattr("read")? {
            let data = obj.call_method0("read")?;
            let name = obj
                .getattr("name")
                .ok()
                .and_then(|n| n.extract::<String>().ok())
                .unwrap_or_else(|| "<file>".into());
            if data.is_instance_of::<PyString>() {
                return Err(PyTypeError::new_err(
                    "the file object gave str: open the file in binary mode ('rb')",
                ));
            }
            return match Src::extract(&data)? {
                Src::Bytes(bytes, _) => Ok(Src::Bytes(bytes, name)),
                Src::Path(_) => Err(PyTypeError::new_err("read() did not return bytes")),
            };
        }
        // Anything else with the buffer protocol (memoryview, array, mmap, NumPy):
        // memoryview() refuses what has none, where bytes() would take an int.
        let builtins = py.import("builtins")?;
        if let Ok(view) = builtins.getattr("memoryview")?.call1((obj,)) {
            let bytes = py.get_type::<PyBytes>().call1((view,))?;
            return Ok(Src::Bytes(
                bytes.cast::<PyBytes>()?.as_bytes().to_vec(),
                "<bytes>".into(),
            ));
        }
        Err(PyTypeError::new_err(
            "expected a path (str or os.PathLike), the file's bytes (bytes, bytearray, \
             memoryview) or a binary file object",
        ))
    }

    /// The name diagnostics give: the path as written, the file object's name, or
    /// `<bytes>`.
    pub(crate) fn name(&self) -> String {
        match self {
            Src::Path(p) => p.display().to_string(),
            Src::Bytes(_, name) => name.clone(),
        }
    }

    /// The whole content (a file is read; the GIL must be released by the caller).
    pub(crate) fn load(self) -> std::io::Result<(Vec<u8>, Option<PathBuf>)> {
        match self {
            Src::Bytes(b, _) => Ok((b, None)),
            Src::Path(p) => {
                let cannot = |error: std::io::Error| {
                    let kind = error.kind();
                    std::io::Error::new(
                        kind,
                        PathError {
                            path: p.clone(),
                            error,
                        },
                    )
                };
                // Bounded as the CLI's inputs are: binary data (`/dev/zero`, a sparse
                // file) is read only as far as its first bytes, which the readers
                // refuse; an endless stream is an error at the limit.
                let file = std::fs::File::open(&p).map_err(cannot)?;
                let mut bytes = Vec::new();
                let copied = geonorm::copy_bounded(file, &mut bytes, geonorm::MAX_HELD_BYTES)
                    .map_err(cannot)?;
                if copied == geonorm::Copied::OverLimit {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!(
                            "{}: over the {}-byte limit",
                            p.display(),
                            geonorm::MAX_HELD_BYTES
                        ),
                    ));
                }
                Ok((bytes, Some(p)))
            }
        }
    }
}
