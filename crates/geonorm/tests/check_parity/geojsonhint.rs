//! geojsonhint's messages, what geonorm says for each, and where the two differ.

/// geojsonhint's message → geonorm's code and a fragment geonorm's message must hold
/// (the same fact, in geonorm's words). Matched on the whole message, except the
/// parse error, whose text quotes the file: that one is matched on `PARSE_ERROR`.
pub const MESSAGES: [(&str, &str, &str); 39] = [
    ("\"coordinates\" member required", "geojson/missing-member", "needs a \"coordinates\" member"),
    (
        "\"coordinates\" member should be an array, but is an string instead",
        "geojson/member-type",
        "\"coordinates\" should be an array, but is a string",
    ),
    ("\"features\" member required", "geojson/missing-member", "needs a \"features\" member"),
    (
        "\"features\" member should be an array, but is an object instead",
        "geojson/member-type",
        "\"features\" should be an array, but is an object",
    ),
    ("\"geometry\" member required", "geojson/missing-member", "needs a \"geometry\" member"),
    ("\"properties\" member required", "geojson/missing-member", "needs a \"properties\" member"),
    (
        "\"properties\" member should be object, but is an Array instead",
        "geojson/member-type",
        "\"properties\" should be an object or null, but is an array",
    ),
    (
        "\"properties\" member should be object, but is an Number instead",
        "geojson/member-type",
        "\"properties\" should be an object or null, but is a number",
    ),
    ("\"type\" member required", "geojson/missing-member", "has no \"type\" member"),
    (
        "\"type\" member should be string, but is an object instead",
        "geojson/wrong-type",
        "\"type\" should be a string, but is an object",
    ),
    (
        "An object contained duplicate members, making parsing ambigous: type",
        "geojson/duplicate-member",
        "member \"type\" appears twice",
    ),
    ("Every feature must be an object", "geojson/invalid-feature", "every feature must be an object"),
    (
        "Expected FeatureCollection but got featurecollection (case sensitive)",
        "geojson/wrong-type",
        "expected FeatureCollection but got featurecollection",
    ),
    (
        "Feature \"id\" member must have a string or number value",
        "geojson/member-type",
        "\"id\" must be a string or a number",
    ),
    (
        "Feature object cannot contain a \"coordinates\" member",
        "geojson/forbidden-member",
        "a Feature cannot contain a \"coordinates\" member",
    ),
    (
        "Feature object cannot contain a \"features\" member",
        "geojson/forbidden-member",
        "a Feature cannot contain a \"features\" member",
    ),
    (
        "FeatureCollection object cannot contain a \"coordinates\" member",
        "geojson/forbidden-member",
        "a FeatureCollection cannot contain a \"coordinates\" member",
    ),
    (
        "FeatureCollection object cannot contain a \"properties\" member",
        "geojson/forbidden-member",
        "a FeatureCollection cannot contain a \"properties\" member",
    ),
    (
        "GeoJSON features must have a type=feature member",
        "geojson/invalid-feature",
        "a feature's type must be \"Feature\"",
    ),
    (
        "GeometryCollection should avoid nested geometry collections",
        "geojson/nested-collection",
        "a GeometryCollection holds another GeometryCollection",
    ),
    (
        "GeometryCollection with a single geometry should be avoided in favor of single part or a single object of multi-part type",
        "geojson/single-collection",
        "a GeometryCollection with a single geometry",
    ),
    (
        "Polygons and MultiPolygons should follow the right-hand rule",
        "geojson/right-hand-rule",
        "polygons should follow the right-hand rule",
    ),
    (
        "The geometries array in a GeometryCollection must contain only geometry objects",
        "geojson/member-type",
        "the geometries of a GeometryCollection must be geometry objects",
    ),
    ("The root of a GeoJSON object must be an object.", "geojson/root", "the root is null, not an object"),
    ("The type FooBar is unknown", "geojson/wrong-type", "the type FooBar is not a GeoJSON type"),
    (
        "a LinearRing of coordinates needs to have four or more positions",
        "geometry/short-ring",
        "a polygon ring has 3 positions; it needs four or more",
    ),
    (
        "a line needs to have two or more coordinates to be valid",
        "geometry/short-line",
        "a line has 1 position; it needs two or more",
    ),
    (
        "a number was found where a coordinate array should have been found: this needs to be nested more deeply",
        "geojson/bad-position",
        "a number was found where an array of coordinates should be",
    ),
    (
        "bbox member must be an array of numbers, but is a string",
        "geojson/bad-bbox",
        "\"bbox\" should be an array of numbers, but is a string",
    ),
    (
        "bbox must contain 4 elements (for 2D) or 6 elements (for 3D)",
        "geojson/bad-bbox",
        "it needs 4 (2D) or 6 (3D)",
    ),
    (
        "each element in a bbox member must be a number",
        "geojson/bad-bbox",
        "each element of a bbox must be a number",
    ),
    (
        "each element in a position must be a number",
        "geojson/bad-position",
        "each element of a position must be a number",
    ),
    (
        "geometry object cannot contain a \"features\" member",
        "geojson/forbidden-member",
        "a geometry cannot contain a \"features\" member",
    ),
    (
        "geometry object cannot contain a \"geometry\" member",
        "geojson/forbidden-member",
        "a geometry cannot contain a \"geometry\" member",
    ),
    (
        "geometry object cannot contain a \"properties\" member",
        "geojson/forbidden-member",
        "a geometry cannot contain a \"properties\" member",
    ),
    (
        "position must have 2 or more elements",
        "geojson/position-too-short",
        "a position has 1 number; it needs 2 or 3",
    ),
    // geonorm words the same finding as for a deeper level: a number where an array
    // (here, a position) should be.
    (
        "position should be an array, is a number instead",
        "geojson/bad-position",
        "a number was found where an array of coordinates should be",
    ),
    (
        "position should not have more than 3 elements",
        "geojson/extra-ordinates",
        "a position has 4 numbers",
    ),
    (
        "the first and last positions in a LinearRing of coordinates must be the same",
        "geometry/ring-not-closed",
        "a polygon ring",
    ),
];

