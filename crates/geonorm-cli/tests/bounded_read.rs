//! Reading is bounded (issue 29, findings 5 to 8 and the PNG part of 14): hostile files,
//! built here in temporary folders, end quickly and in little memory with a clear
//! message. Memory is held to a limit by `ulimit -v` on the child (a run over it
//! aborts); time only by a watchdog against hangs, never as a speed assertion.

use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_geonorm")
}

/// Virtual memory a child may map, in KiB: room for the binary, its threads' stacks
/// and allocator arenas, far below what the bombs below took (gigabytes).
const VMEM_KIB: u64 = 1_000_000;

/// A hang guard, not a speed assertion: a run still going after this is killed.
const WATCHDOG: Duration = Duration::from_secs(60);

/// Runs `geonorm args…` with its address space limited to [`VMEM_KIB`] and standard
/// input from `stdin` (or nothing), killed if it outlives [`WATCHDOG`].
fn run_limited(args: &[&str], stdin: Option<&Path>) -> Output {
    let mut script = format!("ulimit -v {VMEM_KIB}; exec \"$0\"");
    for i in 1..=args.len() {
        script.push_str(&format!(" \"${i}\""));
    }
    if stdin.is_some() {
        script.push_str(" < \"$GEONORM_TEST_STDIN\"");
    }
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(script).arg(bin()).args(args);
    if let Some(p) = stdin {
        cmd.env("GEONORM_TEST_STDIN", p);
    }
    // A key, for the sends (the other commands do not read it).
    cmd.env("MAPHUB_API_KEY", "bounded-read-key")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn");
    // Both pipes are read as the child writes: one left full (a long report) would
    // stop it, and look like a hang.
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as _));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as _));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > WATCHDOG {
            let _ = child.kill();
            let _ = child.wait();
            let stderr = stderr.join().expect("stderr");
            panic!(
                "geonorm {args:?} still running after {WATCHDOG:?}; stderr: {}",
                String::from_utf8_lossy(&stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: stdout.join().expect("stdout"),
        stderr: stderr.join().expect("stderr"),
    }
}

fn said(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The raw deflate stream of `n` zero bytes (what a zip entry of them holds).
fn deflated_zeros(n: usize) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(n > u32::MAX as usize);
    zip.start_file("z", options).expect("entry");
    let chunk = vec![0u8; 1 << 20];
    let mut left = n;
    while left > 0 {
        let k = left.min(chunk.len());
        zip.write_all(&chunk[..k]).expect("write");
        left -= k;
    }
    let bytes = zip.finish().expect("finish").into_inner();
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("zip");
    let mut raw = Vec::new();
    archive
        .by_index_raw(0)
        .expect("raw")
        .read_to_end(&mut raw)
        .expect("read");
    raw
}

/// A zip archive written by hand. Each entry is its name, its content's first bytes
/// `head`, and whether `zeros` zero bytes follow them: then its deflate stream is
/// `head` in a stored block and `tail` (the deflate stream of the zeros, made once),
/// so hundreds of distinct entries compress as a zip tool would, in no time.
fn zip_of(entries: &[(String, Vec<u8>, bool)], zeros: usize, tail: &[u8]) -> Vec<u8> {
    let zero_crc = {
        let mut h = crc32fast::Hasher::new();
        let chunk = vec![0u8; 1 << 20];
        let mut left = zeros;
        while left > 0 {
            let k = left.min(chunk.len());
            h.update(&chunk[..k]);
            left -= k;
        }
        h
    };
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, head, padded) in entries {
        let zeros = if *padded { zeros } else { 0 };
        let (data, size) = if zeros == 0 {
            (head.clone(), head.len())
        } else {
            // A stored block, not the last, then the zeros' stream (its last block).
            let mut d = vec![0u8];
            let len = head.len() as u16;
            d.extend_from_slice(&len.to_le_bytes());
            d.extend_from_slice(&(!len).to_le_bytes());
            d.extend_from_slice(head);
            d.extend_from_slice(tail);
            (d, head.len() + zeros)
        };
        let mut crc = crc32fast::Hasher::new();
        crc.update(head);
        if zeros > 0 {
            crc.combine(&zero_crc);
        }
        let crc = crc.finalize();
        let method: u16 = if zeros == 0 { 0 } else { 8 };
        let offset = out.len() as u32;
        let fixed = |sig: u32, central: bool| {
            let mut h = sig.to_le_bytes().to_vec();
            if central {
                h.extend_from_slice(&20u16.to_le_bytes());
            }
            h.extend_from_slice(&20u16.to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes());
            h.extend_from_slice(&method.to_le_bytes());
            h.extend_from_slice(&[0, 0, 0x21, 0]);
            h.extend_from_slice(&crc.to_le_bytes());
            h.extend_from_slice(&(data.len() as u32).to_le_bytes());
            h.extend_from_slice(&(size as u32).to_le_bytes());
            h.extend_from_slice(&(name.len() as u16).to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes());
            h
        };
        out.extend_from_slice(&fixed(0x0403_4b50, false));
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&data);
        central.extend_from_slice(&fixed(0x0201_4b50, true));
        // Comment length, disk, internal and external attributes.
        central.extend_from_slice(&[0; 10]);
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let at = out.len() as u32;
    let n = entries.len() as u16;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&at.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

/// A KML whose `n` points each use the icon `files/{i}.png`.
fn kml_with_icons(n: usize) -> Vec<u8> {
    let mut kml = String::from("<kml><Document>");
    for i in 0..n {
        kml.push_str(&format!(
            "<Placemark><name>P{i}</name><Style><IconStyle><Icon><href>files/{i}.png</href></Icon></IconStyle></Style><Point><coordinates>{},1</coordinates></Point></Placemark>",
            i % 170
        ));
    }
    kml.push_str("</Document></kml>");
    kml.into_bytes()
}

/// A 1×1 PNG of the grey `shade`: valid, distinct, tiny.
fn tiny_png(shade: u8) -> Vec<u8> {
    let img = image::GrayImage::from_pixel(1, 1, image::Luma([shade]));
    let mut out = Cursor::new(Vec::new());
    image::DynamicImage::ImageLuma8(img)
        .write_to(&mut out, image::ImageFormat::Png)
        .expect("png");
    out.into_inner()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write");
    p
}

/// Finding 5: 200 icons, each a valid 1×1 PNG followed by 15 MB of zeros (a PNG reader
/// stops at its end; the bytes after it were held and sent whole), in a KMZ of about
/// 3 MB: 3 GB decompressed. `info`, `append --dry-run` and `convert --assets` stay
/// within the address space limit and say why the rest was not read.
#[test]
fn a_3_mb_kmz_asset_bomb_stays_under_the_memory_limit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let n = 200;
    let zeros = 15_000_000;
    let tail = deflated_zeros(zeros);
    let mut entries = vec![("doc.kml".to_string(), kml_with_icons(n), false)];
    for i in 0..n {
        entries.push((format!("files/{i}.png"), tiny_png(i as u8), true));
    }
    let archive = zip_of(&entries, zeros, &tail);
    assert!(
        (2_000_000..4_000_000).contains(&archive.len()),
        "{}",
        archive.len()
    );
    let kmz = write(dir.path(), "bomb.kmz", &archive);
    let kmz = kmz.to_str().expect("utf-8");

    let out = run_limited(&["info", kmz], None);
    assert!(out.status.success(), "{}", said(&out));

    let out = run_limited(&["append", "--dry-run", kmz, "--map", "1"], None);
    let text = said(&out);
    assert!(text.contains("zip bomb"), "{text}");

    let assets = dir.path().join("assets");
    let out_json = dir.path().join("out.geojson");
    let out = run_limited(
        &[
            "convert",
            kmz,
            "-o",
            out_json.to_str().expect("utf-8"),
            "--assets",
            assets.to_str().expect("utf-8"),
        ],
        None,
    );
    let text = said(&out);
    assert!(text.contains("zip bomb"), "{text}");
    // What was read within the budget was written; the rest was refused.
    let written: u64 = std::fs::read_dir(&assets)
        .map(|d| {
            d.filter_map(|e| e.ok()?.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0);
    assert!(written <= 64 << 20, "{written} bytes of assets written");
}

/// A 20000×20000 1-bit PNG (50 MB of rows, 48 KB compressed), made distinct by a text
/// chunk holding `tag`; `idat` is its image data, the same for all.
fn huge_png(tag: usize, idat: &[u8]) -> Vec<u8> {
    fn chunk(png: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        png.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut crc = crc32fast::Hasher::new();
        crc.update(kind);
        crc.update(data);
        png.extend_from_slice(kind);
        png.extend_from_slice(data);
        png.extend_from_slice(&crc.finalize().to_be_bytes());
    }
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let side = 20_000u32.to_be_bytes();
    chunk(
        &mut png,
        b"IHDR",
        &[&side[..], &side, &[1, 0, 0, 0, 0]].concat(),
    );
    chunk(&mut png, b"tEXt", format!("n\0{tag}").as_bytes());
    chunk(&mut png, b"IDAT", idat);
    chunk(&mut png, b"IEND", &[]);
    png
}

/// The zlib stream of a 20000×20000 1-bit image, all black: each row a filter byte
/// and 2500 bytes, all zero.
fn huge_idat() -> Vec<u8> {
    let n = 20_000 * 2_501;
    let mut z = vec![0x78, 0x01];
    z.extend_from_slice(&deflated_zeros(n));
    // Adler-32 of n zeros: a stays 1, b adds 1 per byte.
    let b = (n % 65_521) as u32;
    z.extend_from_slice(&((b << 16) | 1).to_be_bytes());
    z
}

/// Finding 6: 30 distinct 20000×20000 icons in a KMZ of about 1.5 MB each decoded to
/// 438 MB (51 s for `info`). They are refused from their headers, said as such.
#[test]
fn png_bomb_icons_are_refused_from_their_header() {
    let dir = tempfile::tempdir().expect("tempdir");
    let idat = huge_idat();
    let mut entries = vec![("doc.kml".to_string(), kml_with_icons(30), false)];
    for i in 0..30 {
        entries.push((format!("files/{i}.png"), huge_png(i, &idat), false));
    }
    let kmz = write(dir.path(), "icons.kmz", &zip_of(&entries, 0, &[]));
    let kmz = kmz.to_str().expect("utf-8");
    let out = run_limited(&["info", kmz], None);
    assert!(out.status.success(), "{}", said(&out));
    assert!(
        !said(&out).contains("append/upload sends"),
        "{}",
        said(&out)
    );
    let out = run_limited(&["append", "--dry-run", kmz, "--map", "1"], None);
    let text = said(&out);
    assert!(
        text.contains("20000×20000 px, over the limit of 16000000 pixels for an icon"),
        "{text}"
    );
}

/// Runs `args` (a path last) and says what it said, after checking it ended with a
/// finding or an error (exit 1 or 2), never a success or a crash.
fn refused(args: &[&str], stdin: Option<&Path>) -> String {
    let out = run_limited(args, stdin);
    let text = said(&out);
    assert!(
        matches!(out.status.code(), Some(1 | 2)),
        "{args:?}: {:?} {text}",
        out.status
    );
    text
}

/// Finding 7: `/dev/zero` (named, or as standard input) and a 2 GB sparse file are
/// refused from their first bytes as binary data, whatever format is asked for.
#[test]
fn endless_and_sparse_zeros_are_refused_as_binary_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sparse = dir.path().join("sparse.kml");
    std::fs::File::create(&sparse)
        .and_then(|f| f.set_len(2 << 30))
        .expect("sparse file");
    let sparse = sparse.to_str().expect("utf-8");
    let out = dir.path().join("out.geojson");
    let out = out.to_str().expect("utf-8");
    for args in [
        &["check", "/dev/zero"][..],
        &["convert", "--from", "kml", "/dev/zero"],
        &["convert", "--from", "geojson", "/dev/zero", "-o", out],
        &["info", "--from", "gpx", "/dev/zero"],
        &["check", sparse],
        &["convert", sparse],
        &["convert", sparse, "-o", out],
    ] {
        let text = refused(args, None);
        assert!(text.contains("binary data"), "{args:?}: {text}");
    }
    let zero = Path::new("/dev/zero");
    let text = refused(&["convert", "--from", "kml", "-"], Some(zero));
    assert!(text.contains("binary data"), "{text}");
    let text = refused(&["convert", "-"], Some(zero));
    assert!(text.contains("cannot tell the format"), "{text}");
}

/// Finding 7: a FIFO nothing writes to is an error after a few seconds, not a wait for
/// ever.
#[cfg(unix)]
#[test]
fn a_fifo_with_no_writer_is_an_error_not_a_hang() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("fifo.geojson");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let fifo = fifo.to_str().expect("utf-8");
    for args in [&["check", fifo][..], &["convert", fifo]] {
        let text = refused(args, None);
        assert!(
            text.contains("no program opened for writing"),
            "{args:?}: {text}"
        );
    }
}

