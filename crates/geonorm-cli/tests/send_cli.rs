//! `geonorm append`/`upload` under the faults that used to put features on a map twice
//! or leave them out: a resume with nothing to resume, two runs at once, Ctrl-C, a
//! journal that cannot be written beside the file, standard input, and a server whose
//! size limit the client did not know. Against maphub-local on 127.0.0.1.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use geonorm_upload::{ApiKey, Client, ClientBuilder, FileType, UploadArgs, Visibility};
use maphub_local::{Config, Faults, Server};

const KEY: &str = "send-cli-secret-0d1e";

struct Env {
    server: Server,
    dir: tempfile::TempDir,
    client: Client,
}

impl Env {
    fn new() -> Env {
        Env::with_limit(geonorm::MAPHUB_MAX_UPLOAD_BYTES)
    }

    fn with_limit(max_upload_bytes: u64) -> Env {
        let server = Server::start(
            Config {
                api_key: KEY.into(),
                max_upload_bytes,
                ..Config::default()
            },
            0,
        )
        .expect("server");
        let client = ClientBuilder::new()
            .server(server.url())
            .api_key(ApiKey::new(KEY).expect("key"))
            .build()
            .expect("client");
        Env {
            server,
            dir: tempfile::tempdir().expect("tempdir"),
            client,
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_geonorm"));
        c.args(args)
            .args(["--server", &self.server.url()])
            .env("MAPHUB_API_KEY", KEY)
            .env("XDG_STATE_HOME", self.dir.path().join("state"));
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        let out = self.command(args).output().expect("run geonorm");
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!all.contains(KEY), "the key leaked: {all}");
        out
    }

    /// Runs geonorm with `input` on its standard input.
    fn run_stdin(&self, args: &[&str], input: &[u8]) -> Output {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), input).expect("pipe");
        child.wait_with_output().expect("wait")
    }

    fn new_map(&self) -> u64 {
        let args = UploadArgs {
            file_type: FileType::Empty,
            visibility: Visibility::Private,
            title: Some("T".into()),
            description: None,
            short_name: None,
        };
        self.client.upload(&args, b"").expect("upload").id
    }

    /// The titles of the map's features, sorted.
    fn titles(&self, map: u64) -> Vec<String> {
        let v = self.client.get(map).expect("get");
        let mut t: Vec<String> = v["geojson"]["features"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|f| f["properties"]["title"].as_str().map(str::to_string))
            .collect();
        t.sort();
        t
    }

    fn assert_exactly_once(&self, map: u64, n: usize) {
        let t = self.titles(map);
        let mut unique = t.clone();
        unique.dedup();
        assert_eq!(t.len(), n, "features on the map");
        assert_eq!(unique.len(), n, "no feature twice");
    }
}

