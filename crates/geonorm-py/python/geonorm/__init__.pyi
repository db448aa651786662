"""Type stubs for geonorm (the functions and classes of geonorm._geonorm)."""

import os
from typing import (
    Any,
    Dict,
    Iterator,
    List,
    Literal,
    Optional,
    Protocol,
    Tuple,
    Union,
    overload,
)

class _ReadsBytes(Protocol):
    """A binary file object (``open(path, "rb")``, ``io.BytesIO``…)."""

    def read(self) -> bytes: ...

Source = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, _ReadsBytes]
"""A path (str, pathlib.Path, os.PathLike), the content (bytes-like), or a binary file
object. A str that names no file and starts like XML or JSON is a ValueError."""
FormatName = Literal["geojson", "kml", "kmz", "gpx"]

__version__: str
MAPHUB_MAX_UPLOAD_BYTES: int

class GeonormError(Exception):
    """The base of every error geonorm raises."""

class ReadError(GeonormError):
    """The input cannot be read as a map file (or a send's check found errors)."""

    diagnostic: Optional[Diagnostic]
    """The finding that says why (code, position); None when no format could be told."""
    diagnostics: List[Diagnostic]
    """Every finding that stopped it."""

class MapHubError(GeonormError):
    """MapHub refused a request, or a send did not end well. Never holds the API key."""

    outcome: Dict[str, Any]
    """What is known of a send that stopped (map, chunks, journal), when one was under way."""

class Diagnostic:
    """One finding: what is wrong, where, and what to do about it.

    ``str(d)`` is the one-line form ``file:line:col: severity: message [code]``.
    """

    code: str
    """Stable code, e.g. ``geometry/lat-out-of-range`` (see :func:`codes`)."""
    severity: Literal["error", "warning", "info"]
    message: str
    help: Optional[str]
    line: Optional[int]
    """1-based line, None for a finding about the whole file."""
    column: Optional[int]
    """1-based column in characters."""
    start: Optional[int]
    """Byte offset of the finding (in ``entry`` for a KMZ)."""
    end: Optional[int]
    entry: Optional[str]
    """For a KMZ: the archive entry the position counts in."""
    file: str
    """The file's name as given; ``<bytes>`` for content passed as bytes."""
    def __init__(
        self,
        code: str,
        severity: str,
        message: str,
        help: Optional[str] = None,
        line: Optional[int] = None,
        column: Optional[int] = None,
        start: Optional[int] = None,
        end: Optional[int] = None,
        entry: Optional[str] = None,
        file: str = "<bytes>",
    ) -> None: ...
    def to_dict(self) -> Dict[str, Any]:
        """The keys of one diagnostic of ``geonorm check --format json``, and ``file``."""

class Group:
    """A group of features: a KML Folder, a MapHub group, a GPX kind."""

    id: int
    title: str
    """The group's own title (one level)."""
    parent: Optional[int]
    """The enclosing group's id."""
    path: str
    """The full title path, levels joined by U+FF0F (``／``), as MapHub spells it."""
    def __init__(self, id: int, title: str, parent: Optional[int], path: str) -> None: ...

class Feature:
    """One map feature."""

    @property
    def id(self) -> Any: ...
    @property
    def title(self) -> Optional[str]: ...
    @property
    def description(self) -> Optional[str]: ...
    @property
    def group(self) -> Optional[Group]: ...
    @property
    def style(self) -> Dict[str, Union[str, int, float]]:
        """MapHub (simplestyle) keys that are set: ``marker-color``, ``stroke``…"""
    @property
    def time(self) -> Union[None, str, Tuple[Optional[str], Optional[str]]]:
        """An ISO 8601 instant, a (begin, end) span, or None."""
    @property
    def properties(self) -> Dict[str, Any]: ...
    @property
    def geometry(self) -> Optional[Dict[str, Any]]:
        """GeoJSON geometry dict (``type``, ``coordinates``), or None."""
    @property
    def vertex_values(self) -> Dict[str, List[Any]]:
        """Per-vertex values (time, heart rate, …) by name, one per vertex."""
    @property
    def __geo_interface__(self) -> Dict[str, Any]:
        """The feature as a MapHub GeoJSON Feature."""

class Document:
    """A map file read into geonorm's model."""

    @property
    def format(self) -> FormatName: ...
    @property
    def name(self) -> Optional[str]: ...
    @property
    def description(self) -> Optional[str]: ...
    @property
    def features(self) -> List[Feature]: ...
    @property
    def groups(self) -> List[Group]: ...
    @property
    def diagnostics(self) -> List[Diagnostic]: ...
    @property
    def unrepresented(self) -> Dict[str, int]: ...
    @property
    def __geo_interface__(self) -> Dict[str, Any]:
        """The document as a MapHub GeoJSON FeatureCollection (with ``groups``)."""
    def to_geojson(self, precision: Optional[int] = None) -> bytes: ...
    def to_arrow(self) -> Any:
        """A ``pyarrow.Table``, one row per feature (needs ``geonorm[arrow]``)."""
    def __arrow_c_stream__(self, requested_schema: Optional[object] = None) -> object:
        """The Arrow PyCapsule stream of the same table."""
    def __len__(self) -> int: ...
    def __getitem__(self, index: int) -> Feature: ...
    def __iter__(self) -> Iterator[Feature]: ...

