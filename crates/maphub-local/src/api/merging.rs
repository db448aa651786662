//! `map/append`'s merge: the added features' groups matched to the map's by their
//! full title path, new ids handed out where they clash.

use super::*;

/// Hands out group ids not in use: after the largest, or the smallest free one once
/// the largest possible id is taken.
pub(super) struct IdAlloc {
    next: Option<u64>,
    used: HashSet<u64>,
}

impl IdAlloc {
    pub(super) fn new(groups: &[Group]) -> IdAlloc {
        let used: HashSet<u64> = groups.iter().map(|g| g.id.get()).collect();
        let max = used.iter().copied().max().unwrap_or(0);
        IdAlloc {
            next: max.checked_add(1),
            used,
        }
    }

    pub(super) fn alloc(&mut self) -> Option<GroupId> {
        let n = match self.next {
            Some(n) => {
                self.next = n.checked_add(1);
                n
            }
            // Only as many ids are used as there are groups, so one is free.
            None => (1..=u64::MAX).find(|n| !self.used.contains(n))?,
        };
        self.used.insert(n);
        GroupId::new(n)
    }
}

/// The group and its ancestors, outermost first (a parent cycle or a missing parent
/// ends the chain).
pub(super) fn chain<'a>(by_id: &HashMap<GroupId, &'a Group>, id: GroupId) -> Vec<&'a Group> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let mut next = Some(id);
    while let Some(gid) = next {
        if !seen.insert(gid) {
            break;
        }
        let Some(g) = by_id.get(&gid) else { break };
        out.push(*g);
        next = g.parent;
    }
    out.reverse();
    out
}

/// The full title path of every group of `doc`, first group first for a path held twice.
pub(super) fn paths(doc: &Document) -> HashMap<String, GroupId> {
    let by_id: HashMap<GroupId, &Group> = doc.groups.iter().map(|g| (g.id, g)).collect();
    let mut out = HashMap::new();
    for g in &doc.groups {
        out.entry(path_of(&chain(&by_id, g.id))).or_insert(g.id);
    }
    out
}

pub(super) fn path_of(chain: &[&Group]) -> String {
    let titles: Vec<&str> = chain.iter().map(|g| g.title.as_str()).collect();
    titles.join(&GROUP_PATH_SEPARATOR.to_string())
}

/// Appends the features of `add` to `map`, as `map/append` does.
///
/// Groups are matched by their full title path (levels joined by
/// [`GROUP_PATH_SEPARATOR`]): a group of `add` whose path `map` already has is reused,
/// not duplicated; a new path gets a fresh id (the largest id in use + 1), its parent
/// mapped the same way, and each appended feature's group is remapped to the map's group
/// of that path. This is an assumption about MapHub: that groups sent again are merged
/// by title. With `new_group`, a new top-level group of that title is created (even if
/// one of that title exists) and every appended feature goes into it; the groups of
/// `add` are then not added.
pub(super) fn merge(
    map: &mut Document,
    add: Document,
    new_group: Option<&str>,
) -> Result<(), String> {
    let mut ids = IdAlloc::new(&map.groups);
    if let Some(title) = new_group {
        let id = ids.alloc().ok_or("Too many groups")?;
        map.groups.push(Group {
            id,
            title: title.to_owned(),
            parent: None,
            extra: Default::default(),
        });
        map.features.extend(add.features.into_iter().map(|mut f| {
            f.group = Some(id);
            f
        }));
        return Ok(());
    }
    let mut known = paths(map);
    let by_id: HashMap<GroupId, &Group> = add.groups.iter().map(|g| (g.id, g)).collect();
    let mut remap: HashMap<GroupId, GroupId> = HashMap::new();
    for g in &add.groups {
        let chain = chain(&by_id, g.id);
        let mut parent = None;
        for depth in 0..chain.len() {
            let level = chain[depth];
            let path = path_of(&chain[..=depth]);
            let id = match known.get(&path) {
                Some(id) => *id,
                None => {
                    let id = ids.alloc().ok_or("Too many groups")?;
                    map.groups.push(Group {
                        id,
                        title: level.title.clone(),
                        parent,
                        extra: level.extra.clone(),
                    });
                    known.insert(path, id);
                    id
                }
            };
            remap.entry(level.id).or_insert(id);
            parent = Some(id);
        }
    }
    map.features.extend(add.features.into_iter().map(|mut f| {
        f.group = f.group.and_then(|g| remap.get(&g).copied());
        f
    }));
    Ok(())
}
