//! The Python side of the model: `Document`, `Feature`, `Group` and `Diagnostic`.
//!
//! A `Document` keeps geonorm's own document; its features become Python objects only
//! when asked for (`Document.features`, `__geo_interface__`), so reading a large file
//! costs no more Python objects than the caller uses.

use std::collections::HashMap;
use std::sync::Arc;

use geonorm::{ColumnValues, Format, GroupId, Time};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};
use serde_json::Value;

pub use crate::diagnostic::{located, Diagnostic};

/// A JSON value as the Python object `json.loads` would give. Nesting deeper than
/// `MAX_DEPTH` (only hostile input has it) comes back as its JSON text, so the
/// conversion's recursion stays bounded.
pub fn to_py<'py>(py: Python<'py>, v: &Value, depth: usize) -> PyResult<Bound<'py, PyAny>> {
    const MAX_DEPTH: usize = 256;
    if depth > MAX_DEPTH {
        return Ok(v.to_string().into_pyobject(py)?.into_any());
    }
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => b.into_pyobject(py)?.to_owned().into_any(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any()
            } else if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any()
            } else {
                n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any()
            }
        }
        Value::String(s) => s.into_pyobject(py)?.into_any(),
        Value::Array(a) => {
            let items = a
                .iter()
                .map(|x| to_py(py, x, depth + 1))
                .collect::<PyResult<Vec<_>>>()?;
            PyList::new(py, items)?.into_any()
        }
        Value::Object(o) => {
            let d = PyDict::new(py);
            for (k, x) in o {
                d.set_item(k, to_py(py, x, depth + 1)?)?;
            }
            d.into_any()
        }
    })
}

/// What a `Document` and its features share.
pub struct Shared {
    pub(crate) doc: geonorm::Document,
    /// The format read, for a feature pickled on its own.
    format: Format,
    /// Each group's index in `doc.groups`.
    by_id: HashMap<GroupId, usize>,
}

impl Shared {
    fn group(&self, id: GroupId) -> Option<Group> {
        let g = self.doc.groups.get(*self.by_id.get(&id)?)?;
        Some(Group {
            id: g.id.get(),
            title: g.title.clone(),
            parent: g.parent.map(GroupId::get),
            path: self.doc.group_path(g.id).unwrap_or_else(|| g.title.clone()),
        })
    }
}

/// A map file read into geonorm's model: features, groups, and what reading found.
#[pyclass(module = "geonorm", frozen)]
pub struct Document {
    shared: Arc<Shared>,
    format: Format,
    diagnostics: Vec<Diagnostic>,
}

impl Document {
    pub fn new(doc: geonorm::Document, format: Format, diagnostics: Vec<Diagnostic>) -> Self {
        let by_id = doc
            .groups
            .iter()
            .enumerate()
            .map(|(i, g)| (g.id, i))
            .collect();
        Document {
            shared: Arc::new(Shared { doc, format, by_id }),
            format,
            diagnostics,
        }
    }

    fn feature(&self, index: usize) -> Feature {
        Feature {
            shared: Arc::clone(&self.shared),
            index,
        }
    }
}

