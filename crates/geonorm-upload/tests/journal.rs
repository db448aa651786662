//! A journal edited by hand cannot make a resume lie: a chunk set back to pending, a
//! record deleted or moved, an old format, another key — each refuses the resume
//! before anything is sent, and the map never gets a feature twice. Against a real
//! maphub-local on 127.0.0.1.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use geonorm_upload::{send, ApiKey, Client, ClientBuilder, Error, Mode, Payload, SendOptions};
use maphub_local::{Faults, Server};
use serde_json::Value;

use common::{client, empty_map, features, points, server, Scratch};

fn go(
    c: &Client,
    d: &geonorm::Document,
    map: u64,
    journal: &Path,
    resume: bool,
) -> geonorm_upload::Result<geonorm_upload::SendOutcome> {
    let mut d = d.clone();
    send(
        c,
        Payload::Document {
            doc: &mut d,
            limit: Some(4_000),
            assets: None,
        },
        &Mode::Append {
            map_id: map,
            new_group: None,
        },
        SendOptions {
            journal: journal.to_path_buf(),
            resume,
            input: "the-input".into(),
            settle: Duration::ZERO,
            stop: None,
            skip_assets: Default::default(),
            on_event: &mut |_| {},
        },
    )
}

/// A send of 200 features in several chunks that stops after two landed.
fn stopped(s: &Server, c: &Client, map: u64, d: &geonorm::Document, journal: &Path) {
    s.set_faults(Faults {
        fail_after: Some(3),
        ..Faults::default()
    });
    let outcome = go(c, d, map, journal, false).expect("send runs");
    assert!(outcome.error.is_some() && outcome.journal_kept);
    s.set_faults(Faults::default());
}

fn edit(journal: &Path, change: impl FnOnce(&mut Value)) {
    let mut j: Value =
        serde_json::from_slice(&std::fs::read(journal).expect("journal")).expect("json");
    change(&mut j);
    std::fs::write(journal, serde_json::to_vec_pretty(&j).expect("json")).expect("write");
}

fn chunks(j: &mut Value) -> &mut Vec<Value> {
    j["chunks"].as_array_mut().expect("chunks")
}

/// No title twice on the map.
fn at_most_once(c: &Client, map: u64) -> usize {
    let mut titles: Vec<String> = features(c, map)
        .iter()
        .filter_map(|f| f["properties"]["title"].as_str().map(str::to_string))
        .collect();
    let n = titles.len();
    titles.sort();
    titles.dedup();
    assert_eq!(titles.len(), n, "a feature is on the map twice");
    n
}

/// Stops a send, applies `change` to its journal, resumes: refused with `says`,
/// nothing sent, the map as it was.
fn refused_after(name: &str, change: impl FnOnce(&mut Value), says: &str) {
    let s = server();
    let c = client(&s);
    let map = empty_map(&c);
    let d = points(200);
    let dir = Scratch::new(name);
    stopped(&s, &c, map, &d, &dir.journal());
    let before = at_most_once(&c, map);
    assert!(before > 0 && before < 200, "{before}");
    edit(&dir.journal(), change);
    let calls = s.requests().len();
    let r = go(&c, &d, map, &dir.journal(), true);
    let Err(Error::Journal { message, .. }) = &r else {
        panic!("{name}: not refused: {r:?}");
    };
    assert!(message.contains(says), "{name}: {message}");
    assert_eq!(s.requests().len(), calls, "{name}: nothing sent");
    assert_eq!(at_most_once(&c, map), before, "{name}");
    assert!(dir.journal().exists(), "the journal is kept to look at");
}

const TAMPERED: &str = "is not as geonorm wrote it";

#[test]
fn a_confirmed_chunk_set_back_to_pending_is_refused_not_sent_again() {
    refused_after(
        "pending",
        |j| chunks(j)[0]["state"] = "pending".into(),
        TAMPERED,
    );
}

#[test]
fn a_deleted_chunk_record_is_refused_not_skipped() {
    refused_after(
        "deleted",
        |j| {
            let last = chunks(j).len() - 1;
            chunks(j).remove(last);
        },
        TAMPERED,
    );
}

#[test]
fn reordered_or_renumbered_chunk_records_are_refused() {
    refused_after("reordered", |j| chunks(j).swap(0, 2), TAMPERED);
    refused_after("renumbered", |j| chunks(j)[2]["index"] = 6.into(), TAMPERED);
}

#[test]
fn every_chunk_marked_confirmed_by_hand_is_refused() {
    refused_after(
        "confirmed",
        |j| {
            for ch in chunks(j) {
                ch["state"] = "confirmed".into();
            }
        },
        TAMPERED,
    );
}

#[test]
fn a_refusal_says_what_to_do() {
    refused_after("advice", |j| j["baseline"] = 5.into(), "then delete");
}

#[test]
fn a_journal_without_its_seal_or_of_the_old_format_is_refused() {
    refused_after(
        "unsealed",
        |j| {
            j.as_object_mut().expect("object").remove("seal");
        },
        TAMPERED,
    );
    refused_after(
        "old",
        |j| j["version"] = 2.into(),
        "another version of geonorm",
    );
}

#[test]
fn a_journal_written_with_another_key_is_refused() {
    let s = server();
    let c = client(&s);
    let map = empty_map(&c);
    let d = points(200);
    let dir = Scratch::new("other-key");
    stopped(&s, &c, map, &d, &dir.journal());
    let other = ClientBuilder::new()
        .server(s.url())
        .api_key(ApiKey::new("another-key-1234").expect("key"))
        .build()
        .expect("client");
    let r = go(&other, &d, map, &dir.journal(), true);
    assert!(
        matches!(&r, Err(Error::Journal { message, .. }) if message.contains("another API key")),
        "{r:?}"
    );
}

