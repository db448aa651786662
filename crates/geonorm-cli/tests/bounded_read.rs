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
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn");
    let started = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        if started.elapsed() > WATCHDOG {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!(
                "geonorm {args:?} still running after {WATCHDOG:?}; stderr: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
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
        central.extend_from_slice(&[0; 8]);
        central.extend_from_slice(&0u32.to_le_bytes());
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
            "<Placemark><name>P{i}</name><Style><IconStyle><Icon><href>files/{i}.png</href></Icon></IconStyle></Style><Point><coordinates>{i},1</coordinates></Point></Placemark>"
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

