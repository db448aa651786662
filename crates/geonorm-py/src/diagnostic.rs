//! `Diagnostic`, one finding as Python sees it, and the diagnostics of a reading or a
//! check located (line, column, KMZ entry) as `geonorm check` locates them.

use geonorm::Format;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde_json::Value;

/// One finding: what is wrong, where, and what to do about it.
#[pyclass(module = "geonorm", frozen, get_all)]
#[derive(Clone, Debug)]
pub struct Diagnostic {
    /// The stable code, e.g. `geometry/lat-out-of-range`.
    pub code: String,
    /// `error`, `warning` or `info`.
    pub severity: String,
    /// One line that makes sense on its own.
    pub message: String,
    /// What to do about it, if there is advice.
    pub help: Option<String>,
    /// 1-based line, or None for a finding about the whole file.
    pub line: Option<usize>,
    /// 1-based column in characters, or None.
    pub column: Option<usize>,
    /// Byte offset where the finding starts (in `entry` for a KMZ), or None.
    pub start: Option<usize>,
    /// Byte offset where it ends, or None.
    pub end: Option<usize>,
    /// For a KMZ, the archive entry the position counts in (e.g. `doc.kml`).
    pub entry: Option<String>,
    /// The file's name as given (`<bytes>` for content passed as bytes).
    pub file: String,
}

impl Diagnostic {
    /// `file:line:col: severity: message [code]`, as `geonorm` prints one line, with
    /// control characters escaped.
    pub fn one_line(&self) -> String {
        let place = match (self.line, self.column, &self.entry) {
            (Some(l), Some(c), Some(e)) => format!("{}!{e}:{l}:{c}", self.file),
            (Some(l), Some(c), None) => format!("{}:{l}:{c}", self.file),
            _ => self.file.clone(),
        };
        let line = format!(
            "{place}: {}: {} [{}]",
            self.severity, self.message, self.code
        );
        geonorm::render::printable(&line).into_owned()
    }
}

#[pymethods]
impl Diagnostic {
    /// A finding built from its fields (what unpickling calls).
    #[new]
    #[pyo3(signature = (code, severity, message, help=None, line=None, column=None, start=None, end=None, entry=None, file="<bytes>".to_string()))]
    #[allow(clippy::too_many_arguments)]
    fn py_new(
        code: String,
        severity: String,
        message: String,
        help: Option<String>,
        line: Option<usize>,
        column: Option<usize>,
        start: Option<usize>,
        end: Option<usize>,
        entry: Option<String>,
        file: String,
    ) -> Self {
        Diagnostic {
            code,
            severity,
            message,
            help,
            line,
            column,
            start,
            end,
            entry,
            file,
        }
    }

    /// Pickles as the constructor's arguments.
    #[allow(clippy::type_complexity)]
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyAny>, Bound<'py, pyo3::types::PyTuple>)> {
        let py = slf.py();
        let d = slf.get();
        let args = (
            &d.code,
            &d.severity,
            &d.message,
            &d.help,
            d.line,
            d.column,
            d.start,
            d.end,
            &d.entry,
            &d.file,
        )
            .into_pyobject(py)?;
        Ok((slf.get_type().into_any(), args))
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        match other.cast::<Diagnostic>() {
            Ok(o) => {
                let o = o.get();
                (
                    &self.code,
                    &self.severity,
                    &self.message,
                    &self.help,
                    self.line,
                    self.column,
                    self.start,
                    self.end,
                    &self.entry,
                    &self.file,
                ) == (
                    &o.code,
                    &o.severity,
                    &o.message,
                    &o.help,
                    o.line,
                    o.column,
                    o.start,
                    o.end,
                    &o.entry,
                    &o.file,
                )
            }
            Err(_) => false,
        }
    }

    /// Hashable as before `__eq__` was defined: by its fields.
    fn __hash__(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (
            &self.code,
            &self.message,
            self.line,
            self.column,
            self.start,
            &self.file,
        )
            .hash(&mut h);
        h.finish()
    }

    fn __str__(&self) -> String {
        self.one_line()
    }

    fn __repr__(&self) -> String {
        format!(
            "<Diagnostic {} {} at {}:{}>",
            self.severity,
            self.code,
            self.line.map_or("-".into(), |l| l.to_string()),
            self.column.map_or("-".into(), |c| c.to_string())
        )
    }

    /// The finding as a dict, with the keys of `geonorm check --format json`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("code", &self.code)?;
        d.set_item("severity", &self.severity)?;
        d.set_item("message", &self.message)?;
        d.set_item("help", &self.help)?;
        d.set_item("line", self.line)?;
        d.set_item("column", self.column)?;
        d.set_item("start", self.start)?;
        d.set_item("end", self.end)?;
        d.set_item("entry", &self.entry)?;
        d.set_item("file", &self.file)?;
        Ok(d)
    }
}

/// The diagnostics with line, column and entry worked out as `geonorm check` works them
/// out: in the decoded text of a UTF-16 or single-byte KML or GPX, and in the main KML
/// of a KMZ. The fields come from the library's JSON rendering, the CLI's own.
pub fn located(
    name: &str,
    bytes: &[u8],
    format: Option<Format>,
    diags: &[geonorm::Diagnostic],
) -> Vec<Diagnostic> {
    if diags.is_empty() {
        return Vec::new();
    }
    // What the spans count in, worked out only when some finding has a place.
    let positioned = diags.iter().any(|d| d.span.is_some());
    let shown =
        geonorm::render::Shown::of(bytes, format.filter(|_| positioned), &Default::default());
    let source = shown.source(name);
    let Value::Array(rendered) = geonorm::render::json(&source, diags) else {
        return Vec::new();
    };
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let num = |v: &Value, k: &str| {
        v.get(k)
            .and_then(Value::as_u64)
            .and_then(|n| usize::try_from(n).ok())
    };
    rendered
        .iter()
        .map(|v| Diagnostic {
            code: text(v, "code").unwrap_or_default(),
            severity: text(v, "severity").unwrap_or_default(),
            message: text(v, "message").unwrap_or_default(),
            help: text(v, "help"),
            line: num(v, "line"),
            column: num(v, "column"),
            start: num(v, "start"),
            end: num(v, "end"),
            entry: text(v, "entry"),
            file: name.to_string(),
        })
        .collect()
}
