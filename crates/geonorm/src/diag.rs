//! Diagnostics: what a reader skipped, repaired or could not represent, as plain data.
//!
//! A diagnostic holds a byte [`Span`]; line and column are worked out only when it is
//! rendered ([`LineIndex`]), so readers pay nothing for positions they never print.

use std::fmt;

/// A byte range in the source, `start..end`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "render", derive(serde::Serialize))]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// The range `start..end`.
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }
}

/// How bad a finding is. Ordered, so `severity >= Severity::Warning` works.
///
/// The principle (docs/diagnostics.md): an error means MapHub would refuse the file or
/// the map would show something wrong after geonorm's conversion; a repair, or a skip
/// that loses nothing the map could show, is a warning or an info.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "render", derive(serde::Serialize))]
#[cfg_attr(feature = "render", serde(rename_all = "lowercase"))]
pub enum Severity {
    /// Worth knowing; nothing is lost.
    Info,
    /// Something was repaired, or dropped that has no place on the map.
    Warning,
    /// MapHub would refuse the file, or the map would show something wrong.
    Error,
}

impl Severity {
    /// `info`, `warning` or `error`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! codes {
    ($($variant:ident = $code:literal, $severity:ident, $doc:literal;)*) => {
        /// A stable, path-like diagnostic code. Each is documented once, here.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Code {
            $(#[doc = $doc] $variant,)*
        }

        impl Code {
            /// Every code, in catalogue order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The code as written in output, e.g. `geojson/extra-ordinates`.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code,)* }
            }

            /// The severity this code is reported with.
            pub fn severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$severity,)* }
            }

            /// One paragraph on what the code means and what to do about it.
            pub fn explain(self) -> &'static str {
                match self { $(Code::$variant => $doc,)* }
            }

            /// The code spelled `s`.
            pub fn from_name(s: &str) -> Option<Code> {
                match s { $($code => Some(Code::$variant),)* _ => None }
            }
        }
    };
}

