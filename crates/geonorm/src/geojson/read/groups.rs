//! MapHub's `groups`: the entries read and repaired (ids, implicit parents, depth),
//! the index by which features name them, and the names resolved once the whole
//! document is read.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use crate::geojson::origin::{json_kind, parse_unit, Origin};
use crate::geojson::scan::Cursor;
use crate::{
    Code, Diagnostic, Document, Error, Feature, Group, GroupId, Properties, Result, Span,
    GROUP_PATH_SEPARATOR, MAX_GROUP_DEPTH,
};

/// The items of the JSON array in `raw` (which starts at `origin`), each parsed on its
/// own with its span; `None` when `raw` is not an array.
pub(super) fn split_array(raw: &[u8], origin: Origin) -> Result<Option<Vec<(Value, Span)>>> {
    let mut cur = Cursor::new(raw);
    cur.skip_ws()?;
    if cur.peek()? != Some(b'[') {
        return Ok(None);
    }
    cur.bump()?;
    let mut items = Vec::new();
    let mut item = Vec::new();
    let (mut at, mut last) = (origin, 0usize);
    loop {
        cur.skip_ws()?;
        if cur.peek()? == Some(b']') {
            break;
        }
        if !items.is_empty() {
            cur.expect(b',', "`,` or `]` after an array item")
                .map_err(|_| {
                    let at = origin.advance(raw, cur.offset());
                    Error::Syntax {
                        message: "expected `,` or `]` after an array item".into(),
                        offset: at.offset,
                        line: at.line,
                        column: at.column,
                    }
                })?;
            cur.skip_ws()?;
        }
        let start = cur.offset();
        // Advance from the previous item, not from the start: linear, not quadratic.
        at = at.advance(&raw[last..], start - last);
        last = start;
        item.clear();
        cur.read_value(&mut item)?;
        let v: Value = parse_unit(&item, at)?;
        items.push((
            v,
            Span::new(origin.offset + start, origin.offset + cur.offset()),
        ));
    }
    Ok(Some(items))
}

/// Reads the entries of `groups` into groups, repairing what MapHub would: ids that
/// are missing, repeated or not integers, and parents named only by a title path.
pub(super) fn read_groups(entries: Vec<(Value, Span)>, diags: &mut Vec<Diagnostic>) -> GroupsRead {
    // (id if valid, full title path, extra members)
    let mut parsed: Vec<ParsedGroup> = Vec::new();
    let mut seen = HashSet::new();
    for (i, (entry, span)) in entries.into_iter().enumerate() {
        let Value::Object(mut obj) = entry else {
            diags.push(
                Diagnostic::new(
                    Code::GeojsonInvalidGroups,
                    format!(
                        "group {} is {}, not an object; ignored",
                        i + 1,
                        json_kind(&entry)
                    ),
                )
                .at(span),
            );
            continue;
        };
        let mut alias = None;
        let id = match obj.shift_remove("id") {
            Some(v) => match v.as_u64().and_then(GroupId::new) {
                Some(id) if seen.insert(id) => Some(id),
                Some(id) => {
                    diags.push(
                        Diagnostic::new(
                            Code::GeojsonDuplicateGroupId,
                            format!("group id {id} is used twice; the second group gets a new id"),
                        )
                        .at(span),
                    );
                    None
                }
                None => {
                    // Not MapHub's integer, but features may name the group by it:
                    // keep it as an alias of the id the group is given below.
                    alias = Some(match &v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    });
                    None
                }
            },
            None => {
                diags.push(
                    Diagnostic::new(
                        Code::GeojsonInvalidGroups,
                        format!("group {} has no id; it gets a new id", i + 1),
                    )
                    .at(span),
                );
                None
            }
        };
        let title = match obj.shift_remove("title") {
            Some(Value::String(s)) => s,
            other => {
                diags.push(
                    Diagnostic::new(
                        Code::GeojsonInvalidGroups,
                        format!(
                            "group {} has no string `title`; it is titled \"Group {}\"",
                            i + 1,
                            i + 1
                        ),
                    )
                    .at(span),
                );
                if let Some(v) = other {
                    obj.insert("title".into(), v);
                }
                format!("Group {}", i + 1)
            }
        };
        parsed.push((id, title, obj, span, alias));
    }
    let mut ids = IdAllocator::new(parsed.iter().filter_map(|(id, _, _, _, _)| *id));
    let mut fresh = || ids.fresh();
    let mut groups = Vec::with_capacity(parsed.len());
    let mut by_path: HashMap<String, GroupId> = HashMap::new();
    let mut leaves = Vec::with_capacity(parsed.len());
    let mut aliases = HashMap::new();
    for (id, path, extra, span, alias) in parsed {
        let Some(id) = id.or_else(&mut fresh) else {
            continue;
        };
        if let Some(alias) = alias {
            diags.push(
                Diagnostic::new(
                    Code::GeojsonGroupIdNotInteger,
                    format!("group id \"{alias}\" is not a positive integer; the group gets id {id}, and features naming \"{alias}\" follow it"),
                )
                .at(span),
            );
            aliases.insert(alias, id);
        }
        by_path.entry(path.clone()).or_insert(id);
        leaves.push((id, path, extra, span));
    }
    let sep = GROUP_PATH_SEPARATOR.to_string();
    let mut implicit: Vec<((String, Span), Group)> = Vec::new();
    for (id, path, extra, span) in leaves {
        let levels = path_levels(&path);
        if path.split(GROUP_PATH_SEPARATOR).count() > MAX_GROUP_DEPTH {
            diags.push(
                Diagnostic::new(
                    Code::GroupTooDeep,
                    format!("a group's title path has more than {MAX_GROUP_DEPTH} levels; the deeper levels stay in its title"),
                )
                .at(span),
            );
        }
        let (parent_path, title) = match levels.split_last() {
            Some((t, rest)) if !rest.is_empty() => (Some(rest.join(&sep)), t.to_string()),
            _ => (None, path.clone()),
        };
        let parent = parent_path.and_then(|pp| {
            let before = implicit.len();
            let id = ensure_path(&pp, &sep, &mut by_path, &mut fresh, &mut implicit);
            for ((_, at), _) in &mut implicit[before..] {
                *at = span;
            }
            id
        });
        groups.push(Group {
            id,
            title,
            parent,
            extra,
        });
    }
    for ((path, span), g) in &implicit {
        diags.push(
            Diagnostic::new(
                Code::GeojsonImplicitParentGroup,
                format!(
                    "group \"{path}\" is not declared but has subgroups; added with id {}",
                    g.id
                ),
            )
            .at(*span),
        );
    }
    groups.extend(implicit.into_iter().map(|(_, g)| g));
    GroupsRead {
        groups,
        index: GroupIndex {
            aliases,
            paths: by_path,
        },
    }
}