#[pymethods]
impl Document {
    /// The format read: `geojson`, `kml`, `kmz` or `gpx`.
    #[getter]
    fn format(&self) -> &'static str {
        self.format.as_str()
    }

    /// The document's name (KML Document name, GPX metadata name), if any.
    #[getter]
    fn name(&self) -> Option<String> {
        self.shared.doc.meta.name.clone()
    }

    /// The document's description, if any.
    #[getter]
    fn description(&self) -> Option<String> {
        self.shared.doc.meta.description.clone()
    }

    /// Every feature, in source order.
    #[getter]
    fn features(&self) -> Vec<Feature> {
        (0..self.shared.doc.features.len())
            .map(|i| self.feature(i))
            .collect()
    }

    /// Every group (KML folders, MapHub groups, GPX kinds).
    #[getter]
    fn groups(&self) -> Vec<Group> {
        self.shared
            .doc
            .groups
            .iter()
            .filter_map(|g| self.shared.group(g.id))
            .collect()
    }

    /// What reading skipped, repaired or could not represent.
    #[getter]
    fn diagnostics(&self) -> Vec<Diagnostic> {
        self.diagnostics.clone()
    }

    /// Elements the model cannot hold (KML overlays, network links…), by name, with
    /// how many there were.
    #[getter]
    fn unrepresented(&self) -> HashMap<String, usize> {
        self.shared
            .doc
            .meta
            .unrepresented
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect()
    }

    fn __len__(&self) -> usize {
        self.shared.doc.features.len()
    }

    /// The features in order (`for f in doc`).
    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        PyList::new(py, self.features())?
            .try_iter()
            .map(Bound::into_any)
    }

    fn __getitem__(&self, index: isize) -> PyResult<Feature> {
        let n = self.shared.doc.features.len();
        let i = if index < 0 {
            n.checked_sub(index.unsigned_abs())
        } else {
            Some(index.unsigned_abs()).filter(|&i| i < n)
        };
        match i {
            Some(i) => Ok(self.feature(i)),
            None => Err(pyo3::exceptions::PyIndexError::new_err(
                "feature index out of range",
            )),
        }
    }

    fn __repr__(&self) -> String {
        format!(
            "<geonorm.Document {}: {} features, {} groups, {} diagnostics>",
            self.format.as_str(),
            self.shared.doc.features.len(),
            self.shared.doc.groups.len(),
            self.diagnostics.len()
        )
    }

    /// The document as MapHub GeoJSON: a FeatureCollection with `groups`, the bytes
    /// `geonorm.convert(..., to="geojson")` gives.
    #[pyo3(signature = (precision=None))]
    fn to_geojson<'py>(
        &self,
        py: Python<'py>,
        precision: Option<u8>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let shared = Arc::clone(&self.shared);
        let out = py.detach(move || -> geonorm::Result<Vec<u8>> {
            let mut out = Vec::new();
            let opts = geonorm::WriteOptions::with_precision(precision, false);
            geonorm::write(&shared.doc, Format::GeoJson, &mut out, &opts)?;
            Ok(out)
        });
        let out = out.map_err(|e| crate::GeonormError::new_err(e.to_string()))?;
        Ok(PyBytes::new(py, &out))
    }

    /// The features as a `pyarrow.Table`, one row per feature: `geometry` (GeoArrow
    /// WKB, CRS OGC:CRS84), `id`, `title`, `description`, `group` (its path),
    /// `group_id`, `time`, `time_begin`, `time_end`, the style keys, the properties
    /// (typed from their values; a property of mixed types becomes strings, with a
    /// warning), and per-vertex values as `vertex_<name>` list columns. Needs pyarrow.
    fn to_arrow<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let pa = crate::optional_import(slf.py(), "pyarrow", "Document.to_arrow()", "arrow")?;
        pa.getattr("RecordBatchReader")?
            .call_method1("from_stream", (slf,))?
            .call_method0("read_all")
    }

    /// The Arrow PyCapsule interface: the table `to_arrow()` gives, as an Arrow C
    /// stream, for polars, DuckDB, GeoPandas and pyarrow alike. `requested_schema` is
    /// not followed (the protocol allows that): the columns are the document's.
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, pyo3::types::PyCapsule>> {
        let _ = requested_schema;
        let shared = Arc::clone(&self.shared);
        let table = py
            .detach(move || crate::arrow::build(&shared.doc))
            .map_err(|e| crate::GeonormError::new_err(e.to_string()))?;
        if !table.mixed.is_empty() {
            let message = format!(
                "geonorm: properties with values of mixed types became string columns: {}",
                table.mixed.join(", ")
            );
            let message = std::ffi::CString::new(message.replace('\0', " "))
                .map_err(|e| crate::GeonormError::new_err(e.to_string()))?;
            let category = py.get_type::<pyo3::exceptions::PyUserWarning>();
            PyErr::warn(py, &category, &message, 1)?;
        }
        pyo3::types::PyCapsule::new_with_value(
            py,
            crate::arrow::stream(table.batch),
            c"arrow_array_stream",
        )
    }

    /// Pickles as the document's MapHub GeoJSON (full precision, rings as read), its
    /// format and its diagnostics, so a Document returns from multiprocessing, Dask or
    /// Ray workers.
    #[allow(clippy::type_complexity)]
    fn __reduce__<'py>(
        &self,
        py: Python<'py>,
    ) -> PyResult<(
        Bound<'py, PyAny>,
        (Bound<'py, PyBytes>, &'static str, Vec<Diagnostic>),
    )> {
        let rebuild = py
            .import("geonorm._geonorm")?
            .getattr("_document_from_state")?;
        let shared = Arc::clone(&self.shared);
        let bytes = py
            .detach(move || state(&shared.doc))
            .map_err(|e| crate::GeonormError::new_err(e.to_string()))?;
        Ok((
            rebuild,
            (
                PyBytes::new(py, &bytes),
                self.format.as_str(),
                self.diagnostics.clone(),
            ),
        ))
    }

    /// The document as a MapHub GeoJSON FeatureCollection (a dict), for GeoPandas
    /// (`GeoDataFrame.from_features(doc)`) and anything else that reads the
    /// `__geo_interface__` protocol.
    #[getter]
    fn __geo_interface__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let bytes = self.to_geojson(py, None)?;
        py.import("json")?.call_method1("loads", (bytes,))
    }
}