codes! {
    JsonSyntax = "json/syntax", Error,
        "The file is not valid JSON at this position; nothing after it can be read. Fix the syntax (a missing comma, quote or bracket is the usual cause).";
    XmlSyntax = "xml/syntax", Error,
        "The file is not well-formed XML at this position (a tag not closed, a stray `<` or `&`); nothing after it can be read.";
    XmlInvalidUtf8 = "xml/invalid-utf8", Warning,
        "Bytes that are not UTF-8 in a file that is UTF-8 (by declaration or by default); each bad sequence is read as U+FFFD, so the text there is changed. Re-save the file as UTF-8, or declare its real encoding in the prolog.";
    XmlForbiddenChar = "xml/forbidden-char", Warning,
        "A NUL or another control character that XML 1.0 forbids; it is dropped. Such bytes usually come from a truncated or padded file. Past 1 MiB of them the input is refused as binary data.";
    XmlEntityNotExpanded = "xml/entity-not-expanded", Info,
        "A reference to an entity XML does not define itself (`&nbsp;`, or one declared in the file's DTD); geonorm never expands entities (a DTD can make them explode or fetch files), so the reference is kept in the text as written.";
    KmzUnreadable = "kmz/unreadable", Error,
        "The KMZ cannot be read: not a zip archive, no .kml inside, or its KML expands past the size or ratio limits (a possible zip bomb).";
    GeojsonRoot = "geojson/root", Error,
        "The root is not a GeoJSON object (FeatureCollection, Feature or Geometry).";
    GeojsonMissingType = "geojson/missing-type", Warning,
        "An object has no `type` member; geonorm inferred it from the other members. RFC 7946 requires `type`.";
    GeojsonInvalidFeature = "geojson/invalid-feature", Error,
        "An item of `features` is not a Feature object; it is skipped.";
    GeojsonInvalidGeometry = "geojson/invalid-geometry", Error,
        "A geometry is malformed (unknown type, wrong nesting, non-numeric coordinates); the feature is kept without geometry.";
    GeojsonPositionTooShort = "geojson/position-too-short", Error,
        "A position has fewer than two numbers; the geometry is dropped because its shape cannot be known.";
    GeojsonExtraOrdinates = "geojson/extra-ordinates", Warning,
        "A position has more than three numbers (longitude, latitude, altitude); the extra ordinates are dropped. RFC 7946 allows them but no MapHub format keeps them.";
    GeojsonEmptyPoint = "geojson/empty-point", Warning,
        "A Point has no coordinates; the feature is kept without geometry.";
    GeojsonNestedForeignMember = "geojson/nested-foreign-member", Warning,
        "A geometry inside a GeometryCollection has members besides type and coordinates; they are not kept.";
    GeojsonInvalidGroups = "geojson/invalid-groups", Error,
        "The top-level `groups` member is not an array of `{title, id}` objects; the malformed entries are skipped or repaired as the message says.";
    GeojsonGroupIdNotInteger = "geojson/group-id-not-integer", Warning,
        "A group's id is not a positive integer, as MapHub's own files have it; the group gets an integer id, and features naming the old id follow it.";
    GeojsonGroupByTitle = "geojson/group-by-title", Info,
        "A feature's `group` is a title path (levels joined by U+FF0F), as MapHub's uploads allow, naming no declared group; the group and any missing parents are created.";
    GroupTooDeep = "group/too-deep", Warning,
        "Groups nest deeper than 32 levels (a title path with more levels, or KML folders inside folders); the deeper levels are not separate groups: their titles stay in the last level's title, their features go to the deepest group.";
    GeojsonDuplicateGroupId = "geojson/duplicate-group-id", Error,
        "Two groups share an id; the later one gets a fresh id, and features naming the id go to the first.";
    GeojsonImplicitParentGroup = "geojson/implicit-parent-group", Info,
        "A group's title path names a parent group that is not declared; geonorm adds it so the tree is complete.";
    GeojsonCoordinateProperties = "geojson/coordinate-properties", Warning,
        "`coordinateProperties` does not match the geometry (not a line, or array lengths differ from the vertex counts); it is kept as an ordinary property.";
    KmlRoot = "kml/root", Error,
        "The root element is not `<kml>` (nor a bare Document, Folder or Placemark); the file is not KML.";
    KmlBadCoordinates = "kml/bad-coordinates", Error,
        "A coordinate tuple could not be read (a value that is not a number, a tuple with one number); that position is dropped and the rest of the geometry kept.";
    KmlExtraOrdinates = "kml/extra-ordinates", Warning,
        "A coordinate tuple has more than three numbers; longitude, latitude and altitude are kept.";
    KmlPointExtraCoordinates = "kml/point-extra-coordinates", Warning,
        "A Point has more than one coordinate tuple; the first is kept.";
    KmlEmptyGeometry = "kml/empty-geometry", Warning,
        "A geometry has no coordinates; the placemark is kept without geometry.";
    KmlRingNotClosed = "kml/ring-not-closed", Warning,
        "A polygon ring does not end at its first position; geonorm closes it by repeating that position.";
    KmlMultipleGeometries = "kml/multiple-geometries", Warning,
        "A Placemark holds more than one geometry, which KML does not allow; they are combined as if in a MultiGeometry.";
    KmlTrackMismatch = "kml/track-mismatch", Warning,
        "A track's `when` and `coord` counts differ (or a per-point array's length differs from the track's); the times (or the array) are dropped, the positions kept.";
    KmlTrackGap = "kml/track-gap", Info,
        "An empty `gx:coord` in a track marks a pause (OpenTracks writes them); the track is broken into pieces there. A piece of a single point is no line: it is left out of the track, and said so.";
    KmlEmptyTime = "kml/empty-time", Info,
        "An empty `when`, `begin` or `end` gives no time; it is ignored (a track point keeps its position without a time).";
    KmlLooseArray = "kml/loose-array", Info,
        "A `gx:SimpleArrayData` (per-point values) stands in the Placemark's ExtendedData rather than inside its `gx:Track`; it is attached to the line's points when it has one value per point, else kept as an array property.";
    KmlUnresolvedStyle = "kml/unresolved-style", Warning,
        "A `styleUrl` names no Style or StyleMap in the document; the placemark gets no shared style.";
    KmlExternalStyle = "kml/external-style", Warning,
        "A `styleUrl` points into another file or the web, which geonorm does not fetch; it is kept as the `styleUrl` property.";
    KmlBadColor = "kml/bad-color", Warning,
        "A colour is not KML's `aabbggrr` hex; that colour is ignored.";
    KmlMissingSchema = "kml/missing-schema", Warning,
        "SchemaData refers to a Schema the document does not define; its values are kept as text.";
    KmlBadTypedValue = "kml/bad-typed-value", Warning,
        "A SimpleData value does not match its Schema field's type; it is kept as text.";
    KmlDuplicateData = "kml/duplicate-data", Warning,
        "Two ExtendedData values of a placemark have the same name; the first is kept.";
    KmlUnnamedFolder = "kml/unnamed-folder", Info,
        "A Folder or Document has no name; its group is titled \"Untitled folder\".";
    KmlNotRepresentable = "kml/not-representable", Warning,
        "An element with no place in a MapHub map (NetworkLink, GroundOverlay, ScreenOverlay, PhotoOverlay, Model, Tour, Region…) is skipped; `geonorm info` counts them.";
    KmlIgnoredElement = "kml/ignored-element", Info,
        "Elements that only affect the view in Google Earth (LookAt, Camera, open…) or are unknown, and a Data's `displayName`, are skipped; reported once per name with a count, at the first. The `highlight` pair of a Placemark's inline StyleMap (a map draws the normal style) is reported where it is.";
    KmlTooDeep = "kml/too-deep", Warning,
        "Elements nested deeper than geonorm reads (64 levels inside a Placemark) are skipped.";
    GpxRoot = "gpx/root", Error,
        "The root element is not `<gpx>`; the file is not GPX.";
    GpxMissingLatLon = "gpx/missing-lat-lon", Error,
        "A waypoint, route point or track point has no readable `lat`/`lon`; that point is dropped, the rest of the file read.";
    GpxBadTime = "gpx/bad-time", Warning,
        "A `<time>` is not an ISO 8601 date and time; that time is dropped, the point kept.";
    GpxBadNumber = "gpx/bad-number", Warning,
        "An `<ele>`, `<hdop>` or other numeric field is not a number; that value is dropped.";
    GpxEmptySegment = "gpx/empty-segment", Warning,
        "A track segment has no points; it is skipped.";
    GpxEmptyTrack = "gpx/empty-track", Warning,
        "A route or track has no points; it is kept, with its name, as a feature without geometry.";
    GpxSinglePointTrack = "gpx/single-point-track", Warning,
        "A route, track or track segment has a single point, which is no line. A route or track made of it is kept as a point, with the point's time; a one-point segment beside longer ones is dropped, and the message gives its position, elevation, time and values.";
    GpxIgnoredElement = "gpx/ignored-element", Info,
        "Unknown or misplaced elements, empty `<time>`s (OpenTracks writes them to mark pauses; read as no time), a track or route point's links and unknown elements, the earlier of a per-point value given twice in one point, attributes and text directly in a point's `<extensions>`, and complex point extensions are skipped; reported once per kind with a count, at the first.";
    GpxMisplacedWaypoint = "gpx/misplaced-waypoint", Info,
        "A `<wpt>` inside a `<trk>`, `<trkseg>` or `<rte>` (OpenRouteService exports put them there), where GPX does not allow it; it is read as a waypoint like those under `<gpx>`, after its track or route. Reported once per file with a count.";
    GeojsonDuplicateMember = "geojson/duplicate-member", Error,
        "An object has two members with the same name; readers disagree on which one counts (RFC 7946 §11.1, I-JSON).";
    GeojsonWrongType = "geojson/wrong-type", Error,
        "A `type` is not one GeoJSON defines, differs in case (`featurecollection`), or is not the type this place needs (a FeatureCollection's features must be Features).";
    GeojsonMissingMember = "geojson/missing-member", Error,
        "A member RFC 7946 requires is missing: `type`, a FeatureCollection's `features`, a Feature's `geometry` and `properties` (either may be null), a geometry's `coordinates` or `geometries`.";
    GeojsonMemberType = "geojson/member-type", Error,
        "A member has the wrong kind of JSON value: `features` not an array, `properties` not an object or null, `id` neither a string nor a number, a feature that is not an object…";
    GeojsonForbiddenMember = "geojson/forbidden-member", Error,
        "A member that would change what the object means (RFC 7946 §7.1): `coordinates` in a Feature, `properties` in a geometry, `features` in a Feature…";
    GeojsonBadPosition = "geojson/bad-position", Error,
        "A position is not an array of 2 or 3 numbers, or coordinates are nested too shallow or too deep for the geometry's type.";
    GeojsonBadBbox = "geojson/bad-bbox", Error,
        "A `bbox` is not an array of 4 (2D) or 6 (3D) numbers.";
    GeojsonRightHandRule = "geojson/right-hand-rule", Warning,
        "A polygon's exterior ring is not counterclockwise, or a hole not clockwise (RFC 7946 §3.1.6). Readers must accept it; `geonorm fix` rewinds it.";
    GeojsonNestedCollection = "geojson/nested-collection", Warning,
        "A GeometryCollection holds another GeometryCollection, which RFC 7946 advises against.";
    GeojsonSingleCollection = "geojson/single-collection", Warning,
        "A GeometryCollection holds a single geometry: use the geometry itself.";
    GeojsonPrecision = "geojson/precision", Warning,
        "A coordinate has more than 6 decimal places (about 10 cm); the extra digits add bytes, not accuracy (RFC 7946 §11.2).";
    GeometryLatOutOfRange = "geometry/lat-out-of-range", Error,
        "A latitude is outside -90 to 90 degrees. If the longitude is inside that range, the two were likely swapped.";
    GeometryLonOutOfRange = "geometry/lon-out-of-range", Error,
        "A longitude is outside -180 to 180 degrees. If it would be a valid latitude and the latitude a valid longitude, the two were likely swapped.";
    GeometryShortLine = "geometry/short-line", Error,
        "A line has fewer than two positions.";
    GeometryDegenerateLine = "geometry/degenerate-line", Warning,
        "A line's positions are all the same: it has no length and will not show.";
    GeometryShortRing = "geometry/short-ring", Error,
        "A polygon ring has fewer than four positions (three corners and the closing one).";
    GeometryRingNotClosed = "geometry/ring-not-closed", Error,
        "A polygon ring does not end at its first position. `geonorm fix` closes it.";
    GeometryHoleOutside = "geometry/hole-outside", Error,
        "A polygon's hole is not inside its outer ring.";
    GeometryEmpty = "geometry/empty", Warning,
        "A geometry has no positions.";
    GeometryMissing = "geometry/missing", Warning,
        "A feature has no geometry: it will not appear on the map (MapHub keeps it only in lists, if at all).";
    GeometryRepeatedPosition = "geometry/repeated-position", Info,
        "A line or ring repeats a position right after itself. Harmless, but `geonorm fix` drops the repeats.";
    GeometryAntimeridian = "geometry/antimeridian", Warning,
        "A line jumps more than 180 degrees of longitude between two positions: it probably crosses the antimeridian and will be drawn the long way round the world (RFC 7946 §3.1.9 asks to cut it).";
    MaphubFileType = "maphub/file-type", Error,
        "The file is not KML, KMZ, GPX or GeoJSON, the only types MapHub's map/append takes. Binary data (a NUL byte in its first bytes, as in an image or /dev/zero) is refused from its first bytes, whatever format is asked for.";
    MaphubMisnamed = "maphub/misnamed", Warning,
        "The file's extension names another format than its content; MapHub's `file_type` must match the content.";
    MaphubTooLarge = "maphub/too-large", Info,
        "The file is larger than MapHub's 15 MiB limit per request (Enterprise servers have none). Not an error: `geonorm append` and `geonorm upload` split it into parts under the limit; only `--raw`, which sends the file as it is, cannot, and refuses it.";
    MaphubConvertedTooLarge = "maphub/converted-too-large", Info,
        "Converted to MapHub GeoJSON, which `geonorm append` and `geonorm upload` send, the file would be larger than MapHub's 15 MiB limit per request; it will be sent in several parts, each under the limit.";
    MaphubFeatureTooLarge = "maphub/feature-too-large", Error,
        "One feature alone, as MapHub GeoJSON and with what a request adds around it (the collection, the send's mark, its groups: 4 KiB are allowed), is over MapHub's 15 MiB limit per request: no split can send it, so `geonorm append` and `geonorm upload` refuse the file before sending anything. A line can be cut with `--split-long-lines`; anything else must be split or simplified by hand. Not checked under `--profile enterprise` (no limit).";
    MaphubNotCollection = "maphub/not-collection", Error,
        "MapHub takes a GeoJSON FeatureCollection; this root is a single Feature or geometry. `geonorm convert` wraps it.";
    MaphubDanglingGroup = "maphub/dangling-group", Error,
        "A feature's `group` names no group in the file's `groups`. `geonorm fix` creates the group.";
    MaphubSeparatorLookalike = "maphub/separator-lookalike", Warning,
        "A group title contains `/`, `∕` or `⁄`: these do not nest groups in MapHub. Only U+FF0F FULLWIDTH SOLIDUS `／` separates levels.";
    MaphubColor = "maphub/color", Warning,
        "A colour (`marker-color`, `stroke`, `fill`) is not `#rrggbb` hex, the form MapHub reads.";
    MaphubProcessingTime = "maphub/processing-time", Warning,
        "The file holds enough vertices or features that MapHub's 2-minute processing limit may stop it (threshold: 1,000,000 vertices or 100,000 features, an estimate from MapHub's limits, not measured against the service). Split it.";
    MaphubCollectionProperties = "maphub/collection-properties", Info,
        "The FeatureCollection has a `properties` member. RFC 7946 §7.1 forbids it, but MapHub's own exports carry one; it is accepted here.";
    KmlEmptyPlacemark = "kml/empty-placemark", Warning,
        "A Placemark has no content and no `id` (OGC KML 2.2 ATC: an empty object needs an id, for an Update to target).";
    KmlEmptyFolder = "kml/empty-folder", Warning,
        "A Folder or Document has no content (OGC KML 2.2, level 2).";
    KmlBadFieldType = "kml/bad-field-type", Warning,
        "A Schema's SimpleField has a `type` KML does not define (string, int, uint, short, ushort, float, double, bool).";
    KmlBadBox = "kml/bad-box", Warning,
        "A LatLonBox or LatLonAltBox has north below south, or a value outside the range of latitudes or longitudes.";
    KmlBadStyleMap = "kml/bad-style-map", Warning,
        "A StyleMap lacks a `normal` and a `highlight` Pair, or a Pair lacks its key or its style (styleUrl or Style).";
    KmlLookAtAltitude = "kml/lookat-altitude", Info,
        "A LookAt or Camera has an altitudeMode other than clampToGround but no `altitude`.";
    KmlExternalSchema = "kml/external-schema", Info,
        "SchemaData refers to a Schema in another file, which geonorm does not fetch; its values are kept as text.";
    FixClosedRing = "fix/closed-ring", Info,
        "`fix` closed a polygon ring by repeating its first position at the end.";
    FixRewound = "fix/rewound", Info,
        "`fix` reversed a polygon ring to follow the right-hand rule (exterior counterclockwise, holes clockwise).";
    FixDroppedRepeats = "fix/dropped-repeats", Info,
        "`fix` dropped positions that repeated the one before them.";
    FixSplitLine = "fix/split-line", Info,
        "`--split-long-lines` cut a line that was over MapHub's limit per request as one feature into consecutive features under it, each with the line's properties and `geonorm_part` (`k/n`); consecutive pieces share the vertex where they join, so nothing is lost.";
    FixCreatedGroup = "fix/created-group", Info,
        "`fix` created a group for an id features named but the file did not declare.";
    WriteNotRepresentable = "write/not-representable", Warning,
        "Something the target format cannot hold (a polygon in GPX, a per-vertex array without times in KML…); the message says what happened to it.";
    WriteRewound = "write/rewound", Info,
        "A polygon ring was wound against what the output format expects (RFC 7946 GeoJSON: exterior counterclockwise, holes clockwise; KML: outer boundary counterclockwise); the writer wrote its positions, and their per-vertex values, the other way round. What the polygon covers does not change.";
    KmlClockwiseRing = "kml/clockwise-ring", Info,
        "A Polygon's outer boundary is clockwise; the KML reference wants polygon coordinates counterclockwise (some renderers fill or extrude it inside out). `geonorm convert` writes it counterclockwise.";
    WritePropertyClash = "write/property-clash", Warning,
        "A property has the name of a field the writer fills from the model (title, description, group, a style key, timestamp, coordinateProperties); the model's value is written and the property is not.";
    WriteNonFinite = "write/non-finite-number", Error,
        "A coordinate is NaN or infinite, which no output format can hold; it is written as null.";
    KmlPhotoOverlay = "kml/photo-overlay", Info,
        "A PhotoOverlay placed at a Point (a photo taken there, as Google Earth's \"Add Photo\" makes) is read as a point whose description shows the photo (`<img src>`); how Google Earth frames it (ViewVolume, shape, rotation) is not kept. Sent from a KMZ, the photo becomes the point's MapHub image.";
    AssetMissing = "asset/missing", Warning,
        "An icon or a photo (`<img src>` in a description) the document refers to is not in the KMZ, or not beside the KML; the features that use it go without it (MapHub's default pin, no image), and a KMZ written from the document cannot carry it (its reference is kept). `check` of a KMZ says it for each reference the archive lacks.";
    AssetUnreadable = "asset/unreadable", Warning,
        "An icon or a photo cannot be used: not an image geonorm can read (PNG, JPEG, GIF, BMP), damaged, or over a limit; the features that use it go without it. The limits: MapHub's 15 MB per file; 16 Mpx for an icon, 40 Mpx for a photo and 256 Mpx for all the images of one input, read from the header before decoding; and a KMZ's icons and photos decompress to at most 10 times the archive's size together (at least 16 MiB), past which the rest is refused as a possible zip bomb.";
    AssetOutside = "asset/outside", Warning,
        "An icon or a photo is given by an absolute path or one that leads out of the KMZ or the KML's folder (`..`, a symbolic link); it is not read, so a file from elsewhere cannot make geonorm send other files of yours.";
    AssetRemote = "asset/remote", Info,
        "An icon is a web address other than Google Earth's own icons; geonorm does not fetch it, so it does not become a MapHub marker (the `icon` property keeps the address).";
    AssetConverted = "asset/converted", Info,
        "An icon or a photo was converted for MapHub: to PNG (marker/upload takes PNG only; image/upload JPEG or PNG), or an icon larger than 128 px scaled down.";
    AssetPhotoMoved = "asset/photo-moved", Info,
        "A photo in a description was uploaded as the feature's MapHub image; its `<img>` tag is taken out of the description, whose text is kept.";
    AssetExtraImage = "asset/extra-image", Warning,
        "A description shows more than one local photo; MapHub keeps one image per feature, so only the first is uploaded and the other `<img>` tags stay, pointing at files MapHub does not have.";
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A code serializes as the string it is written as in output, e.g.
/// `"geometry/lat-out-of-range"`: the variant names are not a stable interface.
#[cfg(feature = "render")]
impl serde::Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "render", derive(serde::Serialize))]
pub struct Diagnostic {
    /// Stable code.
    pub code: Code,
    /// How bad it is.
    pub severity: Severity,
    /// One line that makes sense on its own.
    pub message: String,
    /// Where in the source, if known.
    pub span: Option<Span>,
    /// What to do about it.
    pub help: Option<String>,
}