/// Hands out group ids not in use: after the largest one taken, or, when that is
/// `u64::MAX` (a hostile file), the smallest free one.
struct IdAllocator {
    used: HashSet<GroupId>,
    next: u64,
}

impl IdAllocator {
    fn new(taken: impl Iterator<Item = GroupId>) -> Self {
        let used: HashSet<GroupId> = taken.collect();
        let next = used.iter().map(|g| g.get()).max().unwrap_or(0);
        IdAllocator { used, next }
    }

    fn fresh(&mut self) -> Option<GroupId> {
        // Terminates: only as many ids are used as there are groups.
        loop {
            self.next = self.next.checked_add(1).unwrap_or(1);
            let id = GroupId::new(self.next)?;
            if self.used.insert(id) {
                return Some(id);
            }
        }
    }
}

/// One entry of `groups` as read: id if valid, full title path, other members, where,
/// and the id as written when it was not a positive integer.
type ParsedGroup = (Option<GroupId>, String, Properties, Span, Option<String>);

/// The groups read from `groups`, and how features may name them.
pub(super) struct GroupsRead {
    pub(super) groups: Vec<Group>,
    pub(super) index: GroupIndex,
}

/// The ways a feature's `group` may name a group besides MapHub's integer id.
#[derive(Debug, Default, Clone)]
pub(crate) struct GroupIndex {
    /// Ids as written that were not positive integers (`"group-00"`).
    aliases: HashMap<String, GroupId>,
    /// Full title paths (levels joined by the separator).
    paths: HashMap<String, GroupId>,
}

impl GroupIndex {
    pub(super) fn lookup(&self, v: &Value) -> Option<GroupId> {
        match v {
            Value::String(s) => self.aliases.get(s).or_else(|| self.paths.get(s)).copied(),
            Value::Number(n) => self.aliases.get(&n.to_string()).copied(),
            _ => None,
        }
    }

    /// `f` linked to the group its `group` member names in this index, as reading
    /// it with this index links it; `None` when that changes nothing.
    pub(crate) fn linked(&self, f: &Feature) -> Option<Feature> {
        if f.group.is_some() {
            return None;
        }
        let id = self.lookup(f.properties.get("group")?)?;
        let mut linked = f.clone();
        linked.properties.shift_remove("group");
        linked.group = Some(id);
        Some(linked)
    }
}