/// A group of features: a KML Folder, a MapHub group, a GPX kind.
#[pyclass(module = "geonorm", frozen, get_all)]
#[derive(Clone)]
pub struct Group {
    /// The group's id, unique in its document.
    pub id: u64,
    /// Its own title (one level).
    pub title: String,
    /// The enclosing group's id, or None.
    pub parent: Option<u64>,
    /// The full title path, levels joined by `／` (U+FF0F), as MapHub spells it.
    pub path: String,
}

#[pymethods]
impl Group {
    /// A group built from its fields (what unpickling calls).
    #[new]
    fn py_new(id: u64, title: String, parent: Option<u64>, path: String) -> Self {
        Group {
            id,
            title,
            parent,
            path,
        }
    }

    /// Pickles as the constructor's arguments.
    #[allow(clippy::type_complexity)]
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyAny>, (u64, String, Option<u64>, String))> {
        let g = slf.get();
        Ok((
            slf.get_type().into_any(),
            (g.id, g.title.clone(), g.parent, g.path.clone()),
        ))
    }

    fn __repr__(&self) -> String {
        format!("<geonorm.Group {} {:?}>", self.id, self.path)
    }
}

/// One map feature.
#[pyclass(module = "geonorm", frozen)]
pub struct Feature {
    shared: Arc<Shared>,
    index: usize,
}

impl Feature {
    fn get(&self) -> PyResult<&geonorm::Feature> {
        self.shared
            .doc
            .features
            .get(self.index)
            .ok_or_else(|| pyo3::exceptions::PyIndexError::new_err("no such feature"))
    }

    /// The feature as the MapHub GeoJSON writer writes it.
    fn json(&self) -> PyResult<Value> {
        let f = self.get()?;
        let mut w = geonorm::geojson::Writer::new(Vec::new(), Default::default());
        w.write_feature(f)
            .map_err(|e| crate::GeonormError::new_err(e.to_string()))?;
        // The writer opens the collection before its first feature.
        let prefix: &[u8] = b"{\"type\":\"FeatureCollection\",\"features\":[\n";
        let bytes = w.get_ref();
        let body = bytes.strip_prefix(prefix).unwrap_or(bytes);
        serde_json::from_slice(body).map_err(|e| crate::GeonormError::new_err(e.to_string()))
    }
}