impl Diagnostic {
    /// Sorts `diags` by where each starts in the source, those without a position
    /// last: the one order every report, reader and command gives. Stable, so
    /// findings at one place keep the order they were said in.
    pub fn sort_by_position(diags: &mut [Diagnostic]) {
        diags.sort_by_key(|d| d.span.map_or(usize::MAX, |s| s.start));
    }

    /// A diagnostic with the code's own severity.
    #[must_use]
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: code.severity(),
            message: message.into(),
            span: None,
            help: None,
        }
    }

    /// Sets the span.
    #[must_use]
    pub fn at(mut self, span: Span) -> Self {
        self.span = Some(span);
        self
    }

    /// Sets the help text.
    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// Findings counted once per file (what → count and first offset): adds those counted
/// on a piece of the file read elsewhere.
pub(crate) fn merge_counts<K: Ord>(
    into: &mut std::collections::BTreeMap<K, (usize, usize)>,
    from: std::collections::BTreeMap<K, (usize, usize)>,
) {
    for (key, (n, at)) in from {
        let e = into.entry(key).or_insert((0, at));
        e.0 += n;
        e.1 = e.1.min(at);
    }
}

/// `1 position`, `2 positions`: a count and the noun that agrees with it.
pub(crate) fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

/// ` (N times)` after a message counted once per file, nothing for a single time.
pub(crate) fn times(n: usize) -> String {
    if n == 1 {
        String::new()
    } else {
        format!(" ({n} times)")
    }
}

