//! Every answer is read into a capped buffer before it is decoded: an endless JSON
//! array from a server on 127.0.0.1 is refused at the cap with the memory of the cap,
//! not the many times more its decoded values would take. One test in this binary, so
//! the process's peak memory is its own.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use geonorm_upload::{ApiKey, AppendArgs, ClientBuilder, Error, FileType};

/// A server on 127.0.0.1 that answers every request with `[{},{},{},…` forever (until
/// the client hangs up).
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
                let chunk = b"{},".repeat(20_000);
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
    // 32 MiB of `{},` decoded as it arrived held ~11 M empty objects: hundreds of MiB.
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
