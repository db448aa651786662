//! GeoJSON's own rules: RFC 7946 on the JSON text and structure (what a Feature, a
//! geometry, a position is), as XML well-formedness is KML's. The reader runs them on
//! what it reads (one feature's bytes, the root object of a collection), with what
//! they count across features ([`CheckMode`]), because its own error messages are
//! worded by them; `check` sets them. They live here, under the format, so that no
//! reader imports the rules layer (`validate`), which imports them from here.
//!
//! [`text`] holds the rules on a JSON tree, [`outline`] runs them on a sound feature's
//! outline with its positions judged on the model, and this module runs them on a
//! unit or the root.

mod outline;
mod text;

pub(crate) use outline::unit_rules;
pub(crate) use text::{missing_feature_type, missing_root_type, PRECISION_SHOWN};

use super::origin::Origin;
use crate::Diagnostic;

/// `check`'s rules, run by the reader on every feature as it is read.
#[derive(Debug, Clone, Default)]
pub(crate) struct CheckMode {
    /// MapHub's dialect (a FeatureCollection may carry `properties`).
    pub maphub: bool,
    /// Positions with too many decimals so far (see the rules).
    pub precision: usize,
    /// Findings about the root object.
    pub root: Vec<Diagnostic>,
    /// Where the root value starts.
    pub root_at: usize,
    /// Every feature through the rules whole, never its outline alone: set only by
    /// the tests that hold the outline to saying the same (`stream_tests`).
    pub whole: bool,
}

impl CheckMode {
    /// The rules as `convert` runs them, to explain what it could not read (MapHub's
    /// dialect, nothing counted across features).
    pub(crate) fn for_convert() -> Self {
        CheckMode {
            maphub: true,
            ..CheckMode::default()
        }
    }
}

/// The precise positions (more than 6 decimals) of a file checked in batches: the
/// first [`PRECISION_SHOWN`] are shown one by one, the rest only counted. A batch's
/// features are checked as if those shown were shown already (which are depends on
/// the features before); settled here in the file's order.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ShownPrecision {
    /// Precise positions so far.
    pub(crate) so_far: usize,
}

impl ShownPrecision {
    /// Whether a feature with `precise` positions, checked as if the first few were
    /// shown already, is to be checked again for their places: some of its own are
    /// among the first few (a few features in all).
    pub(crate) fn again(&self, precise: usize) -> bool {
        precise > 0 && self.so_far < PRECISION_SHOWN
    }

    /// Keeps, of a feature's findings (`diags`), those about precise positions that are
    /// among the file's first few, and counts its `precise` positions.
    pub(crate) fn settle(&mut self, precise: usize, diags: &mut Vec<Diagnostic>) {
        let mut shown = self.so_far.min(PRECISION_SHOWN);
        diags.retain(|d| {
            if d.code != crate::Code::GeojsonPrecision || d.span.is_none() {
                return true;
            }
            shown += 1;
            shown <= PRECISION_SHOWN
        });
        self.so_far += precise;
    }
}

/// The RFC 7946 rules on a parsed unit (the root value with `root`, else a feature;
/// with `outline`, one whose positions were stepped over), counting precise positions
/// on in `mode`.
pub(super) fn unit_rules_on(
    unit: &crate::json::Val,
    mode: &mut CheckMode,
    root: bool,
    outline: bool,
) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    let mut rules = text::Rules {
        out: &mut found,
        maphub: mode.maphub,
        precision: mode.precision,
        outline,
    };
    if root {
        rules.root(unit);
    } else {
        rules.feature_unit(unit);
    }
    mode.precision = rules.precision;
    found
}

/// A feature's rules read its `type`, `id`, `bbox` and `geometry`, and of its other
/// members only their names and kinds: their values (its properties, mostly) are
/// stepped over, not built.
pub(super) const READ: &[&str] = &["type", "id", "bbox", "geometry"];

/// The root object of a FeatureCollection as the rules see it: its members other than
/// `features` (whose items are checked one by one as they are read) and `groups`.
pub(crate) fn root_of_collection(
    at: usize,
    ty: Option<(&str, usize)>,
    features_at: Option<usize>,
    members: &[(String, Vec<u8>, Origin)],
) -> crate::json::Val {
    use crate::json::{Kind, Member, Val};
    let mut list = Vec::new();
    if let Some((t, start)) = ty {
        list.push(Member {
            key: "type".into(),
            key_start: start,
            value: Val {
                kind: Kind::Str(t.to_string()),
                start,
                end: start + t.len() + 2,
            },
        });
    }
    if let Some(start) = features_at {
        list.push(Member {
            key: "features".into(),
            key_start: start,
            value: Val {
                kind: Kind::Arr(Vec::new()),
                start,
                end: start + 1,
            },
        });
    }
    for (key, raw, origin) in members {
        if let Ok(mut parsed) = crate::json::parse(raw) {
            parsed.root.shift(origin.offset);
            list.push(Member {
                key: key.clone(),
                key_start: origin.offset,
                value: parsed.root,
            });
        }
    }
    Val {
        kind: Kind::Obj(list),
        start: at,
        end: at + 1,
    }
}

/// The rules on the root object built by [`root_of_collection`].
pub(crate) fn root_rules(root: &crate::json::Val, mode: &mut CheckMode) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    let mut rules = text::Rules {
        out: &mut found,
        maphub: mode.maphub,
        precision: mode.precision,
        outline: false,
    };
    rules.root(root);
    mode.precision = rules.precision;
    found
}