def read(
    source: Source,
    format: Optional[FormatName] = None,
    *,
    gpx_groups: Literal["none", "kind"] = "none",
    threads: Optional[int] = None,
) -> Document:
    """Read a KML, KMZ, GPX or GeoJSON file (a path, or its bytes).

    Raises ReadError when the content cannot be read, OSError when the file cannot.
    """

def check(
    source: Source,
    profile: Literal["maphub", "enterprise", "rfc7946"] = "maphub",
    *,
    format: Optional[FormatName] = None,
) -> List[Diagnostic]:
    """Check a file before it is sent to MapHub, as ``geonorm check`` does."""

class ConvertResult(bytes):
    """``convert(source)`` without ``dst``: the output's bytes, with diagnostics."""

    diagnostics: List[Diagnostic]
    @property
    def data(self) -> bytes: ...

class ConvertedFile(List[Diagnostic]):
    """``convert(source, dst)``: the diagnostics (a list), the output in ``dst``."""

    data: None
    @property
    def diagnostics(self) -> List[Diagnostic]: ...

@overload
def convert(
    source: Source,
    dst: None = None,
    to: Optional[FormatName] = None,
    *,
    format: Optional[FormatName] = None,
    precision: Optional[int] = None,
    keep_root: bool = False,
    fix: bool = False,
    gpx_groups: Literal["none", "kind"] = "none",
    threads: Optional[int] = None,
    profile: Literal["maphub", "enterprise", "rfc7946"] = "maphub",
) -> ConvertResult: ...
@overload
def convert(
    source: Source,
    dst: Union[str, "os.PathLike[str]"],
    to: Optional[FormatName] = None,
    *,
    format: Optional[FormatName] = None,
    precision: Optional[int] = None,
    keep_root: bool = False,
    fix: bool = False,
    gpx_groups: Literal["none", "kind"] = "none",
    threads: Optional[int] = None,
    profile: Literal["maphub", "enterprise", "rfc7946"] = "maphub",
) -> ConvertedFile:
    """Convert as ``geonorm convert`` does (MapHub GeoJSON unless ``to`` or ``dst``'s
    extension says otherwise). Without ``dst``: the output's bytes (``ConvertResult``)
    with ``.diagnostics``; with ``dst``: writes it (whole or not at all) and returns
    the diagnostics (``ConvertedFile``, ``.data`` None): what ``check(source, profile)``
    finds, plus what the output could not hold."""

def read_arrow(
    source: Source,
    format: Optional[FormatName] = None,
    *,
    gpx_groups: Literal["none", "kind"] = "none",
    threads: Optional[int] = None,
) -> Any:
    """A ``pyarrow.Table`` of the file's features (needs ``geonorm[arrow]``)."""

def read_dataframe(
    source: Source,
    format: Optional[FormatName] = None,
    *,
    on_invalid: Literal["raise", "warn", "ignore", "fix"] = "warn",
    gpx_groups: Literal["none", "kind"] = "none",
    threads: Optional[int] = None,
) -> Any:
    """A ``geopandas.GeoDataFrame`` (EPSG:4326) of the file's features, every KML
    folder's, with a ``group`` column (needs ``geonorm[geopandas]``). A geometry GEOS
    cannot build is None with a warning unless ``on_invalid`` says otherwise."""

def codes() -> List[Dict[str, str]]:
    """Every diagnostic code with its severity and explanation."""

class MapHub:
    """A MapHub API client. The key comes from ``MAPHUB_API_KEY`` when not given."""

    def __init__(
        self,
        api_key: Optional[str] = None,
        server: Optional[str] = None,
        *,
        timeout: Optional[float] = None,
        connect_timeout: Optional[float] = None,
    ) -> None: ...
    @property
    def server(self) -> str: ...
    def append(
        self,
        source: Source,
        map_id: int,
        new_group: Optional[str] = None,
        *,
        raw: bool = False,
        assets: bool = True,
        force: bool = False,
        resume: bool = False,
        max_bytes: Optional[int] = None,
        journal: Optional[Union[str, "os.PathLike[str]"]] = None,
        unanswered_wait: Optional[int] = None,
        split_long_lines: bool = False,
    ) -> Dict[str, Any]: ...
    def upload(
        self,
        source: Source,
        visibility: Literal["public", "unlisted", "private"] = "private",
        title: Optional[str] = None,
        description: Optional[str] = None,
        short_name: Optional[str] = None,
        *,
        raw: bool = False,
        assets: bool = True,
        force: bool = False,
        resume: bool = False,
        max_bytes: Optional[int] = None,
        journal: Optional[Union[str, "os.PathLike[str]"]] = None,
        unanswered_wait: Optional[int] = None,
        split_long_lines: bool = False,
    ) -> Dict[str, Any]: ...
    def maps(self) -> Dict[str, List[Dict[str, Any]]]: ...
    def get(self, map_id: int, *, full: bool = False) -> Dict[str, Any]: ...
    def refresh_image(self, map_id: int) -> Dict[str, Any]: ...
