"""geonorm: read, check and convert KML, KMZ, GPX and GeoJSON for MapHub.

    >>> import geonorm
    >>> doc = geonorm.read("trip.gpx")                  # a path, or the bytes
    >>> [f.title for f in doc.features]
    >>> geonorm.check("trip.kml")                       # list of Diagnostic
    >>> geonorm.convert("trip.kml")                     # MapHub GeoJSON bytes (+ .diagnostics)
    >>> geonorm.read_dataframe("trip.kml")              # GeoDataFrame, every folder

``Document`` and ``Feature`` implement ``__geo_interface__``, so
``geopandas.GeoDataFrame.from_features(doc)`` and ``shapely.geometry.shape(feature)``
take them as they are. Reading, checking and converting release the GIL and parse on
geonorm's own threads.
"""

import os as _os
from typing import Any as _Any

from ._geonorm import _convert
from ._geonorm import (
    MAPHUB_MAX_UPLOAD_BYTES,
    Diagnostic,
    Document,
    Feature,
    GeonormError,
    Group,
    MapHub,
    MapHubError,
    ReadError,
    __version__,
    check,
    codes,
    read,
)

__all__ = [
    "MAPHUB_MAX_UPLOAD_BYTES",
    "Diagnostic",
    "Document",
    "Feature",
    "GeonormError",
    "Group",
    "MapHub",
    "MapHubError",
    "ReadError",
    "__version__",
    "check",
    "codes",
    "ConvertResult",
    "ConvertedFile",
    "convert",
    "read",
    "read_arrow",
    "read_dataframe",
]


class ConvertResult(bytes):
    """What ``convert(source)`` returns without ``dst``: the output's bytes (it *is*
    those bytes, as before), with ``.data`` (the same bytes) and ``.diagnostics``."""

    diagnostics: "list[Diagnostic]"

    @property
    def data(self) -> bytes:
        return bytes(self)


class ConvertedFile(list):  # type: ignore[type-arg]
    """What ``convert(source, dst)`` returns: the diagnostics (it *is* that list, as
    before), with ``.diagnostics`` (the same list) and ``.data``, None: the output
    went to ``dst``."""

    data = None

    @property
    def diagnostics(self) -> "list[Diagnostic]":
        return list(self)


def convert(source: _Any, dst: _Any = None, to: _Any = None, **options: _Any) -> _Any:
    """Converts a map file to another format, as ``geonorm convert`` does, byte for byte.

    ``to`` is 'geojson' (MapHub's dialect), 'kml', 'kmz' or 'gpx'; by default ``dst``'s
    extension, else 'geojson'. Without ``dst`` the result is a :class:`ConvertResult`:
    the output's bytes, with ``.diagnostics``. With ``dst``, ``dst`` is written whole or
    not at all and the result is a :class:`ConvertedFile`: the list of diagnostics, with
    ``.data`` None. The diagnostics are what ``check(source, profile)`` finds, plus what
    the output could not hold. Keyword options: ``format``, ``precision`` (0 to 17),
    ``keep_root``, ``fix``, ``gpx_groups``, ``threads``, ``profile``, as the CLI's flags.
    Raises ReadError when the input cannot be read. The GIL is released while converting.
    """
    data, diagnostics = _convert(source, dst, to, **options)
    if data is None:
        return ConvertedFile(diagnostics)
    result = ConvertResult(data)
    result.diagnostics = diagnostics
    return result


def read_arrow(source: _Any, format: _Any = None, **options: _Any) -> _Any:
    """Reads a map file (a path, bytes or a binary file object) into a
    ``pyarrow.Table``, one row per feature: see :meth:`Document.to_arrow`. Options are
    :func:`read`'s. Needs pyarrow (``pip install 'geonorm[arrow]'``)."""
    return read(source, format, **options).to_arrow()


def read_dataframe(
    source: _Any, format: _Any = None, *, on_invalid: str = "warn", **options: _Any
) -> _Any:
    """Reads a map file (a path, bytes or a binary file object) into a
    ``geopandas.GeoDataFrame`` with CRS EPSG:4326: one row per feature of every KML
    folder, with ``group`` (the folder path) and ``group_id`` columns, styles, typed
    properties and per-vertex lists. Built from the Arrow table of
    :meth:`Document.to_arrow` (``GeoDataFrame.from_arrow``), not from one dict per
    feature. Options are :func:`read`'s.

    A geometry GEOS cannot build (a line of one position, an unclosed ring: geonorm
    keeps them as read, ``check`` reports them) becomes None with a warning
    (``on_invalid="warn"``), None silently (``"ignore"``), is repaired (``"fix"``,
    Shapely 2.1) or raises (``"raise"``). Needs GeoPandas 1.0 or newer and pyarrow
    (``pip install 'geonorm[geopandas]'``)."""
    try:
        import geopandas
        import pyarrow  # noqa: F401  (from_arrow needs it)
        import shapely
    except ImportError as e:
        raise ImportError(
            f"geonorm.read_dataframe needs geopandas and pyarrow ({e.name} is missing): "
            "pip install 'geonorm[geopandas]'"
        ) from e
    if on_invalid not in ("raise", "warn", "ignore", "fix"):
        raise ValueError("on_invalid must be 'raise', 'warn', 'ignore' or 'fix'")
    table = read(source, format, **options).to_arrow()
    try:
        gdf = geopandas.GeoDataFrame.from_arrow(table, geometry="geometry")
    except (shapely.errors.GEOSException, ValueError):
        if on_invalid == "raise":
            raise
        # Rare: some geometry GEOS refuses. Decoded here with Shapely's own handling
        # of it, the other columns as from_arrow converts them.
        wkb = table.column("geometry").to_numpy(zero_copy_only=False)
        geometry = shapely.from_wkb(wkb, on_invalid=on_invalid)
        frame = table.drop_columns(["geometry"]).to_pandas()
        frame.insert(0, "geometry", geometry)
        gdf = geopandas.GeoDataFrame(frame, geometry="geometry")
    # GeoArrow says OGC:CRS84 (longitude first); EPSG:4326 is the same datum, and the
    # CRS GeoPandas users compare with.
    return gdf.set_crs("EPSG:4326", allow_override=True)
