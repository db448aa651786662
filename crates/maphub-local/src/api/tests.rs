//! The API's unit tests.

use super::merging::{paths, IdAlloc};
use super::*;

#[test]
fn dates() {
    assert_eq!(civil_from_days(0), (1970, 1, 1));
    assert_eq!(civil_from_days(19_782), (2024, 2, 29));
    assert_eq!(civil_from_days(-1), (1969, 12, 31));
    assert_eq!(now().len(), 20);
}

#[test]
fn slugs() {
    assert_eq!(slug("My Trip, 2024!"), "my-trip-2024");
    assert_eq!(slug("Ölberg"), "lberg");
    assert_eq!(slug("***"), "map");
}

#[test]
fn sizes() {
    assert_eq!(
        too_large_message(15 * 1024 * 1024),
        "File too large (limit 15 MB)"
    );
    assert_eq!(too_large_message(1000), "File too large (limit 1000 bytes)");
}

fn group(id: u64, title: &str, parent: Option<u64>) -> Group {
    Group {
        id: GroupId::new(id).expect("positive"),
        title: title.into(),
        parent: parent.and_then(GroupId::new),
        extra: Default::default(),
    }
}

#[test]
fn merging_by_path() {
    let mut map = Document::default();
    map.groups.push(group(5, "A", None));
    let mut add = Document::default();
    add.groups.push(group(1, "B", Some(2)));
    add.groups.push(group(2, "A", None));
    add.groups.push(group(3, "C", Some(3))); // a cycle of its own
    add.features.push(geonorm::Feature {
        group: GroupId::new(1),
        ..Default::default()
    });
    add.features.push(geonorm::Feature {
        group: GroupId::new(9),
        ..Default::default()
    });
    merge(&mut map, add.clone(), None).expect("merged");
    merge(&mut map, add, None).expect("merged");
    let titles: Vec<(u64, String)> = paths(&map)
        .into_iter()
        .map(|(p, id)| (id.get(), p))
        .collect::<BTreeMap<_, _>>()
        .into_iter()
        .collect();
    assert_eq!(
        titles,
        vec![
            (5, "A".to_owned()),
            (6, format!("A{GROUP_PATH_SEPARATOR}B")),
            (7, "C".to_owned())
        ]
    );
    assert_eq!(map.features.len(), 4);
    assert_eq!(map.features[0].group, GroupId::new(6));
    assert_eq!(map.features[1].group, None);
}

#[test]
fn ids_after_the_largest() {
    let mut ids = IdAlloc::new(&[group(u64::MAX, "x", None), group(1, "y", None)]);
    assert_eq!(ids.alloc(), GroupId::new(2));
    assert_eq!(ids.alloc(), GroupId::new(3));
}