#[pymethods]
impl Feature {
    /// Pickles as its document (see `Document.__reduce__`) and its index there.
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<(Bound<'py, PyAny>, (Document, usize))> {
        let rebuild = py.import("geonorm._geonorm")?.getattr("_feature_of")?;
        let doc = Document {
            shared: Arc::clone(&self.shared),
            format: self.shared.format,
            diagnostics: Vec::new(),
        };
        Ok((rebuild, (doc, self.index)))
    }

    /// The source's id for the feature, if it had one.
    #[getter]
    fn id<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match &self.get()?.id {
            Some(v) => to_py(py, v, 0),
            None => Ok(py.None().into_bound(py)),
        }
    }

    /// Title (KML/GPX `name`, MapHub `title`).
    #[getter]
    fn title(&self) -> PyResult<Option<String>> {
        Ok(self.get()?.title.clone())
    }

    /// Description, as written (HTML or Markdown).
    #[getter]
    fn description(&self) -> PyResult<Option<String>> {
        Ok(self.get()?.description.clone())
    }

    /// The group the feature belongs to, or None.
    #[getter]
    fn group(&self) -> PyResult<Option<Group>> {
        Ok(self.get()?.group.and_then(|id| self.shared.group(id)))
    }

    /// How it is drawn, with MapHub's (simplestyle's) keys: `marker-color`, `stroke`…
    /// Only the keys set are present.
    #[getter]
    fn style<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let s = &self.get()?.style;
        let d = PyDict::new(py);
        let texts = [
            ("marker-color", &s.marker_color),
            ("marker-symbol", &s.marker_symbol),
            ("marker-size", &s.marker_size),
            ("stroke", &s.stroke),
            ("fill", &s.fill),
            ("icon", &s.icon),
        ];
        for (k, v) in texts {
            if let Some(v) = v {
                d.set_item(k, v)?;
            }
        }
        let numbers = [
            ("stroke-width", &s.stroke_width),
            ("stroke-opacity", &s.stroke_opacity),
            ("fill-opacity", &s.fill_opacity),
        ];
        for (k, v) in numbers {
            if let Some(n) = v {
                d.set_item(k, to_py(py, &Value::Number(n.clone()), 0)?)?;
            }
        }
        Ok(d)
    }

    /// When it happened: an ISO 8601 string for an instant, a `(begin, end)` tuple
    /// for a span (either end may be None), or None.
    #[getter]
    fn time<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(match &self.get()?.time {
            None => py.None().into_bound(py),
            Some(Time::Instant(t)) => t.into_pyobject(py)?.into_any(),
            Some(Time::Span { begin, end }) => {
                (begin.clone(), end.clone()).into_pyobject(py)?.into_any()
            }
        })
    }

    /// Every other property, in source order.
    #[getter]
    fn properties<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &Value::Object(self.get()?.properties.clone()), 0)
    }

    /// The geometry as a GeoJSON dict (`type`, `coordinates`), or None.
    #[getter]
    fn geometry<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        if self.get()?.geometry.is_none() {
            return Ok(py.None().into_bound(py));
        }
        match self.json()?.get("geometry") {
            Some(g) => to_py(py, g, 0),
            None => Ok(py.None().into_bound(py)),
        }
    }

    /// Per-vertex values (GPX times, heart rate, cadence, KML gx:Track values) by name,
    /// each a plain list with one value per vertex (None where a vertex has none), the
    /// vertices of all parts of the geometry one after another.
    #[getter]
    fn vertex_values<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        let Some(g) = &self.get()?.geometry else {
            return Ok(d);
        };
        let mut columns: Vec<(String, Vec<Bound<'py, PyAny>>)> = Vec::new();
        let mut vertices = 0usize;
        let mut result = Ok(());
        g.for_each_coords(&mut |coords| {
            if result.is_err() {
                return;
            }
            result = (|| -> PyResult<()> {
                for c in coords.columns() {
                    let at = match columns.iter().position(|(n, _)| *n == c.name) {
                        Some(i) => i,
                        None => {
                            // Vertices of earlier parts had no value of this name.
                            let none = (0..vertices).map(|_| py.None().into_bound(py));
                            columns.push((c.name.clone(), none.collect()));
                            columns.len() - 1
                        }
                    };
                    let list = &mut columns[at].1;
                    match &c.values {
                        ColumnValues::Numbers(ns) => {
                            for n in ns {
                                list.push(match n {
                                    Some(n) => to_py(py, &Value::Number(n.clone()), 0)?,
                                    None => py.None().into_bound(py),
                                });
                            }
                        }
                        ColumnValues::Texts(ts) => {
                            for t in ts.iter() {
                                list.push(t.into_pyobject(py)?.into_any());
                            }
                        }
                    }
                }
                vertices += coords.len();
                // A name this part lacks gets None for each of its vertices.
                for (_, list) in columns.iter_mut() {
                    while list.len() < vertices {
                        list.push(py.None().into_bound(py));
                    }
                }
                Ok(())
            })();
        });
        result?;
        for (name, values) in columns {
            d.set_item(name, PyList::new(py, values)?)?;
        }
        Ok(d)
    }

    /// The feature as a MapHub GeoJSON Feature (a dict), for
    /// `shapely.geometry.shape(feature)` and the `__geo_interface__` protocol.
    #[getter]
    fn __geo_interface__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.json()?, 0)
    }

    fn __repr__(&self) -> PyResult<String> {
        let f = self.get()?;
        Ok(format!(
            "<geonorm.Feature {} {:?}>",
            f.geometry.as_ref().map_or("None", |g| g.kind().as_str()),
            f.title.as_deref().unwrap_or("")
        ))
    }
}

