//! Sending exactly once, against a real local MapHub-compatible server (maphub-local)
//! on 127.0.0.1: lost answers, a server still processing when the client gave up, a
//! resume with nothing to resume, concurrent runs, journals pointed at another map or
//! server (edited journals: tests/journal.rs), a first upload whose answer was lost,
//! and a server whose size limit is lower than the client's.

mod common;

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use geonorm_upload::{
    send, ApiKey, ChunkState, Client, ClientBuilder, Error, Event, FileType, Mode, Payload,
    SendOptions, SendOutcome, UploadArgs, Visibility, MARK_PROPERTY,
};
use maphub_local::{DropAfterBody, Faults, Server};

use common::{client, client_with, empty_map, features, server, server_with, Scratch};

/// Every feature of a `big_doc(n)` on the map exactly once (by title), and nothing else.
fn assert_exactly_once(c: &Client, map: u64, n: usize) {
    let got = features(c, map);
    let mut titles: Vec<String> = got
        .iter()
        .filter_map(|f| f["properties"]["title"].as_str().map(str::to_string))
        .collect();
    titles.sort();
    titles.dedup();
    assert_eq!(got.len(), n, "features on the map");
    assert_eq!(titles.len(), n, "no feature twice");
}

fn big_doc(n: usize) -> geonorm::Document {
    let features: Vec<String> = (0..n)
        .map(|i| {
            format!(
                r#"{{"type":"Feature","properties":{{"title":"point {i}","group":{}}},"geometry":{{"type":"Point","coordinates":[{}.5,45]}}}}"#,
                1 + i % 3,
                i % 170
            )
        })
        .collect();
    let text = format!(
        r#"{{"type":"FeatureCollection","features":[{}],"groups":[{{"title":"A","id":1}},{{"title":"A／B","id":2}},{{"title":"C","id":3}}]}}"#,
        features.join(",")
    );
    geonorm::read(
        text.as_bytes(),
        &geonorm::ReadOptions::format(geonorm::Format::GeoJson),
    )
    .expect("reads")
    .document
}