/// A FIFO with a writer is read as a stream, once: its whole content, not what is
/// left after a first look at its head.
#[cfg(unix)]
#[test]
fn a_fifo_with_a_writer_is_read_once_whole() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("in.geojson");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let mut text = String::from(r#"{"type":"FeatureCollection","features":["#);
    for i in 0..2000 {
        if i > 0 {
            text.push(',');
        }
        text.push_str(&format!(
            r#"{{"type":"Feature","properties":{{"n":{i}}},"geometry":{{"type":"Point","coordinates":[1,2]}}}}"#
        ));
    }
    text.push_str("]}");
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::write(fifo, text))
    };
    let out = run_limited(
        &["info", "--format", "json", fifo.to_str().expect("utf-8")],
        None,
    );
    writer.join().expect("writer").expect("written");
    assert!(out.status.success(), "{}", said(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["features"], 2000, "{v}");
}

/// A small valid KMZ: one placemark.
fn small_kmz() -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("doc.kml", options).expect("entry");
    zip.write_all(
        br#"<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>a</name><Point><coordinates>1,2</coordinates></Point></Placemark></Document></kml>"#,
    )
    .expect("write");
    zip.finish().expect("finish").into_inner()
}

/// A `.kmz` is read through the file, never whole: a 2 GB sparse one is refused from
/// its size, and a valid small zip after a 300 MB sparse prefix (its central
/// directory says the archive starts far into the file) from its first bytes.
#[test]
fn a_huge_sparse_kmz_and_a_kmz_after_a_huge_prefix_are_refused_without_reading_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let huge = dir.path().join("huge.kmz");
    std::fs::File::create(&huge)
        .and_then(|f| f.set_len(2 << 30))
        .expect("sparse file");
    let prefixed = dir.path().join("prefixed.kmz");
    {
        let mut f = std::fs::File::create(&prefixed).expect("create");
        f.set_len(300 << 20).expect("sparse prefix");
        std::io::Seek::seek(&mut f, std::io::SeekFrom::End(0)).expect("seek");
        f.write_all(&small_kmz()).expect("zip");
    }
    let ok = write(dir.path(), "ok.kmz", &small_kmz());
    let out = dir.path().join("out.geojson");
    let out = out.to_str().expect("utf-8");
    for (path, said_) in [(&huge, "over the limit of"), (&prefixed, "at byte 0")] {
        let path = path.to_str().expect("utf-8");
        for args in [
            &["info", path][..],
            &["convert", path],
            &["convert", path, "-o", out],
            &["check", path],
        ] {
            let text = refused(args, None);
            assert!(text.contains(said_), "{args:?}: {text}");
        }
    }
    // A real KMZ still reads, through the same path.
    let out = run_limited(&["info", ok.to_str().expect("utf-8")], None);
    assert!(out.status.success(), "{}", said(&out));
}

