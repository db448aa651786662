//! Python bindings for geonorm: the `geonorm._geonorm` extension module behind the
//! `geonorm` Python package (see `python/geonorm/__init__.py` and `__init__.pyi`).
//!
//! Every entry point copies what it needs out of Python objects, then releases the GIL
//! (`Python::detach`) for the work itself, so several Python threads read, check and
//! convert at once, and geonorm's own threads (rayon) parse the pieces of one file.
//! Nothing here panics on input: library errors become Python exceptions, and pyo3
//! turns a panic that would still happen into a Python exception rather than an abort.

use std::path::{Path, PathBuf};

use geonorm::{Format, Severity};
use pyo3::exceptions::{PyException, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};

mod arrow;
mod diagnostic;
mod maphub;
mod model;
mod source;
mod wkb;

use model::{Diagnostic, Document};
pub(crate) use source::{os_error, Src};

pyo3::create_exception!(
    geonorm,
    GeonormError,
    PyException,
    "The base of every error geonorm raises."
);
pyo3::create_exception!(
    geonorm,
    ReadError,
    GeonormError,
    "The input cannot be read as a map file. `.diagnostic` holds the finding that says \
     why (code, position), or None when no format could be told; `.diagnostics` every \
     finding that stopped it."
);
pyo3::create_exception!(
    geonorm,
    MapHubError,
    GeonormError,
    "MapHub refused a request or a send did not end well. `.outcome` holds what is known \
     of a send (chunks, map, journal) when one was under way. The API key never appears in \
     the message."
);

/// A format's name as Python spells it (`geojson`, `kml`, `kmz`, `gpx`).
pub(crate) fn parse_format(name: &str) -> PyResult<Format> {
    Format::from_extension(name).ok_or_else(|| {
        let names: Vec<String> = Format::ALL.iter().map(|f| format!("'{f}'")).collect();
        let (last, rest) = names
            .split_last()
            .map_or(("", &[][..]), |(l, r)| (l.as_str(), r));
        PyValueError::new_err(format!(
            "unknown format {:?}; expected {} or {last}",
            name.to_ascii_lowercase(),
            rest.join(", ")
        ))
    })
}

/// `gpx_groups` as the CLI's `--gpx-groups` takes it.
fn parse_gpx_groups(name: &str) -> PyResult<bool> {
    match name {
        "none" => Ok(false),
        "kind" => Ok(true),
        other => Err(PyValueError::new_err(format!(
            "unknown gpx_groups {other:?}; expected 'none' or 'kind'"
        ))),
    }
}

/// How many of geonorm's threads parse one file: all cores unless told.
fn thread_count(threads: Option<usize>) -> usize {
    threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1)
}

/// Why reading stopped, before it becomes a Python exception (which needs the GIL).
pub(crate) enum Failure {
    /// The content cannot be read: the diagnostics (with positions) and the message.
    Read {
        message: String,
        diagnostics: Vec<Diagnostic>,
    },
    /// The file could not be read or written.
    Io(std::io::Error),
    /// Anything else, as a plain message.
    Other(String),
}

impl Failure {
    pub(crate) fn into_py(self, py: Python<'_>) -> PyErr {
        match self {
            Failure::Read {
                message,
                diagnostics,
            } => read_error(py, message, diagnostics),
            Failure::Io(e) => os_error(e),
            Failure::Other(m) => GeonormError::new_err(m),
        }
    }

    /// A library error met reading `bytes` (named `name`) as `format`.
    pub(crate) fn of(e: geonorm::Error, name: &str, bytes: &[u8], format: Format) -> Failure {
        match e {
            geonorm::Error::Io(io) => Failure::Io(io),
            e @ (geonorm::Error::Syntax { .. }
            | geonorm::Error::NotFormat { .. }
            | geonorm::Error::Invalid(_)) => {
                let d = geonorm::validate::fatal_diagnostic(format, &e);
                let diagnostics = model::located(name, bytes, Some(format), &[d]);
                let message = match diagnostics.first() {
                    Some(d) => d.one_line(),
                    None => e.to_string(),
                };
                Failure::Read {
                    message,
                    diagnostics,
                }
            }
            other => Failure::Read {
                message: format!("{name}: {other}"),
                diagnostics: Vec::new(),
            },
        }
    }
}

