//! Every answer is read into a capped buffer before it is decoded: an endless JSON
//! array from a server on 127.0.0.1 is refused at the cap with the memory of the cap,
//! not the many times more its decoded values would take; and a complete, valid answer
//! under the cap that holds too many values (`[0,0,…]`) is refused before it is
//! decoded. The first test measures this process's peak memory; the second runs its
//! client in a child process (this test binary again) under `ulimit -v`, so each
//! measures only itself.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use geonorm_upload::{ApiKey, AppendArgs, ClientBuilder, Error, FileType};

/// A server on 127.0.0.1 that answers every request with `[0.000000000000001,…`
/// forever (until the client hangs up): 18 bytes a value, more than the 16 a value
/// may take, so the cap on bytes is reached before the count of values.
fn endless_array_server() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for mut conn in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut buf = [0u8; 65536];
                let _ = conn.set_read_timeout(Some(Duration::from_millis(300)));
                let _ = conn.read(&mut buf);
                if conn
                    .write_all(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n[")
                    .is_err()
                {
                    return;
                }
                let chunk = b"0.000000000000001,".repeat(4_000);
                while conn.write_all(&chunk).is_ok() {}
            });
        }
    });
    format!("http://127.0.0.1:{port}")
}

/// The process's peak resident memory so far, in KiB.
fn peak_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM")
}

#[test]
fn an_endless_answer_is_refused_at_the_cap_with_the_memory_of_the_cap() {
    const CAP: u64 = 32 << 20;
    let url = endless_array_server();
    let c = ClientBuilder::new()
        .server(&url)
        .api_key(ApiKey::new("answers-key-1").expect("key"))
        .timeout(Duration::from_secs(30))
        .send_timeout(Duration::from_secs(30))
        .retries(0, Duration::from_millis(10))
        .max_map_bytes(CAP)
        .build()
        .expect("client");
    let before = peak_kib();
    let t = Instant::now();
    // 32 MiB of `{},` decoded as it arrived held ~11 M empty objects: hundreds of MiB;
    // of these numbers, ~2 M.
    let got = c.get(1);
    assert!(
        matches!(&got, Err(Error::AnswerTooLarge { limit, .. }) if *limit == CAP),
        "{got:?}"
    );
    let list = c.list();
    assert!(
        matches!(&list, Err(Error::AnswerTooLarge { .. })),
        "{list:?}"
    );
    let grew_mib = (peak_kib().saturating_sub(before)) / 1024;
    assert!(
        grew_mib < 3 * (CAP >> 20),
        "peak memory grew {grew_mib} MiB"
    );
    // The other calls: the 1 MiB default cap.
    let append = c.append(
        &AppendArgs {
            map_id: 1,
            file_type: FileType::Geojson,
            new_group: None,
        },
        b"{}",
    );
    assert!(
        matches!(&append, Err(Error::AnswerTooLarge { limit, .. }) if *limit == 1 << 20),
        "{append:?}"
    );
    assert!(t.elapsed() < Duration::from_secs(60));
}

/// A server on 127.0.0.1 that answers every request with a complete, valid JSON array
/// of zeros, `[0,0,…,0]`, `bytes` long with its `Content-Length`, written as it goes
/// (never held whole).
fn zeros_server(bytes: u64) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for mut conn in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut buf = [0u8; 65536];
                let _ = conn.set_read_timeout(Some(Duration::from_millis(300)));
                let _ = conn.read(&mut buf);
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {bytes}\r\nConnection: close\r\n\r\n["
                );
                if conn.write_all(head.as_bytes()).is_err() {
                    return;
                }
                // `[` + `0,` × k + `0]` = 2k + 3 bytes.
                let mut zeros = (bytes - 3) / 2;
                let chunk = b"0,".repeat(32_768);
                while zeros > 0 {
                    let n = zeros.min(32_768);
                    if conn.write_all(&chunk[..2 * n as usize]).is_err() {
                        return;
                    }
                    zeros -= n;
                }
                let _ = conn.write_all(b"0]");
            });
        }
    });
    format!("http://127.0.0.1:{port}")
}

/// Set in the child process: the server it asks.
const CHILD_URL: &str = "GEONORM_TEST_ZEROS_URL";

/// What the child process does: `map/get` and `map/list` with the default limits.
fn refuse_the_zeros(url: &str) {
    let c = ClientBuilder::new()
        .server(url)
        .api_key(ApiKey::new("answers-key-2").expect("key"))
        .timeout(Duration::from_secs(60))
        .retries(0, Duration::from_millis(10))
        .build()
        .expect("client");
    let get = c.get(1);
    let Err(e @ Error::AnswerTooManyValues { values, .. }) = &get else {
        panic!("not refused for its values: {get:?}");
    };
    assert_eq!(*values, 16 << 20, "one value per 16 bytes of 256 MiB");
    let said = e.to_string();
    assert!(
        said.contains("JSON values") && said.contains("ClientBuilder::max_map_bytes"),
        "{said}"
    );
    let list = c.list();
    assert!(
        matches!(&list, Err(Error::AnswerTooManyValues { .. })),
        "{list:?}"
    );
}

#[test]
fn a_valid_answer_of_too_many_values_under_the_cap_is_refused_in_bounded_memory() {
    if let Ok(url) = std::env::var(CHILD_URL) {
        return refuse_the_zeros(&url);
    }
    // 96 MB of `0,`: 48 M values, under the 256 MiB cap; decoded, ~4 GB.
    let url = zeros_server(96_000_001);
    let me = std::env::current_exe().expect("this test binary");
    let mut child = Command::new("sh")
        .arg("-c")
        // 1.5 GB of address space: the answer's buffer fits, its decoded values not.
        .arg("ulimit -v 1500000 && exec \"$0\" \"$@\"")
        .arg(me)
        .args([
            "--exact",
            "a_valid_answer_of_too_many_values_under_the_cap_is_refused_in_bounded_memory",
            "--test-threads=1",
            "--nocapture",
        ])
        .env(CHILD_URL, &url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("child runs");
    // The watchdog.
    let t = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if t.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("the child did not end within 120 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let out = child.wait_with_output().expect("output");
    assert!(
        status.success(),
        "{status}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("1 passed"),
        "the child ran the test"
    );
}