/// Runs `geonorm args…` under [`VMEM_KIB`] with `chunk` written to its standard input
/// again and again by a thread until the child closes it, killed if it outlives
/// [`WATCHDOG`].
fn run_fed(args: &[&str], chunk: &'static [u8]) -> Output {
    let mut script = format!("ulimit -v {VMEM_KIB}; exec \"$0\"");
    for i in 1..=args.len() {
        script.push_str(&format!(" \"${i}\""));
    }
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(bin())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    let feeder = std::thread::spawn(move || {
        let block = chunk.repeat((64 * 1024) / chunk.len());
        // Until the child stops reading (a broken pipe).
        while stdin.write_all(&block).is_ok() {}
    });
    let started = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if started.elapsed() > WATCHDOG {
            let _ = child.kill();
            panic!("geonorm {args:?} still running after {WATCHDOG:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("output");
    feeder.join().expect("feeder");
    out
}

/// The `--stream-limit` the endless-stream test runs under: the refusal is the same
/// at the default 1 GiB, but a gigabyte copied three times needs a disk a CI runner
/// may not have (a run failed so, out of space before the limit).
const TEST_STREAM_LIMIT: &str = "8388608";

/// An endless stream on standard input (`yes ' '`) or through a FIFO (`yes '<a>'`)
/// ends with the over-limit message naming the limit in use, in bounded memory: it
/// is copied to a temporary file, not held. The copy stops at the limit: the
/// temporary file never grew past it (the run ends long before a full disk).
#[test]
fn endless_standard_input_or_fifo_is_refused_over_the_limit_in_bounded_memory() {
    let over = format!("over the {TEST_STREAM_LIMIT}-byte limit");
    for (args, chunk) in [
        (
            &[
                "convert",
                "-",
                "--from",
                "geojson",
                "--stream-limit",
                TEST_STREAM_LIMIT,
            ][..],
            &b" \n"[..],
        ),
        (
            &[
                "--stream-limit",
                TEST_STREAM_LIMIT,
                "info",
                "--from",
                "kml",
                "-",
            ],
            b"<a>\n",
        ),
    ] {
        let out = run_fed(args, chunk);
        let text = said(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {text}");
        assert!(text.contains(&over), "{args:?}: {text}");
    }
    #[cfg(unix)]
    {
        let dir = tempfile::tempdir().expect("tempdir");
        let fifo = dir.path().join("endless.kml");
        let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
        assert!(made.success());
        let writer = {
            let fifo = fifo.clone();
            std::thread::spawn(move || {
                let Ok(mut f) = std::fs::OpenOptions::new().write(true).open(fifo) else {
                    return;
                };
                let block = b"<a>\n".repeat(16 * 1024);
                while f.write_all(&block).is_ok() {}
            })
        };
        let path = fifo.to_str().expect("utf-8");
        let out = run_limited(&["check", path, "--stream-limit", TEST_STREAM_LIMIT], None);
        writer.join().expect("writer");
        let text = said(&out);
        assert_eq!(out.status.code(), Some(2), "{text}");
        assert!(text.contains(&over), "{text}");
    }
}

/// `--stream-limit` lowers the limit and never raises it: over 1 GiB is refused by
/// the arguments' check, and a small input under a lowered limit still reads.
#[test]
fn the_stream_limit_is_lowered_never_raised() {
    let out = run_limited(&["info", "-", "--stream-limit", "1073741825"], None);
    assert_eq!(out.status.code(), Some(2), "{}", said(&out));
    assert!(said(&out).contains("--stream-limit"), "{}", said(&out));
    let dir = tempfile::tempdir().expect("tempdir");
    let small = dir.path().join("small.geojson");
    std::fs::write(&small, br#"{"type":"FeatureCollection","features":[]}"#).expect("write");
    let out = run_limited(
        &["info", "-", "--from", "geojson", "--stream-limit", "64"],
        Some(&small),
    );
    assert!(out.status.success(), "{}", said(&out));
    let out = run_limited(
        &["info", "-", "--from", "geojson", "--stream-limit", "16"],
        Some(&small),
    );
    assert_eq!(out.status.code(), Some(2), "{}", said(&out));
    assert!(
        said(&out).contains("over the 16-byte limit"),
        "{}",
        said(&out)
    );
}

/// The input of a send is read whole, but within the same bounds: `/dev/zero` (named or
/// as standard input) and a 2 GB sparse file refused from their first bytes, a FIFO
/// nothing writes to an error after a few seconds; nothing is sent (no server listens
/// at the address given, and the refusals come before any request).
#[cfg(unix)]
#[test]
fn the_input_of_a_send_is_bounded_as_any_other() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sparse = dir.path().join("sparse.geojson");
    std::fs::File::create(&sparse)
        .and_then(|f| f.set_len(2 << 30))
        .expect("sparse file");
    let fifo = dir.path().join("fifo.geojson");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let (sparse, fifo) = (
        sparse.to_str().expect("utf-8"),
        fifo.to_str().expect("utf-8"),
    );
    let server = ["--server", "http://127.0.0.1:9"];
    // Binary data is a finding (exit 1), as in `check` and `convert`; a FIFO nothing
    // writes to an error (exit 2).
    let send = |what: &[&str], stdin: Option<&Path>, code: i32| {
        let mut args: Vec<&str> = what.to_vec();
        args.extend(server);
        let out = run_limited(&args, stdin);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {}", said(&out));
        said(&out)
    };
    for file in ["/dev/zero", sparse] {
        let text = send(&["append", file, "--map", "1"], None, 1);
        assert!(text.contains("binary data"), "{file}: {text}");
    }
    let text = send(
        &["upload", "-", "--visibility", "private"],
        Some(Path::new("/dev/zero")),
        1,
    );
    assert!(text.contains("binary data"), "{text}");
    let text = send(&["append", fifo, "--map", "1"], None, 2);
    assert!(text.contains("no program opened for writing"), "{text}");
}