/// What a writer could not put in its target format, counted by description, so
/// that a thousand lost `extensions` make one diagnostic, not a thousand. A loss at a
/// feature counts once per feature, and the diagnostic stands at the first feature
/// that had it: "(3 times)" then means three features, that one and two after it in
/// the order they were written.
#[derive(Debug, Default)]
pub(crate) struct Losses(std::collections::BTreeMap<String, Loss>);

#[derive(Debug, Default, Clone)]
struct Loss {
    count: usize,
    first: Option<Span>,
    last: Option<Span>,
    /// Where the first loss counted was (`None`: at no feature), once `count` is not
    /// 0, so that [`Losses::append`] knows whether it repeats the last one before it.
    head: Option<Span>,
}

impl Losses {
    /// Counts one more loss of `what`, at the feature read from `at` if known.
    pub(crate) fn add(&mut self, what: String, at: Option<Span>) {
        let l = self.0.entry(what).or_default();
        if at.is_some() && at == l.last {
            return;
        }
        if l.count == 0 {
            l.head = at;
        }
        l.count += 1;
        l.first = l.first.or(at);
        l.last = at;
    }

    /// Counts the losses of `later`, met after these, as [`Losses::add`] would have
    /// counted them one by one: writers that serialise features apart (on several
    /// threads) put their losses together in the output's order.
    pub(crate) fn append(&mut self, later: Losses) {
        for (what, l) in later.0 {
            if l.count == 0 {
                continue;
            }
            let e = self.0.entry(what).or_default();
            let repeat = l.head.is_some() && l.head == e.last;
            if e.count == 0 {
                e.head = l.head;
            }
            e.count += l.count - usize::from(repeat);
            e.first = e.first.or(l.first);
            e.last = l.last;
        }
    }