/// A `ReadError` carrying its diagnostics.
pub(crate) fn read_error(py: Python<'_>, message: String, diagnostics: Vec<Diagnostic>) -> PyErr {
    let err = ReadError::new_err(message);
    let attach = || -> PyResult<()> {
        let value = err.value(py);
        let first = diagnostics.first().cloned();
        value.setattr("diagnostic", first)?;
        value.setattr("diagnostics", diagnostics)?;
        Ok(())
    };
    match attach() {
        Ok(()) => err,
        Err(e) => e,
    }
}

/// Detects the format from the content and the name, as the CLI does.
fn detect(bytes: &[u8], path: Option<&Path>, name: &str) -> Result<Format, Failure> {
    Format::detect(bytes, path).ok_or_else(|| Failure::Read {
        message: format!("{name}: not a KML, KMZ, GPX or GeoJSON file"),
        diagnostics: Vec::new(),
    })
}

/// Reads a KML, KMZ, GPX or GeoJSON file into a Document.
///
/// `source` is a path (str or os.PathLike), the file's content (bytes, bytearray,
/// memoryview, any buffer) or a binary file object; a str that names no file and
/// starts like XML or JSON is a ValueError. `format` ('geojson', 'kml', 'kmz', 'gpx')
/// is detected from the content (and the path's extension) when not given.
/// `gpx_groups='kind'` puts GPX waypoints, routes and tracks into three groups. `threads` is how many of geonorm's threads
/// parse the file (default: every core). The GIL is released while reading.
///
/// Raises ReadError (with `.diagnostic`) when the content cannot be read, OSError (with
/// `errno` and `filename`) when the file cannot.
#[pyfunction]
#[pyo3(signature = (source, format=None, *, gpx_groups="none", threads=None))]
fn read(
    py: Python<'_>,
    source: &Bound<'_, PyAny>,
    format: Option<&str>,
    gpx_groups: &str,
    threads: Option<usize>,
) -> PyResult<Document> {
    let src = Src::extract(source)?;
    let from = format.map(parse_format).transpose()?;
    let by_kind = parse_gpx_groups(gpx_groups)?;
    let threads = thread_count(threads);
    let name = src.name();
    let result = py.detach(move || -> Result<Document, Failure> {
        let (bytes, path) = src.load().map_err(Failure::Io)?;
        let format = match from {
            Some(f) => f,
            None => detect(&bytes, path.as_deref(), &name)?,
        };
        let opts = geonorm::ReadOptions {
            gpx: geonorm::gpx::ReadOptions {
                groups_by_kind: by_kind,
            },
            threads,
            ..geonorm::ReadOptions::format(format)
        };
        let (doc, diags) = geonorm::read(&bytes[..], &opts)
            .map_err(|e| Failure::of(e, &name, &bytes, format))?
            .into_parts();
        let diagnostics = model::located(&name, &bytes, Some(format), &diags);
        Ok(Document::new(doc, format, diagnostics))
    });
    result.map_err(|f| f.into_py(py))
}

/// Checks a file before it is sent to MapHub, as `geonorm check` does, and returns
/// every finding (list of Diagnostic) with the CLI's codes, lines and columns.
///
/// `profile` is 'maphub' (every rule, MapHub's limits), 'enterprise' (no size limits)
/// or 'rfc7946' (structure and geometry alone). Content that cannot be read at all is
/// a finding here, not an exception. The GIL is released while checking.
#[pyfunction]
#[pyo3(signature = (source, profile="maphub", *, format=None))]
fn check(
    py: Python<'_>,
    source: &Bound<'_, PyAny>,
    profile: &str,
    format: Option<&str>,
) -> PyResult<Vec<Diagnostic>> {
    let src = Src::extract(source)?;
    let profile = parse_profile(profile)?;
    let format = format.map(parse_format).transpose()?;
    let name = src.name();
    let result = py.detach(move || -> std::io::Result<Vec<Diagnostic>> {
        let (bytes, path) = src.load()?;
        let mut opts = geonorm::validate::CheckOptions::new(profile, format);
        // As `geonorm check` calls it: the path's extension says the format too.
        opts.read.name = path;
        let report = geonorm::check(bytes[..].into(), &opts)?;
        Ok(model::located(
            &name,
            &bytes,
            report.format,
            &report.diagnostics,
        ))
    });
    result.map_err(os_error)
}

