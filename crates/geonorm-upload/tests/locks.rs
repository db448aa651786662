//! The send's lock and journal files: a symlink, FIFO or other special file planted at
//! their names is neither followed, opened for long, nor replaced; and the same content
//! cannot be sent twice at once through two journals. Against maphub-local on
//! 127.0.0.1; every planted file is built in a temporary folder the test owns.

mod common;

use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use geonorm_upload::{send, Client, Error, Mode, Payload, SendOptions, SendOutcome};
use maphub_local::Faults;

use common::{client, empty_map, features, points, server};

fn go(c: &Client, map: u64, journal: &Path) -> geonorm_upload::Result<SendOutcome> {
    let mut d = points(100);
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
            resume: false,
            input: "lock-test-input".into(),
            settle: Duration::ZERO,
            stop: None,
            skip_assets: Default::default(),
            on_event: &mut |_| {},
        },
    )
}

fn journal_in(dir: &Path) -> PathBuf {
    dir.join("in.geojson.maphub-journal.json")
}

fn lock_of(journal: &Path) -> PathBuf {
    let mut name = journal.as_os_str().to_os_string();
    name.push(".lock");
    PathBuf::from(name)
}

fn mkfifo(path: &Path) {
    let ok = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(ok.success());
}

fn refused(r: &geonorm_upload::Result<SendOutcome>, says: &str) {
    assert!(
        matches!(r, Err(Error::Journal { message, .. }) if message.contains(says)),
        "{r:?}"
    );
}

#[test]
fn a_symlink_planted_at_the_lock_is_not_followed() {
    let s = server();
    let c = client(&s);
    let map = empty_map(&c);
    let dir = tempfile::tempdir().expect("dir");
    let journal = journal_in(dir.path());
    // A link to a file that does not exist (it would be created), and one to a file
    // that does (it would be opened for writing).
    let absent = dir.path().join("created-through-the-link");
    std::os::unix::fs::symlink(&absent, lock_of(&journal)).expect("symlink");
    let calls = s.requests().len();
    refused(&go(&c, map, &journal), "symbolic link");
    assert!(!absent.exists(), "the link's target was created");
    let kept = dir.path().join("precious");
    std::fs::write(&kept, "keep me").expect("write");
    std::fs::remove_file(lock_of(&journal)).expect("rm");
    std::os::unix::fs::symlink(&kept, lock_of(&journal)).expect("symlink");
    refused(&go(&c, map, &journal), "symbolic link");
    assert_eq!(std::fs::read_to_string(&kept).expect("read"), "keep me");
    assert!(std::fs::symlink_metadata(lock_of(&journal))
        .expect("still there")
        .file_type()
        .is_symlink());
    assert_eq!(s.requests().len(), calls, "nothing sent");
    assert!(features(&c, map).is_empty());
}

#[test]
fn a_fifo_at_the_lock_or_the_journal_is_refused_at_once_and_left_as_it_is() {
    let s = server();
    let c = client(&s);
    let map = empty_map(&c);
    let dir = tempfile::tempdir().expect("dir");
    let journal = journal_in(dir.path());
    for planted in [lock_of(&journal), journal.clone()] {
        mkfifo(&planted);
        let t = Instant::now();
        refused(&go(&c, map, &journal), "not a regular file");
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "it waited on the FIFO"
        );
        let kind = std::fs::symlink_metadata(&planted)
            .expect("there")
            .file_type();
        assert!(kind.is_fifo(), "the FIFO was replaced: {kind:?}");
        std::fs::remove_file(&planted).expect("rm");
    }
    assert!(features(&c, map).is_empty());
}

#[test]
fn a_symlink_at_the_journal_is_neither_read_nor_replaced() {
    let s = server();
    let c = client(&s);
    let map = empty_map(&c);
    let dir = tempfile::tempdir().expect("dir");
    let journal = journal_in(dir.path());
    let elsewhere = dir.path().join("elsewhere.json");
    std::fs::write(&elsewhere, "{}").expect("write");
    std::os::unix::fs::symlink(&elsewhere, &journal).expect("symlink");
    refused(&go(&c, map, &journal), "symbolic link");
    assert_eq!(std::fs::read_to_string(&elsewhere).expect("read"), "{}");
    assert!(std::fs::symlink_metadata(&journal)
        .expect("there")
        .file_type()
        .is_symlink());
}

#[test]
fn the_same_content_through_two_journals_at_once_is_sent_once() {
    let s = server();
    let c = client(&s);
    let map = empty_map(&c);
    let (one, two) = (
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
    );
    s.set_faults(Faults {
        delay_ms: 200,
        ..Faults::default()
    });
    std::thread::scope(|scope| {
        let first = scope.spawn(|| go(&c, map, &journal_in(one.path())));
        let t = Instant::now();
        while !journal_in(one.path()).exists() {
            assert!(t.elapsed() < Duration::from_secs(30), "first never began");
            std::thread::sleep(Duration::from_millis(10));
        }
        refused(
            &go(&c, map, &journal_in(two.path())),
            "the same content to the same map",
        );
        let first = first.join().expect("thread").expect("first send");
        assert!(first.error.is_none(), "{:?}", first.error);
    });
    s.set_faults(Faults::default());
    assert_eq!(features(&c, map).len(), 100);
    // Once the first is done, the lock is free: another map takes the same content.
    let other = empty_map(&c);
    let again = go(&c, other, &journal_in(two.path())).expect("runs");
    assert!(again.error.is_none(), "{:?}", again.error);
}

#[test]
fn the_same_content_to_one_server_spelled_two_ways_at_once_is_sent_once() {
    let s = server();
    let c = client(&s);
    let map = empty_map(&c);
    // The same server as `localhost`: another API base, the same lock.
    let url = s.url();
    let port = url
        .rsplit(':')
        .next()
        .expect("a port")
        .trim_end_matches('/');
    let spelled = geonorm_upload::ClientBuilder::new()
        .server(format!("http://LocalHost.:{port}"))
        .api_key(geonorm_upload::ApiKey::new(common::KEY).expect("key"))
        .build()
        .expect("client");
    assert_ne!(spelled.base(), c.base());
    let (one, two) = (
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
    );
    s.set_faults(Faults {
        delay_ms: 200,
        ..Faults::default()
    });
    std::thread::scope(|scope| {
        let first = scope.spawn(|| go(&c, map, &journal_in(one.path())));
        let t = Instant::now();
        while !journal_in(one.path()).exists() {
            assert!(t.elapsed() < Duration::from_secs(30), "first never began");
            std::thread::sleep(Duration::from_millis(10));
        }
        refused(
            &go(&spelled, map, &journal_in(two.path())),
            "the same content to the same map",
        );
        let first = first.join().expect("thread").expect("first send");
        assert!(first.error.is_none(), "{:?}", first.error);
    });
    s.set_faults(Faults::default());
    assert_eq!(features(&c, map).len(), 100);
}