    /// Whether nothing was lost.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// One `write/not-representable` diagnostic per description, in sorted order.
    pub(crate) fn into_diagnostics(self, target: &str) -> impl Iterator<Item = Diagnostic> + '_ {
        self.0.into_iter().map(move |(what, l)| {
            let mut d = Diagnostic::new(
                Code::WriteNotRepresentable,
                format!("{what} has no {target} form; not written{}", times(l.count)),
            );
            d.span = l.first;
            d
        })
    }
}

/// serde_json's syntax error in plain words: the one place where a JSON syntax error
/// becomes the sentence a user reads (code `json/syntax`), without serde_json's
/// position suffix (positions are the diagnostic's span).
///
/// serde_json tells only the error's category (`Syntax`, `Eof`) in its API; which
/// syntax error it is lives in a private enum, so the message text (stable since
/// serde_json 1.0, its `ErrorCode` `Display`) is matched here and nowhere else. A
/// text not known here (a newer serde_json) is passed on without its position rather
/// than lost. Data errors (a value of the wrong type for the model) are the readers'
/// own sentences and pass through unchanged.
pub(crate) fn json_syntax_message(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let full = e.to_string();
    let text = match full.rfind(" at line ") {
        Some(i) => &full[..i],
        None => &full,
    };
    let plain = match (e.classify(), text) {
        (Category::Eof, "EOF while parsing a list") => {
            "the file ends inside an array: a `]` is missing"
        }
        (Category::Eof, "EOF while parsing an object") => {
            "the file ends inside an object: a `}` is missing"
        }
        (Category::Eof, "EOF while parsing a string") => {
            "the file ends inside a string: its closing `\"` is missing"
        }
        (Category::Eof, _) => "the file ends where a value should follow",
        (Category::Syntax, "expected `:`") => "a `:` is missing here, after a member's name",
        (Category::Syntax, "expected `,` or `]`") => "a `,` or `]` is missing here",
        (Category::Syntax, "expected `,` or `}`") => "a `,` or `}` is missing here",
        (Category::Syntax, "expected ident") => {
            "not a JSON value: words other than `true`, `false` and `null` need double quotes"
        }
        (Category::Syntax, "expected value") => {
            "a value is missing here (a string, number, object, array, `true`, `false` or `null`)"
        }
        (Category::Syntax, "expected `\"`") | (Category::Syntax, "key must be a string") => {
            "a member name in double quotes is expected here"
        }
        (Category::Syntax, "invalid escape") => {
            "not an escape JSON knows: a literal backslash is written `\\\\`"
        }
        (Category::Syntax, "invalid number") => "not a number as JSON writes numbers",
        (Category::Syntax, "number out of range") => "a number too large to be read",
        // serde_json says this both of a bad `\u` escape and of raw bytes that are not
        // UTF-8 inside a string.
        (Category::Syntax, "invalid unicode code point") => {
            "bytes that are not UTF-8 (JSON must be UTF-8), or a `\\u` escape that is no Unicode character"
        }
        (Category::Syntax, "lone leading surrogate in hex escape") => {
            "a `\\u` escape that is no Unicode character"
        }
        (Category::Syntax, "unexpected end of hex escape") => {
            "a `\\u` escape needs four hex digits"
        }
        (Category::Syntax, t) if t.starts_with("control character") => {
            "a line break, tab or other control character inside a string: JSON needs it escaped (`\\n`, `\\t`)"
        }
        (Category::Syntax, "trailing comma") => {
            "a `,` before a closing bracket: JSON allows no trailing comma"
        }
        (Category::Syntax, "trailing characters") => {
            "more text after the end of the JSON value"
        }
        (Category::Syntax, "recursion limit exceeded") => {
            "nested more than 128 levels deep: not read"
        }
        _ => return text.to_string(),
    };
    plain.to_string()
}