/// The one message matched by its start, with the code and fragment it maps to: a
/// JSON syntax error, whose message quotes the text around it.
pub const PARSE_ERROR: (&str, &str, &str) = ("Parse error on line ", "json/syntax", "expected");

/// Findings geonorm places on another line than geojsonhint, and why: file, the start
/// of geojsonhint's message, its line, geonorm's line.
pub const OTHER_LINES: [(&str, &str, usize, usize, &str); 2] = [
    (
        "bad-json.geojson",
        "Parse error on line ",
        1,
        3,
        "geojsonhint gives every parse error line 1; geonorm the line of the token at fault \
         (line 3, column 5, as check-geojson's own test asserts)",
    ),
    (
        "bad-duplicate-properties.geojson",
        "An object contained duplicate members",
        1,
        3,
        "geojsonhint points at the object, geonorm at the member given a second time",
    ),
];

/// geojsonhint findings that geonorm gives at another severity, and why: geojsonhint's
/// message, geonorm's code, geonorm's severity ("error" or "warning").
pub const OTHER_SEVERITY: [(&str, &str, &str); 2] = [
    (
        "GeometryCollection should avoid nested geometry collections",
        "warning",
        "RFC 7946 says SHOULD NOT: the file is valid, and the project's rules make a SHOULD a warning",
    ),
    (
        "GeometryCollection with a single geometry should be avoided in favor of single part or a single object of multi-part type",
        "warning",
        "RFC 7946 says SHOULD avoid: a warning, as above",
    ),
];

/// What geonorm finds beyond geojsonhint's list, per file and code, with the count and
/// the reason; everything else geonorm says about a bad file is on geojsonhint's list.
pub const EXTRA: [(&str, &str, usize, &str); 5] = [
    (
        "bad-polygonloop.geojson",
        "geojson/bad-position",
        361,
        "the Polygon's coordinates are positions, not rings: geonorm reports each of the \
         722 numbers found where a position should be, at its ring's line; geojsonhint \
         once per ring (yet once per number for multipoint-nondimension.geojson)",
    ),
    (
        "different-first-size.geojson",
        "geojson/right-hand-rule",
        1,
        "the ring is clockwise; geojsonhint checks the winding only of closed rings",
    ),
    (
        "excessive_precision_truncated.geojson",
        "geojson/precision",
        7,
        "geojsonhint warns about precision only when asked (`precisionWarning`); its \
         `.result` is empty; geonorm always warns",
    ),
    (
        "featurecollection-type-case.geojson",
        "geojson/invalid-feature",
        3,
        "geojsonhint stops at the root's wrong type; geonorm goes on into the features, \
         whose type is \"feature\"",
    ),
    (
        "featurecollection-type-case.geojson",
        "geojson/wrong-type",
        3,
        "as above: the geometries' types are \"point\", \"linestring\", \"polygon\"",
    ),
];

/// `.result` files without their `.geojson`: geojsonhint's repository has none either.
pub const ORPHAN_RESULTS: [(&str, &str); 1] = [(
    "bad-feature-with-number-id.result",
    "geojsonhint's repository holds this result without its input file",
)];