/// A MapHub GeoJSON of `n` points.
fn points(dir: &Path, n: usize) -> PathBuf {
    let path = dir.join("points.geojson");
    let features: Vec<String> = (0..n)
        .map(|i| {
            format!(
                r#"{{"type":"Feature","geometry":{{"type":"Point","coordinates":[{}.25,45.5]}},"properties":{{"title":"point {i}","description":"a generated point with some words"}}}}"#,
                i % 170
            )
        })
        .collect();
    std::fs::write(
        &path,
        format!(
            r#"{{"type":"FeatureCollection","features":[{}]}}"#,
            features.join(",\n")
        ),
    )
    .expect("write");
    path
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn resume_after_a_finished_send_is_refused_and_sends_nothing() {
    let env = Env::new();
    let map = env.new_map();
    let file = points(env.dir.path(), 50);
    let f = file.to_str().expect("utf8");
    let m = map.to_string();
    let out = env.run(&["append", f, "--map", &m]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("holds all 50 features of this send, each once"));
    let calls = env.server.requests().len();
    let out = env.run(&["append", f, "--map", &m, "--resume"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("nothing to resume"), "{}", text(&out));
    assert_eq!(env.server.requests().len(), calls, "nothing sent");
    env.assert_exactly_once(map, 50);
}

#[test]
fn two_runs_of_the_same_file_at_once_send_it_once() {
    let env = Env::new();
    let map = env.new_map();
    let file = points(env.dir.path(), 400);
    let f = file.to_str().expect("utf8");
    let m = map.to_string();
    env.server.set_faults(Faults {
        delay_ms: 150,
        ..Faults::default()
    });
    let args = ["append", f, "--map", &m, "--max-bytes", "8000"];
    let first = env
        .command(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // Start the second once the first has begun sending.
    let t = Instant::now();
    while !env
        .server
        .requests()
        .iter()
        .any(|r| r.endpoint == "map/append")
    {
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "first run never sent"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    for extra in [None, Some("--resume")] {
        let mut a = args.to_vec();
        a.extend(extra);
        let second = env.run(&a);
        assert_eq!(second.status.code(), Some(1), "{}", text(&second));
        assert!(
            text(&second).contains("another geonorm is sending this file"),
            "{}",
            text(&second)
        );
    }
    let first = first.wait_with_output().expect("first");
    assert_eq!(first.status.code(), Some(0), "{}", text(&first));
    env.server.set_faults(Faults::default());
    env.assert_exactly_once(map, 400);
}

#[test]
fn ctrl_c_stops_between_chunks_says_what_landed_and_resume_finishes() {
    let env = Env::new();
    let map = env.new_map();
    let file = points(env.dir.path(), 400);
    let f = file.to_str().expect("utf8");
    let m = map.to_string();
    env.server.set_faults(Faults {
        delay_ms: 300,
        ..Faults::default()
    });
    let args = ["append", f, "--map", &m, "--max-bytes", "8000"];
    let child = env
        .command(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let t = Instant::now();
    while env
        .server
        .requests()
        .iter()
        .filter(|r| r.endpoint == "map/append")
        .count()
        < 2
    {
        assert!(t.elapsed() < Duration::from_secs(30), "never sent");
        std::thread::sleep(Duration::from_millis(20));
    }
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let out = child.wait_with_output().expect("wait");
    let said = text(&out);
    assert_eq!(out.status.code(), Some(130), "{said}");
    assert!(
        said.contains("stopping after the chunk in flight"),
        "{said}"
    );
    assert!(
        said.contains(": landed") && said.contains(": not sent"),
        "{said}"
    );
    assert!(said.contains("--resume"), "{said}");
    env.server.set_faults(Faults::default());
    let out = env.run(&[&args[..], &["--resume"]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    env.assert_exactly_once(map, 400);
}

#[test]
fn the_journal_goes_where_it_can_be_written_and_is_named() {
    let env = Env::new();
    let map = env.new_map();
    let m = map.to_string();
    let file = points(env.dir.path(), 300);
    let bytes = std::fs::read(&file).expect("read");
    // Standard input: the journal goes to the per-user state directory.
    env.server.set_faults(Faults {
        fail_after: Some(2),
        ..Faults::default()
    });
    let out = env.run_stdin(&["append", "-", "--map", &m, "--max-bytes", "8000"], &bytes);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    let state = env.dir.path().join("state").join("geonorm");
    assert!(said.contains(&state.display().to_string()), "{said}");
    env.server.set_faults(Faults::default());
    let out = env.run_stdin(
        &[
            "append",
            "-",
            "--map",
            &m,
            "--max-bytes",
            "8000",
            "--resume",
        ],
        &bytes,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    env.assert_exactly_once(map, 300);

    // --journal PATH is used as given.
    let map = env.new_map();
    let m = map.to_string();
    let journal = env.dir.path().join("elsewhere.json");
    let j = journal.to_str().expect("utf8");
    let f = file.to_str().expect("utf8");
    env.server.set_faults(Faults {
        fail_after: Some(2),
        ..Faults::default()
    });
    let out = env.run(&[
        "append",
        f,
        "--map",
        &m,
        "--max-bytes",
        "8000",
        "--journal",
        j,
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(journal.exists() && text(&out).contains(j), "{}", text(&out));
    env.server.set_faults(Faults::default());
    let out = env.run(&[
        "append",
        f,
        "--map",
        &m,
        "--max-bytes",
        "8000",
        "--journal",
        j,
        "--resume",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(!journal.exists());
    env.assert_exactly_once(map, 300);

    // A folder that cannot be written: the state directory, named in the message.
    let ro = env.dir.path().join("ro");
    std::fs::create_dir(&ro).expect("dir");
    let in_ro = ro.join("points.geojson");
    std::fs::copy(&file, &in_ro).expect("copy");
    let mut perms = std::fs::metadata(&ro).expect("meta").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o555);
    std::fs::set_permissions(&ro, perms).expect("chmod");
    if tempfile::tempfile_in(&ro).is_ok() {
        eprintln!("skipped the read-only folder case: this user can write anywhere (root)");
        return;
    }
    let map = env.new_map();
    env.server.set_faults(Faults {
        fail_after: Some(2),
        ..Faults::default()
    });
    let out = env.run(&[
        "append",
        in_ro.to_str().expect("utf8"),
        "--map",
        &map.to_string(),
        "--max-bytes",
        "8000",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains(&state.display().to_string()),
        "{}",
        text(&out)
    );
}

#[test]
fn a_file_over_the_servers_limit_is_split_without_being_told() {
    // The server enforces a 60 kB limit; the client is given no --max-bytes.
    let env = Env::with_limit(60_000);
    let map = env.new_map();
    let file = points(env.dir.path(), 1500);
    let out = env.run(&[
        "append",
        file.to_str().expect("utf8"),
        "--map",
        &map.to_string(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("too large (nothing of it was applied); sending it in"),
        "{}",
        text(&out)
    );
    env.assert_exactly_once(map, 1500);
}

#[test]
fn a_wrong_key_leaves_no_journal_and_the_next_run_just_works() {
    let env = Env::new();
    let map = env.new_map();
    let file = points(env.dir.path(), 30);
    let f = file.to_str().expect("utf8");
    let m = map.to_string();
    for cmd in [
        &["append", f, "--map", &m][..],
        &["upload", f, "--visibility", "private"][..],
    ] {
        let out = env
            .command(cmd)
            .env("MAPHUB_API_KEY", "wrong-key-3f")
            .output()
            .expect("run");
        let said = text(&out);
        assert_eq!(out.status.code(), Some(1), "{said}");
        assert!(said.contains("Invalid API key"), "{said}");
        assert!(
            !said.contains("--resume") && !said.contains("wrong-key-3f"),
            "{said}"
        );
        assert!(!env
            .dir
            .path()
            .join("points.geojson.maphub-journal.json")
            .exists());
    }
    let out = env.run(&["append", f, "--map", &m]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    env.assert_exactly_once(map, 30);
}

#[test]
fn the_same_content_through_a_symlink_a_hard_link_or_stdin_is_not_sent_twice_at_once() {
    let env = Env::new();
    let map = env.new_map();
    let file = points(env.dir.path(), 400);
    let f = file.to_str().expect("utf8");
    let m = map.to_string();
    // Other folders, so each has its own journal beside it: only the content is shared.
    let (a, b) = (env.dir.path().join("a"), env.dir.path().join("b"));
    std::fs::create_dir_all(&a).expect("dir");
    std::fs::create_dir_all(&b).expect("dir");
    let link = a.join("link.geojson");
    std::os::unix::fs::symlink(&file, &link).expect("symlink");
    let hard = b.join("hard.geojson");
    std::fs::hard_link(&file, &hard).expect("hard link");
    env.server.set_faults(Faults {
        delay_ms: 150,
        ..Faults::default()
    });
    let first = env
        .command(&["append", f, "--map", &m, "--max-bytes", "8000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let t = Instant::now();
    while !env
        .server
        .requests()
        .iter()
        .any(|r| r.endpoint == "map/append")
    {
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "first run never sent"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let bytes = std::fs::read(&file).expect("read");
    for (what, out) in [
        (
            "symlink",
            env.run(&[
                "append",
                link.to_str().expect("utf8"),
                "--map",
                &m,
                "--max-bytes",
                "8000",
            ]),
        ),
        (
            "hard link",
            env.run(&[
                "append",
                hard.to_str().expect("utf8"),
                "--map",
                &m,
                "--max-bytes",
                "8000",
            ]),
        ),
        (
            "stdin",
            env.run_stdin(&["append", "-", "--map", &m, "--max-bytes", "8000"], &bytes),
        ),
    ] {
        assert_eq!(out.status.code(), Some(1), "{what}: {}", text(&out));
        assert!(
            text(&out).contains("sending the same content to the same map"),
            "{what}: {}",
            text(&out)
        );
    }
    let first = first.wait_with_output().expect("first");
    assert_eq!(first.status.code(), Some(0), "{}", text(&first));
    env.server.set_faults(Faults::default());
    env.assert_exactly_once(map, 400);
}