/// The check profile named `name`.
fn parse_profile(name: &str) -> PyResult<geonorm::validate::Profile> {
    match name {
        "maphub" => Ok(geonorm::validate::Profile::Maphub),
        "enterprise" => Ok(geonorm::validate::Profile::Enterprise),
        "rfc7946" => Ok(geonorm::validate::Profile::Rfc7946),
        other => Err(PyValueError::new_err(format!(
            "unknown profile {other:?}; expected 'maphub', 'enterprise' or 'rfc7946'"
        ))),
    }
}

/// Options of `convert`, as the CLI's flags of the same names.
struct ConvertOptions {
    profile: geonorm::validate::Profile,
    from: Option<Format>,
    to: Format,
    precision: Option<u8>,
    keep_root: bool,
    fix: bool,
    by_kind: bool,
    threads: usize,
}

/// What `convert` wrote (when it kept the output) and what it found.
type Converted = (Option<Vec<u8>>, Vec<Diagnostic>);

/// The CLI's `convert`, through the library's: streamed in batches, checked as it
/// goes (held whole when fixed or keeping its root). All give the same bytes.
fn convert_impl(src: Src, dst: Option<&Path>, o: &ConvertOptions) -> Result<Converted, Failure> {
    let name = src.name();
    let (bytes, path) = src.load().map_err(Failure::Io)?;
    let format = match o.from {
        Some(f) => f,
        None => detect(&bytes, path.as_deref(), &name)?,
    };
    let read_opts = geonorm::ReadOptions {
        gpx: geonorm::gpx::ReadOptions {
            groups_by_kind: o.by_kind,
        },
        name: path.clone(),
        threads: o.threads,
        ..geonorm::ReadOptions::format(format)
    };
    let failure = |e| Failure::of(e, &name, &bytes, format);
    let mut out = Vec::new();
    // As the CLI: what `check` says of the input (with `fix`: what reading met, and
    // what was fixed).
    let opts = geonorm::ConvertOptions {
        to: o.to,
        write: geonorm::WriteOptions::with_precision(o.precision, o.keep_root),
        check: geonorm::validate::CheckOptions {
            profile: o.profile,
            read: read_opts.clone(),
            keep_document: false,
        },
        kml_folder: None,
        fix: o.fix,
        split_long_lines: false,
        place_files: None,
    };
    let done = geonorm::convert(bytes[..].into(), &mut out, &opts).map_err(Failure::Io)?;
    if !done.complete {
        // What stopped it, raised as reading it whole raises it.
        let e = geonorm::read(&bytes[..], &read_opts).err();
        return Err(e.map_or_else(
            || Failure::Other(format!("{name}: could not be read to its end")),
            failure,
        ));
    }
    // The check's findings and the writer's, sorted by position.
    let diags = done.diagnostics();
    let diagnostics = model::located(&name, &bytes, Some(format), &diags);
    match dst {
        None => Ok((Some(out), diagnostics)),
        Some(dst) => {
            if path.as_deref().is_some_and(|p| same_file(p, dst)) {
                return Err(Failure::Other(format!(
                    "{} is the input; write the output elsewhere",
                    dst.display()
                )));
            }
            write_atomic(dst, &out).map_err(Failure::Io)?;
            Ok((None, diagnostics))
        }
    }
}