#[test]
fn a_journal_only_reformatted_still_resumes_and_lands_every_feature_once() {
    // The seal is over what the journal says, not its layout: the edits above are
    // refused for what they change.
    let s = server();
    let c = client(&s);
    let map = empty_map(&c);
    let d = points(200);
    let dir = Scratch::new("reformatted");
    stopped(&s, &c, map, &d, &dir.journal());
    edit(&dir.journal(), |_| {});
    let text = std::fs::read_to_string(dir.journal()).expect("journal");
    assert!(text.contains("\"seal\"") && !text.contains(common::KEY));
    let outcome = go(&c, &d, map, &dir.journal(), true).expect("resumes");
    assert!(outcome.error.is_none(), "{:?}", outcome.error);
    assert_eq!(at_most_once(&c, map), 200);
}

/// Where geonorm records the latest generation of a send's journal (as the library
/// finds its per-user state folder).
fn send_record(journal: &Path) -> PathBuf {
    let j: Value = serde_json::from_slice(&std::fs::read(journal).expect("journal")).expect("json");
    let id = j["send_id"].as_str().expect("send id").to_string();
    std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))
        .unwrap_or_else(std::env::temp_dir)
        .join("geonorm/sends")
        .join(format!("{id}.json"))
}

const OLDER: &str = "older copy";

#[test]
fn an_older_copy_of_a_journal_put_back_after_the_send_finished_is_refused() {
    let s = server();
    let c = client(&s);
    let map = empty_map(&c);
    let d = points(200);
    let dir = Scratch::new("restored");
    stopped(&s, &c, map, &d, &dir.journal());
    // `cp J snap` mid-send; the send goes on to the end and removes its journal.
    let snap = dir.0.join("snap.json");
    std::fs::copy(dir.journal(), &snap).expect("copy");
    let done = go(&c, &d, map, &dir.journal(), true).expect("resumes");
    assert!(done.error.is_none(), "{:?}", done.error);
    assert!(!dir.journal().exists());
    assert_eq!(at_most_once(&c, map), 200);
    // Put back, still sealed: refused, nothing sent, every feature still once.
    std::fs::copy(&snap, dir.journal()).expect("copy back");
    let calls = s.requests().len();
    let r = go(&c, &d, map, &dir.journal(), true);
    let Err(Error::Journal { message, .. }) = &r else {
        panic!("not refused: {r:?}");
    };
    assert!(
        message.contains(OLDER) && message.contains("already ended"),
        "{message}"
    );
    assert!(message.contains(&format!("geonorm get {map}")) && message.contains("delete"));
    assert_eq!(s.requests().len(), calls, "nothing sent");
    assert_eq!(at_most_once(&c, map), 200);
    // A copy of the whole folder (the journal beside the file) is refused the same way.
    let copy = Scratch::new("restored-copy");
    std::fs::copy(&snap, copy.journal()).expect("copy");
    let r = go(&c, &d, map, &copy.journal(), true);
    assert!(
        matches!(&r, Err(Error::Journal { message, .. }) if message.contains(OLDER)),
        "{r:?}"
    );
    assert_eq!(at_most_once(&c, map), 200);
}

#[test]
fn an_older_copy_of_a_journal_put_back_while_the_send_is_unfinished_is_refused() {
    let s = server();
    let c = client(&s);
    let map = empty_map(&c);
    let d = points(200);
    let dir = Scratch::new("rolled-back");
    stopped(&s, &c, map, &d, &dir.journal());
    let snap = dir.0.join("snap.json");
    std::fs::copy(dir.journal(), &snap).expect("copy");
    // The resume goes on a little and stops again: its journal is newer.
    s.set_faults(Faults {
        fail_after: Some(2),
        ..Faults::default()
    });
    let again = go(&c, &d, map, &dir.journal(), true).expect("resumes");
    assert!(
        again.error.is_some() && again.journal_kept,
        "{:?}",
        again.error
    );
    s.set_faults(Faults::default());
    let newer = std::fs::read(dir.journal()).expect("journal");
    std::fs::copy(&snap, dir.journal()).expect("roll back");
    let before = at_most_once(&c, map);
    let r = go(&c, &d, map, &dir.journal(), true);
    assert!(
        matches!(&r, Err(Error::Journal { message, .. }) if message.contains(OLDER) && message.contains("step")),
        "{r:?}"
    );
    assert_eq!(at_most_once(&c, map), before, "nothing sent");
    // The latest journal resumes and lands every feature once.
    std::fs::write(dir.journal(), newer).expect("put the latest back");
    let done = go(&c, &d, map, &dir.journal(), true).expect("resumes");
    assert!(done.error.is_none(), "{:?}", done.error);
    assert_eq!(at_most_once(&c, map), 200);
}

#[test]
fn a_journal_whose_send_has_no_record_here_still_resumes() {
    // Another machine, or a cleared state folder: the journal is all there is.
    let s = server();
    let c = client(&s);
    let map = empty_map(&c);
    let d = points(200);
    let dir = Scratch::new("no-record");
    stopped(&s, &c, map, &d, &dir.journal());
    let record = send_record(&dir.journal());
    assert!(record.exists(), "{} is recorded", record.display());
    std::fs::remove_file(&record).expect("rm record");
    let done = go(&c, &d, map, &dir.journal(), true).expect("resumes");
    assert!(done.error.is_none(), "{:?}", done.error);
    assert_eq!(at_most_once(&c, map), 200);
}