/// One send of `doc` with the given limit; `each` is told of every event.
#[allow(clippy::too_many_arguments)]
fn run(
    c: &Client,
    doc: &geonorm::Document,
    limit: Option<u64>,
    mode: &Mode,
    journal: &Path,
    resume: bool,
    settle: Duration,
    each: &mut dyn FnMut(&Event<'_>),
) -> geonorm_upload::Result<SendOutcome> {
    let mut doc = doc.clone();
    send(
        c,
        Payload::Document {
            doc: &mut doc,
            limit,
            assets: None,
        },
        mode,
        SendOptions {
            journal: journal.to_path_buf(),
            resume,
            input: "the-input".into(),
            settle,
            stop: None,
            skip_assets: Default::default(),
            on_event: &mut |e| each(&e),
        },
    )
}

/// [`run`] told nothing, with no wait for unanswered chunks: a new send.
fn start(
    c: &Client,
    doc: &geonorm::Document,
    limit: Option<u64>,
    mode: &Mode,
    journal: &Path,
) -> geonorm_upload::Result<SendOutcome> {
    run(
        c,
        doc,
        limit,
        mode,
        journal,
        false,
        Duration::ZERO,
        &mut |_| {},
    )
}

/// [`start`], resuming the journal.
fn resume(
    c: &Client,
    doc: &geonorm::Document,
    limit: Option<u64>,
    mode: &Mode,
    journal: &Path,
) -> geonorm_upload::Result<SendOutcome> {
    run(
        c,
        doc,
        limit,
        mode,
        journal,
        true,
        Duration::ZERO,
        &mut |_| {},
    )
}

fn append(map_id: u64) -> Mode {
    Mode::Append {
        map_id,
        new_group: None,
    }
}

#[test]
fn a_split_send_arrives_whole_through_a_dropped_connection_and_resume() {
    for drop in [DropAfterBody::Apply, DropAfterBody::Discard] {
        let s = server();
        let c = client(&s);
        let map = empty_map(&c);
        let doc = big_doc(300);
        let dir = Scratch::new(&format!("drop-{drop:?}"));
        let mode = append(map);
        // Two chunks go through; the third is read by the server, then the
        // connection drops without an answer.
        let mut n = 0;
        let outcome = run(
            &c,
            &doc,
            Some(4_000),
            &mode,
            &dir.journal(),
            false,
            Duration::ZERO,
            &mut |e| {
                if let Event::Landed(_) = e {
                    n += 1;
                    if n == 2 {
                        s.set_faults(Faults {
                            drop_after_body: Some(drop),
                            ..Faults::default()
                        });
                    }
                }
            },
        )
        .expect("send runs");
        assert!(outcome.chunks.len() >= 5);
        assert!(outcome.error.is_some(), "{drop:?}: the drop stops the send");
        assert!(outcome.journal_kept);
        assert_eq!(
            outcome.chunks[2].state,
            ChunkState::Sent,
            "its fate is unknown"
        );
        assert!(outcome.chunks[3..]
            .iter()
            .all(|c| c.state == ChunkState::Pending));
        // Without resume, a second send refuses to start over.
        let again = start(&c, &doc, Some(4_000), &mode, &dir.journal());
        assert!(matches!(again, Err(Error::Journal { .. })), "{again:?}");
        let outcome = resume(&c, &doc, Some(4_000), &mode, &dir.journal()).expect("resume");
        assert!(outcome.error.is_none(), "{:?}", outcome.error);
        assert!(outcome.verified.is_some_and(|v| v.contains("each once")));
        assert!(!dir.journal().exists(), "a finished send leaves no journal");
        assert_exactly_once(&c, map, 300);
        // Every feature carries its mark.
        assert!(features(&c, map)
            .iter()
            .all(|f| f["properties"][MARK_PROPERTY].is_string()));
    }
}

#[test]
fn resume_with_no_journal_is_refused_and_sends_nothing() {
    let s = server();
    let c = client(&s);
    let map = empty_map(&c);
    let dir = Scratch::new("no-journal");
    let doc = big_doc(20);
    start(&c, &doc, None, &append(map), &dir.journal()).expect("first send");
    let calls = s.requests().len();
    let again = resume(&c, &doc, None, &append(map), &dir.journal());
    assert!(
        matches!(&again, Err(Error::Journal { message, .. }) if message.contains("nothing to resume")),
        "{again:?}"
    );
    assert_eq!(s.requests().len(), calls, "nothing sent");
    assert_exactly_once(&c, map, 20);
}

#[test]
fn a_chunk_still_processing_when_the_client_gave_up_is_not_sent_twice() {
    let s = server();
    let c = client(&s);
    let map = empty_map(&c);
    let doc = big_doc(200);
    let dir = Scratch::new("slow");
    let mode = append(map);
    // The client gives up after 1 s; the server takes 2.5 s, then applies the chunk
    // anyway (a delay that outlives the client).
    let impatient = client_with(&s, Duration::from_secs(1));
    let started = std::time::Instant::now();
    let mut n = 0;
    let outcome = run(
        &impatient,
        &doc,
        Some(4_000),
        &mode,
        &dir.journal(),
        false,
        Duration::ZERO,
        &mut |e| {
            if let Event::Landed(_) = e {
                n += 1;
                if n == 1 {
                    s.set_faults(Faults {
                        delay_ms: 2_500,
                        ..Faults::default()
                    });
                }
            }
        },
    )
    .expect("send runs");
    assert_eq!(outcome.chunks[1].state, ChunkState::Sent);
    s.set_faults(Faults::default());
    // Resumed at once: the chunk is not on the map yet. The resume waits until the
    // lost request can no longer land (here 4 s after it was sent), then looks.
    let mut waited = false;
    let outcome = run(
        &c,
        &doc,
        Some(4_000),
        &mode,
        &dir.journal(),
        true,
        Duration::from_secs(4),
        &mut |e| {
            if let Event::Waiting { chunk: 1, secs } = e {
                waited = *secs > 0;
            }
        },
    )
    .expect("resume");
    assert!(waited, "the resume waited for the lost request");
    assert!(outcome.error.is_none(), "{:?}", outcome.error);
    // By now the slow request has surely been applied: a duplicate would show.
    std::thread::sleep(Duration::from_secs(4).saturating_sub(started.elapsed()));
    assert_exactly_once(&c, map, 200);
}

#[test]
fn a_second_run_while_one_is_sending_is_refused() {
    let s = server();
    let c = client(&s);
    let map = empty_map(&c);
    let doc = big_doc(100);
    let dir = Scratch::new("concurrent");
    let journal = dir.journal();
    s.set_faults(Faults {
        delay_ms: 300,
        ..Faults::default()
    });
    std::thread::scope(|scope| {
        let first = scope.spawn(|| start(&c, &doc, Some(4_000), &append(map), &journal));
        // Wait until the first run holds the lock (its journal exists).
        while !journal.exists() {
            std::thread::sleep(Duration::from_millis(20));
        }
        for resume in [false, true] {
            let second = run(
                &c,
                &doc,
                Some(4_000),
                &append(map),
                &journal,
                resume,
                Duration::ZERO,
                &mut |_| {},
            );
            assert!(
                matches!(&second, Err(Error::Journal { message, .. }) if message.contains("another geonorm")),
                "{second:?}"
            );
        }
        let first = first.join().expect("thread").expect("first send");
        assert!(first.error.is_none(), "{:?}", first.error);
    });
    s.set_faults(Faults::default());
    assert_exactly_once(&c, map, 100);
}

/// A send stopped after two chunks (every later call answered 500).
fn stopped_after_two(s: &Server, c: &Client, map: u64, doc: &geonorm::Document, journal: &Path) {
    s.set_faults(Faults {
        fail_after: Some(3),
        ..Faults::default()
    });
    let outcome = start(c, doc, Some(4_000), &append(map), journal).expect("send runs");
    assert!(outcome.error.is_some() && outcome.journal_kept);
    s.set_faults(Faults::default());
}

#[test]
fn a_journal_is_resumed_only_against_its_own_map_and_server() {
    let s = server();
    let c = client(&s);
    let (map, other) = (empty_map(&c), empty_map(&c));
    let doc = big_doc(200);
    let dir = Scratch::new("mismatch");
    stopped_after_two(&s, &c, map, &doc, &dir.journal());
    let calls = s.requests().len();
    let wrong_map = resume(&c, &doc, Some(4_000), &append(other), &dir.journal());
    assert!(
        matches!(&wrong_map, Err(Error::Journal { message, .. }) if message.contains(&format!("--map {map}"))),
        "{wrong_map:?}"
    );
    let s2 = server();
    let wrong_server = resume(
        &client(&s2),
        &doc,
        Some(4_000),
        &append(map),
        &dir.journal(),
    );
    assert!(
        matches!(&wrong_server, Err(Error::Journal { message, .. }) if message.contains("--server")),
        "{wrong_server:?}"
    );
    let other_file = resume(&c, &big_doc(201), Some(4_000), &append(map), &dir.journal());
    assert!(
        other_file.is_ok(),
        "the fingerprint is the caller's: same input string"
    );
    assert_eq!(
        features(&c, other).len(),
        0,
        "nothing went to the other map"
    );
    assert!(s2.requests().is_empty(), "nothing went to the other server");
    assert!(s.requests().len() > calls);
}

#[test]
fn an_upload_whose_first_answer_was_lost_is_found_and_finished_once() {
    let s = server();
    let c = client(&s);
    let doc = big_doc(200);
    let dir = Scratch::new("upload-lost");
    let mode = Mode::Upload(UploadArgs {
        file_type: FileType::Geojson,
        visibility: Visibility::Private,
        title: Some("Trip".into()),
        description: None,
        short_name: None,
    });
    // An unrelated map made by someone else meanwhile must not confuse the search.
    empty_map(&c);
    s.set_faults(Faults {
        drop_after_body: Some(DropAfterBody::Apply),
        drop_endpoint: Some("map/upload".into()),
        ..Faults::default()
    });
    let outcome = start(&c, &doc, Some(4_000), &mode, &dir.journal()).expect("send runs");
    assert_eq!(outcome.chunks[0].state, ChunkState::Sent);
    assert!(outcome.journal_kept);
    empty_map(&c);
    let maps = s.map_count();
    let outcome = resume(&c, &doc, Some(4_000), &mode, &dir.journal()).expect("resume");
    assert!(outcome.error.is_none(), "{:?}", outcome.error);
    assert_eq!(s.map_count(), maps, "no second map");
    let id = outcome.map.expect("map").id;
    assert_exactly_once(&c, id, 200);
}

#[test]
fn an_error_that_proves_nothing_landed_leaves_no_journal() {
    let s = server();
    let c = client(&s);
    let map = empty_map(&c);
    let dir = Scratch::new("nothing-landed");
    let doc = big_doc(20);
    // A wrong key: refused before anything is planned.
    let wrong = ClientBuilder::new()
        .server(s.url())
        .api_key(ApiKey::new("not-the-key").expect("key"))
        .build()
        .expect("client");
    assert!(matches!(
        start(&wrong, &doc, None, &append(map), &dir.journal()),
        Err(Error::Api(_))
    ));
    assert!(!dir.journal().exists());
    // MapHub refuses the first chunk with an error: nothing applied, no journal.
    let upload = Mode::Upload(UploadArgs {
        file_type: FileType::Geojson,
        visibility: Visibility::Private,
        title: None,
        description: None,
        short_name: None,
    });
    s.set_faults(Faults {
        status_503: 0,
        ..Faults::default()
    });
    let tiny = server_with(10);
    let outcome = start(&client(&tiny), &big_doc(1), None, &upload, &dir.journal()).expect("runs");
    assert!(
        matches!(outcome.error, Some(Error::Api(_))),
        "{:?}",
        outcome.error
    );
    assert!(!outcome.journal_kept && !dir.journal().exists());
    // Stopped before the first chunk: nothing landed, no journal.
    let stop = AtomicBool::new(true);
    let mut d = doc.clone();
    let outcome = send(
        &c,
        Payload::Document {
            doc: &mut d,
            limit: None,
            assets: None,
        },
        &append(map),
        SendOptions {
            journal: dir.journal(),
            resume: false,
            input: "x".into(),
            settle: Duration::ZERO,
            stop: Some(&stop),
            skip_assets: Default::default(),
            on_event: &mut |_| {},
        },
    )
    .expect("runs");
    assert!(matches!(outcome.error, Some(Error::Interrupted)));
    assert!(!dir.journal().exists());
    assert_eq!(features(&c, map).len(), 0);
}

#[test]
fn a_chunk_the_server_finds_too_large_is_split_further() {
    // The server's limit (30 kB) is below what the client was told (none).
    let s = server_with(30_000);
    let c = client(&s);
    let map = empty_map(&c);
    let doc = big_doc(600);
    let dir = Scratch::new("too-large");
    let mut splits = 0;
    let outcome = run(
        &c,
        &doc,
        None,
        &append(map),
        &dir.journal(),
        false,
        Duration::ZERO,
        &mut |e| {
            if let Event::Resplit { .. } = e {
                splits += 1;
            }
        },
    )
    .expect("send runs");
    assert!(outcome.error.is_none(), "{:?}", outcome.error);
    assert!(splits >= 1 && outcome.chunks.len() > 1);
    assert_exactly_once(&c, map, 600);
}

#[test]
fn a_raw_file_whose_answer_was_lost_is_settled_by_count() {
    let s = server();
    let c = client(&s);
    let map = empty_map(&c);
    let dir = Scratch::new("raw");
    let bytes = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata/geojson/maphub/alps-trip.geojson"),
    )
    .expect("fixture");
    let n = geonorm::read(
        &bytes[..],
        &geonorm::ReadOptions::format(geonorm::Format::GeoJson),
    )
    .expect("reads")
    .document
    .features
    .len();
    for (resume, fault) in [(false, Some(DropAfterBody::Apply)), (true, None)] {
        s.set_faults(Faults {
            drop_after_body: fault,
            drop_endpoint: Some("map/append".into()),
            ..Faults::default()
        });
        let outcome = send(
            &c,
            Payload::Raw {
                bytes: &bytes,
                file_type: FileType::Geojson,
                features: n,
            },
            &append(map),
            SendOptions {
                journal: dir.journal(),
                resume,
                input: "raw".into(),
                settle: Duration::ZERO,
                stop: None,
                skip_assets: Default::default(),
                on_event: &mut |_| {},
            },
        )
        .expect("runs");
        assert_eq!(outcome.error.is_none(), resume, "{:?}", outcome.error);
    }
    assert_eq!(features(&c, map).len(), n, "landed once, found by count");
}