/// True when both paths name one existing file.
fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Writes `bytes` to a temporary file beside `dst` and renames it over `dst`, so `dst`
/// is whole or untouched, as the CLI writes its output.
fn write_atomic(dst: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = dst
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let named = |e: std::io::Error| {
        std::io::Error::new(e.kind(), format!("cannot write {}: {e}", dst.display()))
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(named)?;
    tmp.write_all(bytes).map_err(named)?;
    tmp.persist(dst).map_err(|e| named(e.error))?;
    Ok(())
}

/// Converts a map file to another format, as `geonorm convert` does, byte for byte;
/// `geonorm.convert` (python/geonorm/__init__.py) wraps it.
///
/// `to` is 'geojson' (MapHub's dialect), 'kml', 'kmz' or 'gpx'; by default `dst`'s
/// extension, else 'geojson'. Returns `(data, diagnostics)`: with `dst` None, `data`
/// is the output's bytes; otherwise `dst` is written whole or not at all and `data` is
/// None.
/// `precision` (0 to 17 decimals), `keep_root`, `fix`, `gpx_groups` and `profile` are
/// the CLI's `--precision`, `--keep-root`, `--fix`, `--gpx-groups` and `--profile`: the
/// diagnostics are what `check(source, profile)` finds (plus what the output could not
/// hold). Raises ReadError when the input cannot be read. The GIL is released while
/// converting.
#[pyfunction]
#[pyo3(signature = (source, dst=None, to=None, *, format=None, precision=None, keep_root=false, fix=false, gpx_groups="none", threads=None, profile="maphub"))]
#[allow(clippy::too_many_arguments)]
fn _convert(
    py: Python<'_>,
    source: &Bound<'_, PyAny>,
    dst: Option<PathBuf>,
    to: Option<&str>,
    format: Option<&str>,
    precision: Option<u8>,
    keep_root: bool,
    fix: bool,
    gpx_groups: &str,
    threads: Option<usize>,
    profile: &str,
) -> PyResult<Py<PyAny>> {
    let src = Src::extract(source)?;
    let profile = parse_profile(profile)?;
    if precision.is_some_and(|p| p > 17) {
        return Err(PyValueError::new_err("precision must be 0 to 17"));
    }
    // As the CLI: the output's extension tells the format when `to` does not.
    let to = match to {
        Some(t) => parse_format(t)?,
        None => dst
            .as_deref()
            .and_then(Format::from_path)
            .unwrap_or(Format::GeoJson),
    };
    let opts = ConvertOptions {
        profile,
        from: format.map(parse_format).transpose()?,
        to,
        precision,
        keep_root,
        fix,
        by_kind: parse_gpx_groups(gpx_groups)?,
        threads: thread_count(threads),
    };
    let result = py.detach(|| convert_impl(src, dst.as_deref(), &opts));
    // The package wraps these two in `ConvertResult` (bytes) and `ConvertedFile`
    // (a list of the diagnostics), each with `.data` and `.diagnostics`.
    match result {
        Ok((data, diagnostics)) => {
            let data = data.map(|b| PyBytes::new(py, &b));
            let diagnostics = PyList::new(py, diagnostics)?;
            Ok((data, diagnostics).into_pyobject(py)?.into_any().unbind())
        }
        Err(f) => Err(f.into_py(py)),
    }
}

/// `module` imported, or an ImportError that says which extra of geonorm brings it.
pub(crate) fn optional_import<'py>(
    py: Python<'py>,
    module: &str,
    what: &str,
    extra: &str,
) -> PyResult<Bound<'py, PyModule>> {
    py.import(module).map_err(|e| {
        if e.is_instance_of::<pyo3::exceptions::PyImportError>(py) {
            pyo3::exceptions::PyImportError::new_err(format!(
                "{what} needs {module}, which is not installed: pip install 'geonorm[{extra}]'"
            ))
        } else {
            e
        }
    })
}

/// The diagnostic codes geonorm knows, with their severity and explanation.
#[pyfunction]
fn codes(py: Python<'_>) -> PyResult<Vec<Bound<'_, PyDict>>> {
    geonorm::Code::ALL
        .iter()
        .map(|c| {
            let d = PyDict::new(py);
            d.set_item("code", c.as_str())?;
            d.set_item(
                "severity",
                match c.severity() {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                    Severity::Info => "info",
                },
            )?;
            d.set_item("explain", c.explain())?;
            Ok(d)
        })
        .collect()
}

/// The extension module; the `geonorm` package re-exports it.
#[pymodule]
fn _geonorm(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_function(wrap_pyfunction!(read, m)?)?;
    m.add_function(wrap_pyfunction!(check, m)?)?;
    m.add_function(wrap_pyfunction!(_convert, m)?)?;
    m.add_function(wrap_pyfunction!(model::_document_from_state, m)?)?;
    m.add_function(wrap_pyfunction!(model::_feature_of, m)?)?;
    m.add_function(wrap_pyfunction!(codes, m)?)?;
    m.add_class::<Document>()?;
    m.add_class::<model::Feature>()?;
    m.add_class::<model::Group>()?;
    m.add_class::<Diagnostic>()?;
    m.add_class::<maphub::MapHub>()?;
    m.add("GeonormError", py.get_type::<GeonormError>())?;
    m.add("ReadError", py.get_type::<ReadError>())?;
    m.add("MapHubError", py.get_type::<MapHubError>())?;
    m.add("MAPHUB_MAX_UPLOAD_BYTES", geonorm::MAPHUB_MAX_UPLOAD_BYTES)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