/// A document's pickled form: its MapHub GeoJSON with every ring wound as read (the
/// conversion to GeoJSON of a KML would rewind them as RFC 7946 wants).
fn state(doc: &geonorm::Document) -> geonorm::Result<Vec<u8>> {
    let opts = geonorm::geojson::WriteOptions {
        precision: None,
        keep_root: false,
        wind: false,
    };
    let mut w = geonorm::geojson::Writer::new(Vec::new(), opts);
    for f in &doc.features {
        w.write_feature(f)?;
    }
    Ok(w.finish(&doc.meta, &doc.groups)?.0)
}

/// Unpickles a `Document`: its MapHub GeoJSON read back, with the format and
/// diagnostics of the original reading.
#[pyfunction]
pub fn _document_from_state(
    py: Python<'_>,
    geojson: Vec<u8>,
    format: &str,
    diagnostics: Vec<Bound<'_, Diagnostic>>,
) -> PyResult<Document> {
    let format = crate::parse_format(format)?;
    let diagnostics = diagnostics.iter().map(|d| d.get().clone()).collect();
    let doc = py.detach(move || {
        geonorm::read(&geojson[..], &geonorm::ReadOptions::format(Format::GeoJson))
            .map(|parsed| parsed.into_parts().0)
    });
    let mut doc = doc.map_err(|e| crate::GeonormError::new_err(e.to_string()))?;
    // As read from the original, so writing it winds its rings as before.
    doc.meta.source_format = Some(format);
    Ok(Document::new(doc, format, diagnostics))
}

/// Unpickles a `Feature`: the one at `index` of `doc`.
#[pyfunction]
pub fn _feature_of(doc: PyRef<'_, Document>, index: usize) -> PyResult<Feature> {
    if index >= doc.shared.doc.features.len() {
        return Err(pyo3::exceptions::PyIndexError::new_err("no such feature"));
    }
    Ok(doc.feature(index))
}
