//! The paths `check` is given, as ripgrep takes them: `-` is standard input, a file
//! named is checked whatever its name, a folder is walked (the `ignore` crate:
//! `.gitignore`, `.ignore`, hidden files skipped unless `--hidden` / `--no-ignore`) for
//! map files, and a path that cannot be read is said while the others are checked.

use std::collections::HashSet;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// Extensions taken in a walked folder; `.json` only when its start looks like
/// GeoJSON ([`geonorm::Format::looks_like_geojson`]): a `package.json` is no map.
const EXTENSIONS: [&str; 5] = ["kml", "kmz", "gpx", "geojson", "json"];

/// How many first bytes of a walked `.json` file are looked at.
const SNIFF_BYTES: u64 = 16 * 1024;

/// The paths `check` is given, and how the folders among them are walked.
#[derive(clap::Args)]
pub struct WalkArgs {
    /// Files or directories; `-` reads standard input. A directory is walked for .kml,
    /// .kmz, .gpx and .geojson files, and .json files whose start looks like GeoJSON,
    /// as ripgrep walks: hidden files and folders and what .gitignore or .ignore files
    /// exclude are skipped, links are not followed, and only regular files are
    /// checked. A file named here is checked whatever it is.
    #[arg(required_unless_present_any = ["explain", "list_codes"])]
    pub paths: Vec<PathBuf>,
    /// Follow symbolic links in a walked directory: never out of it, each file once.
    #[arg(long)]
    pub follow: bool,
    /// Walk hidden files and folders too (names starting with a dot).
    #[arg(long)]
    pub hidden: bool,
    /// Do not skip what .gitignore, .ignore and git's exclude files exclude.
    #[arg(long)]
    pub no_ignore: bool,
    /// The name standard input (`-`) is given in the report (its extension also tells
    /// the format when the content does not) [default: <stdin>].
    #[arg(long, value_name = "NAME")]
    pub stdin_name: Option<String>,
}

/// One thing to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Standard input (`-`).
    Stdin,
    /// A file, named or found in a walk.
    Path(PathBuf),
}

/// What the paths given come to: the targets in order, and a message for each path
/// that could not be read (the run goes on without it, and exits 2).
#[derive(Default)]
pub struct Collected {
    pub targets: Vec<Target>,
    pub errors: Vec<String>,
}

/// The files to check: `-` as standard input (once), named files as they are,
/// directories walked for map files ([`walk`]). A path that cannot be read is an
/// error message in the answer, not the end of the run.
pub fn collect(args: &WalkArgs) -> Collected {
    let mut out = Collected::default();
    for p in &args.paths {
        if p == Path::new("-") {
            if !out.targets.contains(&Target::Stdin) {
                out.targets.push(Target::Stdin);
            }
            continue;
        }
        match std::fs::metadata(p) {
            Err(e) => out.errors.push(format!("cannot open {}: {e}", p.display())),
            Ok(meta) if meta.is_dir() => match walk(p, args, &mut out.errors) {
                Ok(found) => out.targets.extend(found.into_iter().map(Target::Path)),
                Err(e) => out.errors.push(e.to_string()),
            },
            Ok(_) => out.targets.push(Target::Path(p.clone())),
        }
    }
    out
}

/// Whether a walked `.json` file at `path` looks like GeoJSON from its start.
fn json_is_map(path: &Path) -> bool {
    let mut head = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(SNIFF_BYTES).read_to_end(&mut head))
        .is_ok_and(|_| geonorm::Format::looks_like_geojson(&head))
}

/// Whether a walk's error is a link loop, met only when following links: the files
/// in the loop were found by their first path, and a link that leads back to itself
/// (`a -> b -> a`, ELOOP) names no file.
fn is_loop(e: &ignore::Error) -> bool {
    match e {
        ignore::Error::Loop { .. } => true,
        ignore::Error::Io(io) => is_eloop(io),
        ignore::Error::WithPath { err, .. }
        | ignore::Error::WithDepth { err, .. }
        | ignore::Error::WithLineNumber { err, .. } => is_loop(err),
        _ => false,
    }
}

