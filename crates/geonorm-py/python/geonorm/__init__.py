"""geonorm: read, check and convert KML, KMZ, GPX and GeoJSON for MapHub.

    >>> import geonorm
    >>> doc = geonorm.read("trip.gpx")                  # a path, or the bytes
    >>> [f.title for f in doc.features]
    >>> geonorm.check("trip.kml")                       # list of Diagnostic
    >>> geonorm.convert("trip.kml")                     # MapHub GeoJSON bytes

``Document`` and ``Feature`` implement ``__geo_interface__``, so
``geopandas.GeoDataFrame.from_features(doc)`` and ``shapely.geometry.shape(feature)``
take them as they are. Reading, checking and converting release the GIL and parse on
geonorm's own threads.
"""

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
    convert,
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
    "convert",
    "read",
]
