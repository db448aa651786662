//! Fatal errors: the input cannot be read at all. Everything less than that is a
//! [`Diagnostic`](crate::Diagnostic) returned beside the model.

use crate::Format;

/// Why reading or writing stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or writing bytes failed.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// The input is not well-formed; nothing after `offset` could be read.
    #[error("{message} {}", place(*line, *column, *offset))]
    Syntax {
        /// What is wrong.
        message: String,
        /// Byte offset of the problem.
        offset: usize,
        /// 1-based line; 0 when the reader could not count lines (a streaming XML
        /// reader knows only the offset: see [`crate::LineIndex`] to find it).
        line: usize,
        /// 1-based column; 0 with `line`.
        column: usize,
    },
    /// The input is well-formed but is not a map file of the expected format.
    #[error("not a {format} file: {message}")]
    NotFormat {
        /// The format that was expected.
        format: Format,
        /// Why not.
        message: String,
    },
    /// The input cannot be read as a map file; the diagnostic says why, with its code
    /// and position (e.g. a GeoJSON root whose `type` is not a GeoJSON type).
    #[error("{}", .0.message)]
    Invalid(Box<crate::Diagnostic>),
    /// Neither the content nor the name tells which format the input is.
    #[error("not a KML, KMZ, GPX or GeoJSON file")]
    Undetected,
    /// The format was recognised but this build cannot read it.
    #[error("reading {0} is not supported yet")]
    UnsupportedRead(Format),
    /// The format was recognised but this build cannot write it.
    #[error("writing {0} is not supported yet")]
    UnsupportedWrite(Format),
}

/// Result with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// Where a syntax error is, as the reader knows it.
fn place(line: usize, column: usize, offset: usize) -> String {
    if line == 0 {
        format!("at byte {offset}")
    } else {
        format!("at line {line} column {column}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_syntax_error_never_says_line_0() {
        let e = |line, column| Error::Syntax {
            message: "the file ends inside <Folder>".into(),
            offset: 120,
            line,
            column,
        };
        assert_eq!(
            e(0, 0).to_string(),
            "the file ends inside <Folder> at byte 120"
        );
        assert_eq!(
            e(3, 7).to_string(),
            "the file ends inside <Folder> at line 3 column 7"
        );
    }
}