/// The map files under `root`, sorted: regular files only (a FIFO, socket or device is
/// never opened: it could block the walk or never end); links followed only with
/// `follow`, and then only to what lies under `root` once both are made canonical (a
/// link to `/`, `~/.aws` or `/proc/self/environ` is not read), each file once by device
/// and inode (a link loop, or two links to one file).
/// `--hidden` walks hidden files and folders, `--no-ignore` takes what ignore files
/// exclude.
/// An entry that cannot be read (a folder without permission, a dangling link
/// followed) is said in `errors` and the walk goes on; only a root that cannot be
/// read at all is an error.
fn walk(root: &Path, args: &WalkArgs, errors: &mut Vec<String>) -> anyhow::Result<Vec<PathBuf>> {
    let follow = args.follow;
    let cannot = |e: &dyn std::fmt::Display| anyhow::anyhow!("cannot read {}: {e}", root.display());
    let inside = root.canonicalize().map_err(|e| cannot(&e))?;
    let mut builder = ignore::WalkBuilder::new(root);
    // .gitignore rules apply outside a git repository too (a folder of exports).
    builder
        .follow_links(follow)
        .require_git(false)
        .hidden(!args.hidden);
    if args.no_ignore {
        builder
            .ignore(false)
            .git_ignore(false)
            .git_global(false)
            .git_exclude(false)
            .parents(false);
    }
    if follow {
        builder.filter_entry(move |e| {
            !e.path_is_symlink()
                || e.path()
                    .canonicalize()
                    .is_ok_and(|c| c.starts_with(&inside))
        });
    }
    let mut seen = HashSet::new();
    let mut found = Vec::new();
    for entry in builder.build() {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) if is_loop(&e) => continue,
            // A broken .gitignore line is no reason to stop; an unreadable folder is.
            Err(e) if e.io_error().is_none() => continue,
            Err(e) => {
                errors.push(cannot(&e).to_string());
                continue;
            }
        };
        let ext = entry
            .path()
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        let is_map = ext.as_deref().is_some_and(|e| EXTENSIONS.contains(&e));
        // Without `follow`, a link's type is "link": skipped.
        if !is_map || !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        if ext.as_deref() == Some("json") && !json_is_map(entry.path()) {
            continue;
        }
        if follow {
            let id = match file_id(entry.path()) {
                Ok(id) => id,
                // A link loop met here (a link changed during the walk): no file.
                Err(e) if is_eloop(&e) => continue,
                Err(e) => {
                    errors.push(cannot(&e).to_string());
                    continue;
                }
            };
            if !seen.insert(id) {
                continue;
            }
        }
        found.push(entry.into_path());
    }
    found.sort();
    Ok(found)
}

/// Whether an I/O error is "too many levels of symbolic links" (ELOOP), itself or
/// one it wraps (the walk's errors wrap the system's).
fn is_eloop(e: &io::Error) -> bool {
    #[cfg(unix)]
    {
        let eloop =
            |e: &io::Error| e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error());
        if eloop(e) {
            return true;
        }
        let mut next: Option<&(dyn std::error::Error + 'static)> = e.get_ref().map(|i| i as _);
        while let Some(err) = next {
            if err.downcast_ref::<io::Error>().is_some_and(eloop) {
                return true;
            }
            next = err.source();
        }
        false
    }
    #[cfg(not(unix))]
    {
        let _ = e;
        false
    }
}

/// What tells one file from another whatever its path: device and inode on Unix,
/// the canonical path elsewhere.
fn file_id(path: &Path) -> io::Result<(u64, u64, Option<PathBuf>)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(path)?;
        Ok((m.dev(), m.ino(), None))
    }
    #[cfg(not(unix))]
    {
        Ok((0, 0, Some(path.canonicalize()?)))
    }
}