/// The levels of a group title path, at most [`MAX_GROUP_DEPTH`]: levels past the
/// limit stay in the last title, separator and all, so that a hostile path of 40,000
/// levels costs neither 40,000 nested groups nor memory that grows with its square.
fn path_levels(path: &str) -> Vec<&str> {
    let mut levels: Vec<&str> = path.splitn(MAX_GROUP_DEPTH, GROUP_PATH_SEPARATOR).collect();
    if levels.is_empty() {
        levels.push(path);
    }
    levels
}

/// The id of the group at title path `path`, creating it and its missing ancestors.
fn ensure_path(
    path: &str,
    sep: &str,
    by_path: &mut HashMap<String, GroupId>,
    fresh: &mut impl FnMut() -> Option<GroupId>,
    implicit: &mut Vec<((String, Span), Group)>,
) -> Option<GroupId> {
    let levels = path_levels(path);
    let mut parent = None;
    for depth in 1..=levels.len() {
        let prefix = levels[..depth].join(sep);
        if let Some(&id) = by_path.get(&prefix) {
            parent = Some(id);
            continue;
        }
        let id = fresh()?;
        by_path.insert(prefix.clone(), id);
        implicit.push((
            (prefix, Span::default()),
            Group {
                id,
                title: levels[depth - 1].to_string(),
                parent,
                extra: Map::new(),
            },
        ));
        parent = Some(id);
    }
    parent
}

/// Features whose `group` names a group by title or string id, when the features are
/// not kept (streaming `check` and `info`): each is kept with that member and its
/// place only, until the groups are known, then resolved as [`super::read`] resolves
/// them.
#[derive(Debug, Default)]
pub(crate) struct LateGroupNames(Vec<Feature>);

impl LateGroupNames {
    /// Keeps what resolving `f`'s group name needs, if it names one.
    pub(crate) fn note(&mut self, f: &Feature) {
        self.push(Self::lite(f));
    }

    /// What resolving `f`'s group name needs (its `group` member and its place), if it
    /// names one: made on the thread that read `f`, kept in order by [`Self::push`].
    pub(crate) fn lite(f: &Feature) -> Option<Feature> {
        let g = f.properties.get("group")?;
        let mut lite = Feature {
            span: f.span,
            ..Feature::default()
        };
        lite.properties.insert("group".into(), g.clone());
        Some(lite)
    }

    /// Keeps what [`Self::lite`] made, if anything.
    pub(crate) fn push(&mut self, lite: Option<Feature>) {
        self.0.extend(lite);
    }

    /// Resolves the names against `groups` (as read, in `index`), with `read`'s
    /// diagnostics: the groups (those created included), and each noted feature with
    /// its group set, or its `group` member left when it names none.
    pub(crate) fn resolve(
        self,
        groups: Vec<Group>,
        index: &GroupIndex,
        diags: &mut Vec<Diagnostic>,
    ) -> (Vec<Group>, Vec<Feature>) {
        let mut doc = Document {
            groups,
            features: self.0,
            ..Document::default()
        };
        resolve_group_names(&mut doc, index, diags);
        (doc.groups, doc.features)
    }
}