/// Byte offset to line and column, built once per source. A UTF-8 byte order mark
/// at the start is not part of the first line: editors do not show it, so it is no
/// column (spans still count its bytes, as they count the user's bytes).
///
/// ```
/// use geonorm::LineIndex;
/// let idx = LineIndex::new(b"ab\ncd");
/// assert_eq!(idx.line_col(b"ab\ncd", 4), (2, 2));
/// ```
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    /// Indexes the line starts of `text`.
    pub fn new(text: &[u8]) -> Self {
        let mut starts = vec![bom_len(text)];
        starts.extend(memchr::memchr_iter(b'\n', text).map(|i| i + 1));
        LineIndex { starts }
    }

    /// 1-based line and column (in characters) of byte `offset` in `text`, the same text
    /// the index was built from.
    pub fn line_col(&self, text: &[u8], offset: usize) -> (usize, usize) {
        let offset = offset.min(text.len());
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts.get(line - 1).copied().unwrap_or(0);
        let prefix = text.get(start..offset).unwrap_or_default();
        // Count characters, not bytes: what an editor shows as the column. (An offset
        // inside a byte order mark has an empty prefix: column 1.)
        (line, chars(prefix) + 1)
    }

    /// The number of lines: one more than the number of `\n`, so empty text has one.
    pub fn lines(&self) -> usize {
        self.starts.len()
    }

    /// The bytes of 1-based `line` of `text` (the text the index was built from),
    /// without its `\n` or `\r\n`; `None` past the last line.
    pub fn line_text<'t>(&self, text: &'t [u8], line: usize) -> Option<&'t [u8]> {
        let start = *self.starts.get(line.checked_sub(1)?)?;
        let end = match self.starts.get(line) {
            // The next line starts after this one's `\n`.
            Some(&next) => next - 1,
            None => text.len(),
        };
        let bytes = text.get(start..end.max(start))?;
        Some(bytes.strip_suffix(b"\r").unwrap_or(bytes))
    }
}

