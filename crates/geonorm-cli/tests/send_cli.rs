//! `geonorm append`/`upload` under the faults that used to put features on a map twice
//! or leave them out: a resume with nothing to resume, two runs at once, Ctrl-C, a
//! journal that cannot be written beside the file (a read-only folder, for root too) or
//! at all, standard input, and a server whose size limit the client did not know.
//! Against maphub-local on 127.0.0.1.

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
}

/// A folder nobody can write to, this test's user included: for root, whom
/// permissions do not stop, a read-only tmpfs mounted on it (unmounted on drop).
struct ReadOnlyDir {
    path: PathBuf,
    mounted: bool,
}

impl ReadOnlyDir {
    /// Makes `path` hold `files` and then refuse new files.
    fn new(path: PathBuf, files: &[(&str, &[u8])]) -> ReadOnlyDir {
        std::fs::create_dir(&path).expect("dir");
        let mount = |args: &[&str]| {
            let out = Command::new("mount")
                .args(args)
                .arg(&path)
                .output()
                .unwrap_or_else(|e| panic!("cannot run mount: {e}"));
            assert!(
                out.status.success(),
                "root writes through permissions, so the read-only folder is a read-only \
                 tmpfs, and `mount {args:?}` failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        let mut perms = std::fs::metadata(&path).expect("meta").permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o555);
        std::fs::set_permissions(&path, perms).expect("chmod");
        let root = tempfile::tempfile_in(&path).is_ok();
        if root {
            mount(&["-t", "tmpfs", "-o", "size=1m,mode=0755", "tmpfs"]);
        }
        let dir = ReadOnlyDir {
            path: path.clone(),
            mounted: root,
        };
        if !root {
            // Permissions stop this user: write the files with the folder open again.
            let mut perms = std::fs::metadata(&path).expect("meta").permissions();
            std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
            std::fs::set_permissions(&path, perms.clone()).expect("chmod");
        }
        for (name, bytes) in files {
            std::fs::write(path.join(name), bytes).expect("write");
        }
        if root {
            mount(&["-o", "remount,ro"]);
        } else {
            let mut perms = std::fs::metadata(&path).expect("meta").permissions();
            std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o555);
            std::fs::set_permissions(&path, perms).expect("chmod");
        }
        let refused = tempfile::tempfile_in(&path).expect_err("the folder refuses new files");
        eprintln!("{}: {refused}", path.display());
        dir
    }
}

impl Drop for ReadOnlyDir {
    fn drop(&mut self) {
        if self.mounted {
            let _ = Command::new("umount").arg(&self.path).status();
        }
    }
}

/// The files anywhere under `dir`, sorted.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                todo.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn a_folder_that_cannot_be_written_puts_the_journal_in_the_state_directory() {
    let env = Env::new();
    let map = env.new_map();
    let m = map.to_string();
    let bytes = std::fs::read(points(env.dir.path(), 300)).expect("read");
    let ro = ReadOnlyDir::new(
        env.dir.path().join("ro"),
        &[("points.geojson", bytes.as_slice())],
    );
    let file = ro.path.join("points.geojson");
    let f = file.to_str().expect("utf8");
    env.server.set_faults(Faults {
        fail_after: Some(2),
        ..Faults::default()
    });
    let args = ["append", f, "--map", &m, "--max-bytes", "8000"];
    let out = env.run(&args);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    let state = env.dir.path().join("state").join("geonorm");
    let journals: Vec<PathBuf> = files_under(&state)
        .into_iter()
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("points.geojson.maphub-journal.json."))
        })
        .collect();
    assert_eq!(
        journals.len(),
        1,
        "one journal in the state directory: {said}"
    );
    assert!(
        said.contains(&journals[0].display().to_string()),
        "the message names the journal: {said}"
    );
    assert_eq!(
        files_under(&ro.path),
        std::slice::from_ref(&file),
        "nothing written beside the file"
    );
    // The journal records what landed: the resume sends the rest, each feature once.
    env.server.set_faults(Faults::default());
    let out = env.run(&[&args[..], &["--resume"]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    env.assert_exactly_once(map, 300);
    assert!(
        !journals[0].exists(),
        "the finished send's journal is removed"
    );
}

#[test]
fn a_journal_that_cannot_be_created_stops_the_send_before_anything_is_sent() {
    let env = Env::new();
    let map = env.new_map();
    let m = map.to_string();
    let file = points(env.dir.path(), 300);
    let bytes = std::fs::read(&file).expect("read");
    let f = file.to_str().expect("utf8");
    // A regular file where a folder should be: creating anything under it fails with
    // ENOTDIR, for root too.
    let plain = env.dir.path().join("plain");
    std::fs::write(&plain, b"not a folder").expect("write");
    let before = env.server.requests().len();
    let journal = plain.join("j.json");
    let j = journal.to_str().expect("utf8");
    let state = plain.join("state");

    // --journal under the file.
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
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(
        text(&out),
        format!(
            "geonorm: journal {j}.lock: cannot open the lock file: Not a directory (os error 20)\n"
        )
    );

    // Standard input, its journal in a state directory under the file.
    let out = env
        .command(&["append", "-", "--map", &m, "--max-bytes", "8000"])
        .env("XDG_STATE_HOME", &state)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            std::io::Write::write_all(&mut c.stdin.take().expect("stdin"), &bytes)?;
            c.wait_with_output()
        })
        .expect("run");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    // The journal's name ends with the input's fingerprint: 16 hex digits.
    let said = text(&out);
    let fingerprint = said
        .strip_prefix(&format!(
            "geonorm: journal {}/geonorm/stdin.maphub-journal.json.",
            state.display()
        ))
        .and_then(|rest| {
            rest.strip_suffix(".lock: cannot open the lock file: Not a directory (os error 20)\n")
        });
    assert!(
        fingerprint.is_some_and(|f| f.len() == 16 && f.bytes().all(|b| b.is_ascii_hexdigit())),
        "{said}"
    );

    let sent: Vec<String> = env.server.requests()[before..]
        .iter()
        .map(|r| r.endpoint.clone())
        .collect();
    assert!(sent.is_empty(), "no request at all: {sent:?}");
    env.assert_exactly_once(map, 0);
    // No journal anywhere to claim a send that did not happen.
    assert_eq!(files_under(env.dir.path()), [plain.clone(), file.clone()]);
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