/// Features whose `group` names a group by something other than its integer id, and
/// came before `groups` in the file (so the streaming reader could not tell), are
/// linked now. A title path that names no group creates it, as MapHub's uploads do.
pub(crate) fn resolve_group_names(
    doc: &mut Document,
    index: &GroupIndex,
    diags: &mut Vec<Diagnostic>,
) {
    let mut by_path: HashMap<String, GroupId> = index.paths.clone();
    let mut ids = IdAllocator::new(doc.groups.iter().map(|g| g.id));
    let mut fresh = || ids.fresh();
    let sep = GROUP_PATH_SEPARATOR.to_string();
    let mut created: Vec<((String, Span), Group)> = Vec::new();
    for f in &mut doc.features {
        let Some(g) = f.properties.get("group") else {
            continue;
        };
        let id = match index.lookup(g) {
            Some(id) => Some(id),
            None => match g {
                Value::String(path) if !path.trim().is_empty() => {
                    let before = created.len();
                    let id = ensure_path(path, &sep, &mut by_path, &mut fresh, &mut created);
                    for ((_, at), _) in &mut created[before..] {
                        *at = f.span;
                    }
                    id
                }
                _ => None,
            },
        };
        if let Some(id) = id {
            f.properties.shift_remove("group");
            f.group = Some(id);
        }
    }
    for ((path, span), g) in created {
        diags.push(
            Diagnostic::new(
                Code::GeojsonGroupByTitle,
                format!(
                    "a feature's group \"{path}\" names no declared group; created with id {}",
                    g.id
                ),
            )
            .at(span),
        );
        doc.groups.push(g);
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{codes, read_str};
    use crate::{GroupId, GROUP_PATH_SEPARATOR, MAX_GROUP_DEPTH};

    #[test]
    fn undeclared_parents_and_duplicate_ids_are_repaired() {
        let (doc, diags) = read_str(
            r#"{"type":"FeatureCollection","features":[],"groups":[{"title":"X／Y／Z","id":4},{"title":"Q","id":4}]}"#,
        );
        assert_eq!(
            codes(&diags),
            [
                "geojson/duplicate-group-id",
                "geojson/implicit-parent-group",
                "geojson/implicit-parent-group"
            ]
        );
        assert_eq!(doc.groups.len(), 4);
        let z = &doc.groups[0];
        assert_eq!(doc.group_path(z.id).as_deref(), Some("X／Y／Z"));
    }

    #[test]
    fn groups_named_by_string_ids_or_title_paths_are_linked() {
        // String ids, declared before the features (linked while streaming) and after
        // them (linked when the document is assembled).
        for text in [
            r#"{"type":"FeatureCollection","groups":[{"title":"A","id":"g-a"}],"features":[
                {"type":"Feature","geometry":null,"properties":{"group":"g-a"}}]}"#,
            r#"{"type":"FeatureCollection","features":[
                {"type":"Feature","geometry":null,"properties":{"group":"g-a"}}],"groups":[{"title":"A","id":"g-a"}]}"#,
        ] {
            let (doc, diags) = read_str(text);
            assert_eq!(codes(&diags), ["geojson/group-id-not-integer"]);
            let f = &doc.features[0];
            assert_eq!(
                f.group.and_then(|g| doc.group_path(g)).as_deref(),
                Some("A")
            );
            assert!(f.properties.is_empty());
        }
        let (doc, diags) = read_str(
            r#"{"type":"FeatureCollection","features":[
              {"type":"Feature","geometry":null,"properties":{"group":"A／B"}},
              {"type":"Feature","geometry":null,"properties":{"group":"Z"}},
              {"type":"Feature","geometry":null,"properties":{"group":0}}],
              "groups":[{"title":"A","id":4}]}"#,
        );
        assert_eq!(
            codes(&diags),
            ["geojson/group-by-title", "geojson/group-by-title"]
        );
        assert_eq!(
            doc.features[0]
                .group
                .and_then(|g| doc.group_path(g))
                .as_deref(),
            Some("A／B")
        );
        assert_eq!(
            doc.groups
                .iter()
                .find(|g| g.title == "B")
                .and_then(|g| g.parent),
            GroupId::new(4)
        );
        assert_eq!(
            doc.features[1]
                .group
                .and_then(|g| doc.group_path(g))
                .as_deref(),
            Some("Z")
        );
        // Not a name of anything: kept as written, for validation to report.
        assert_eq!(doc.features[2].properties["group"], 0);
    }

    #[test]
    fn hostile_groups_cost_neither_a_panic_nor_quadratic_memory() {
        // The largest id, then one without: the fresh id must not overflow.
        let (doc, _) = read_str(
            r#"{"features":[],"groups":[{"id":18446744073709551615,"title":"a"},{"title":"b"}]}"#,
        );
        assert_eq!(doc.groups.len(), 2);
        assert_ne!(doc.groups[0].id, doc.groups[1].id);
        // 40,000 levels of nesting in one title: no stack overflow, depth capped.
        let deep = vec!["x"; 40_000].join(&GROUP_PATH_SEPARATOR.to_string());
        let text = format!(
            r#"{{"type":"FeatureCollection","features":[],"groups":[{{"title":"{deep}","id":1}}]}}"#
        );
        let (doc, diags) = read_str(&text);
        assert_eq!(doc.groups.len(), MAX_GROUP_DEPTH);
        assert!(codes(&diags).contains(&"group/too-deep"));
        let leaf = doc
            .groups
            .iter()
            .find(|g| g.id.get() == 1)
            .expect("declared group");
        assert_eq!(
            doc.group_path(leaf.id).as_deref(),
            Some(deep.as_str()),
            "nothing of the title is lost"
        );
        // Many items: each is positioned without rescanning the ones before it.
        let items = vec!["0"; 50_000].join(",");
        let (_, diags) = read_str(&format!(
            r#"{{"type":"FeatureCollection","features":[],"groups":[{items}]}}"#
        ));
        assert_eq!(diags.len(), 50_000);
        assert!(diags
            .last()
            .and_then(|d| d.span)
            .is_some_and(|s| s.start > 100_000));
    }
}