/// The length of the UTF-8 byte order mark `text` starts with, 0 without one.
pub(crate) fn bom_len(text: &[u8]) -> usize {
    if text.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    }
}

/// Characters in `bytes`, counted as UTF-8 lead bytes (continuation bytes are not
/// counted), so invalid UTF-8 counts a character per stray byte and never panics.
pub(crate) fn chars(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| (b & 0xC0) != 0x80).count()
}

/// Byte offset of 1-based `line` and `column` (as serde_json counts them: bytes) in `text`.
pub(crate) fn offset_of_line_col(text: &[u8], line: usize, column: usize) -> usize {
    let mut offset = 0;
    if line > 1 {
        match memchr::memchr_iter(b'\n', text).nth(line - 2) {
            Some(nl) => offset = nl + 1,
            None => return text.len(),
        }
    }
    (offset + column.saturating_sub(1)).min(text.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters() {
        let text = "a\n\u{FF0F}x".as_bytes();
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_col(text, 0), (1, 1));
        assert_eq!(idx.line_col(text, 2), (2, 1));
        assert_eq!(idx.line_col(text, 5), (2, 2));
    }

    #[test]
    fn line_col_with_crlf_multibyte_past_end_and_empty_text() {
        let text = "ab\r\n\u{e9}\u{FF0F}x\r\n".as_bytes();
        let idx = LineIndex::new(text);
        // The CR is the last character of its line; the LF starts nothing new.
        assert_eq!(idx.line_col(text, 2), (1, 3));
        assert_eq!(idx.line_col(text, 4), (2, 1));
        // é is 2 bytes and ／ 3, each one column.
        assert_eq!(idx.line_col(text, 6), (2, 2));
        assert_eq!(idx.line_col(text, 9), (2, 3));
        // Past the end: the end, on the empty last line.
        assert_eq!(idx.line_col(text, 999), (3, 1));
        assert_eq!(idx.lines(), 3);
        assert_eq!(idx.line_text(text, 1), Some(&b"ab"[..]));
        assert_eq!(idx.line_text(text, 2), Some("\u{e9}\u{FF0F}x".as_bytes()));
        assert_eq!(idx.line_text(text, 3), Some(&b""[..]));
        assert_eq!(idx.line_text(text, 4), None);
        assert_eq!(idx.line_text(text, 0), None);
        let empty = LineIndex::new(b"");
        assert_eq!(empty.line_col(b"", 0), (1, 1));
        assert_eq!(empty.line_col(b"", 7), (1, 1));
        assert_eq!(empty.line_text(b"", 1), Some(&b""[..]));
        // Invalid UTF-8 counts a column per stray byte and does not panic.
        assert_eq!(
            LineIndex::new(b"\xff\xfez").line_col(b"\xff\xfez", 2),
            (1, 3)
        );
    }

    #[test]
    fn json_syntax_errors_in_plain_words() {
        // Broken input → the sentence, and serde_json's line and column of it.
        let table: [(&str, &str, (usize, usize)); 12] = [
            ("{\"a\": 1", "the file ends inside an object: a `}` is missing", (1, 7)),
            ("[1, 2", "the file ends inside an array: a `]` is missing", (1, 5)),
            ("\"abc", "the file ends inside a string: its closing `\"` is missing", (1, 4)),
            ("{\"a\":", "the file ends where a value should follow", (1, 5)),
            ("{\"a\" 1}", "a `:` is missing here, after a member's name", (1, 6)),
            ("{\"a\": 1 \"b\": 2}", "a `,` or `}` is missing here", (1, 9)),
            ("[1 2]", "a `,` or `]` is missing here", (1, 4)),
            ("{\"a\": nope}", "not a JSON value: words other than `true`, `false` and `null` need double quotes", (1, 8)),
            ("{a: 1}", "a member name in double quotes is expected here", (1, 2)),
            ("[1,]", "a `,` before a closing bracket: JSON allows no trailing comma", (1, 4)),
            ("{} x", "more text after the end of the JSON value", (1, 4)),
            ("[\"a\nb\"]", "a line break, tab or other control character inside a string: JSON needs it escaped (`\\n`, `\\t`)", (2, 0)),
        ];
        for (input, message, at) in table {
            let e = serde_json::from_str::<serde_json::Value>(input).expect_err(input);
            assert_eq!(json_syntax_message(&e), message, "{input}");
            assert_eq!((e.line(), e.column()), at, "{input}");
        }
        // A data error is not a syntax error: its text passes through, without position.
        let e = serde_json::from_str::<u8>("\"x\"").expect_err("type");
        assert!(!json_syntax_message(&e).contains(" at line "));
    }

    #[test]
    fn a_byte_order_mark_is_no_column() {
        let text = b"\xEF\xBB\xBF<a>\n<b>";
        let idx = LineIndex::new(text);
        // `<` at byte 3 is column 1; offsets inside the mark are column 1 too.
        assert_eq!(idx.line_col(text, 3), (1, 1));
        assert_eq!(idx.line_col(text, 4), (1, 2));
        assert_eq!(idx.line_col(text, 1), (1, 1));
        assert_eq!(idx.line_col(text, 8), (2, 2));
        assert_eq!(idx.line_text(text, 1), Some(&b"<a>"[..]));
        assert_eq!(
            LineIndex::new(b"\xEF\xBB\xBF").line_text(b"\xEF\xBB\xBF", 1),
            Some(&b""[..])
        );
    }

    #[test]
    fn offsets_from_line_and_column() {
        let text = b"ab\ncde\nf";
        assert_eq!(offset_of_line_col(text, 1, 1), 0);
        assert_eq!(offset_of_line_col(text, 2, 3), 5);
        assert_eq!(offset_of_line_col(text, 3, 1), 7);
        assert_eq!(offset_of_line_col(text, 9, 1), 8);
    }

    #[test]
    fn every_code_round_trips_through_its_name() {
        for &c in Code::ALL {
            assert_eq!(Code::from_name(c.as_str()), Some(c));
            assert!(!c.explain().is_empty());
        }
    }

    proptest::proptest! {
        /// Losses counted apart and appended in order say what counting them one by
        /// one says, wherever the sequence is cut (writers on several threads).
        #[test]
        fn losses_appended_count_as_losses_added_one_by_one(
            seq in proptest::collection::vec((0u8..3, proptest::option::of(0usize..4)), 0..24),
            cut in 0usize..24,
        ) {
            let add = |l: &mut Losses, (what, at): &(u8, Option<usize>)| {
                l.add(format!("m{what}"), at.map(|a| Span::new(a * 10, a * 10 + 1)));
            };
            let mut one = Losses::default();
            seq.iter().for_each(|x| add(&mut one, x));
            let cut = cut.min(seq.len());
            let (mut first, mut later) = (Losses::default(), Losses::default());
            seq[..cut].iter().for_each(|x| add(&mut first, x));
            seq[cut..].iter().for_each(|x| add(&mut later, x));
            first.append(later);
            let said = |l: Losses| -> Vec<(String, Option<Span>)> {
                l.into_diagnostics("KML").map(|d| (d.message, d.span)).collect()
            };
            proptest::prop_assert_eq!(said(first), said(one));
        }
    }
}
