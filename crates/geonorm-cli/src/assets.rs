//! A KMZ's (or a KML's folder's) icons and photos written out by `convert --assets DIR`.

use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

use geonorm::assets::Plan;
use geonorm::safe_write::{plain_name, FilesIn};

use crate::input::Input;

/// `--assets DIR` and `--overwrite`, as `convert` and `fix` take them.
#[derive(clap::Args)]
pub struct AssetArgs {
    /// Write the icons and photos of a KMZ (or beside a KML) into DIR, and point the
    /// converted features at them by paths relative to the output. Only inside DIR:
    /// a name that is not a plain relative one (`..`, absolute, hidden like `.git`)
    /// gets one made from its hash, and no link below DIR is followed. An existing
    /// file with other bytes is refused (see --overwrite); the input never replaced.
    #[arg(long = "assets", value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// With --assets: replace existing files in DIR that have other bytes (by a
    /// rename; never through a link, never the input).
    #[arg(long, requires = "dir")]
    pub overwrite: bool,
}

/// Where an asset named `source` in the archive (or folder) goes under the folder:
/// the same relative path when it is a plain one ([`plain_name`]), else a name made
/// from its hash, so that no name in a file from elsewhere can write outside the
/// folder or a hidden file (`.git/config`, `.bashrc`) in it.
fn target(source: &str, hash: &str, file_type: &str) -> String {
    if plain_name(source) {
        source.to_string()
    } else {
        format!("{}.{file_type}", &hash[..hash.len().min(16)])
    }
}

/// `to` as a path relative to the folder `from`, with `/` separators (both made
/// absolute first); the absolute path when they share no root.
fn relative(from: &Path, to: &Path) -> String {
    let abs = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let (from, to) = (abs(from), abs(to));
    let from: Vec<Component> = from.components().collect();
    let to_parts: Vec<Component> = to.components().collect();
    let common = from
        .iter()
        .zip(&to_parts)
        .take_while(|(a, b)| a == b)
        .count();
    if common == 0 {
        return to.display().to_string();
    }
    let mut parts: Vec<String> = vec!["..".into(); from.len() - common];
    parts.extend(
        to_parts[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    parts.join("/")
}

/// What a failed `--assets` said, kept for the message as it was: the library hands
/// the error on as an I/O error.
pub type Failed = Arc<Mutex<Option<anyhow::Error>>>;

/// `--assets DIR` for [`geonorm::ConvertOptions::place_files`]: the icons and photos the
/// library planned for the document read from `input` are written into DIR
/// ([`write_files`]), and the features pointed at them. A document whose source holds
/// no files of its own is refused. What failed is also left in the answer's second
/// part, to be said as it was.
pub fn placer(
    args: &AssetArgs,
    input: &Input,
    output: Option<&Path>,
    notes: bool,
) -> (geonorm::assets::PlaceFiles, Failed) {
    let failed = Failed::default();
    let args = AssetArgs {
        dir: args.dir.clone(),
        overwrite: args.overwrite,
    };
    let (name, input) = (
        input.name().to_string(),
        input.path().map(Path::to_path_buf),
    );
    let output = output.map(Path::to_path_buf);
    let said = Arc::clone(&failed);
    let place = move |plan: Option<&Plan>| {
        let Some(plan) = plan else {
            let e = anyhow::anyhow!(
                "--assets: {name} has no icons or photos of its own to write (only a KMZ, or a KML file on disk, refers to files beside it)"
            );
            return Err(fail(&said, e));
        };
        write_files(plan, &args, input.as_deref(), output.as_deref(), notes)
            .map_err(|e| fail(&said, e))
    };
    (geonorm::assets::PlaceFiles::new(place), failed)
}

/// `e` kept in `failed`, and as the I/O error that stops the conversion.
fn fail(failed: &Failed, e: anyhow::Error) -> std::io::Error {
    let message = e.to_string();
    if let Ok(mut slot) = failed.lock() {
        *slot = Some(e);
    }
    std::io::Error::other(message)
}

/// Writes every asset of `plan` into `args.dir` ([`FilesIn`]: new files only, unless
/// `--overwrite`; never `input`) and answers, for each, its path relative to
/// `output`'s folder (the current folder when the output is standard output), for
/// [`geonorm::assets::apply_paths`]. With `notes`, says on standard error which
/// assets were given a hash name.
pub fn write_files(
    plan: &Plan,
    args: &AssetArgs,
    input: Option<&Path>,
    output: Option<&Path>,
    notes: bool,
) -> anyhow::Result<Vec<Option<String>>> {
    let Some(dir) = &args.dir else {
        return Ok(Vec::new());
    };
    let base = output
        .and_then(Path::parent)
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut files = FilesIn::open(dir, args.overwrite)
        .map_err(|e| anyhow::anyhow!("--assets: cannot create {e}"))?;
    if let Some(input) = input {
        files.protect(input);
    }
    let mut paths = Vec::with_capacity(plan.assets.len());
    for a in &plan.assets {
        let rel = target(&a.source, &a.hash, a.file_type);
        files.write(&rel, &a.bytes).map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => anyhow::anyhow!(
                "--assets: {e} with other bytes than {}: not replaced (pass --overwrite to replace it)",
                crate::term::printable(&a.source)
            ),
            _ => anyhow::anyhow!("--assets: cannot write {e}"),
        })?;
        if notes && rel != a.source {
            eprintln!(
                "note: --assets: {} written as {rel} (hidden, or not a plain relative name)",
                crate::term::printable(&a.source)
            );
        }
        paths.push(Some(relative(base, &dir.join(&rel))));
    }
    Ok(paths)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_relative_to_the_output_folder() {
        assert_eq!(
            relative(Path::new("/a/b"), Path::new("/a/b/c/x.png")),
            "c/x.png"
        );
        assert_eq!(
            relative(Path::new("/a/b"), Path::new("/a/d/x.png")),
            "../d/x.png"
        );
        assert_eq!(
            relative(Path::new("."), Path::new("out/x.png")),
            "out/x.png"
        );
    }

    #[test]
    fn names_from_elsewhere_stay_in_the_folder() {
        assert_eq!(target("files/a.png", "ab", "png"), "files/a.png");
        assert_eq!(target("../../etc/x", "abcdef", "png"), "abcdef.png");
        assert_eq!(target("/etc/x", "abcdef", "jpg"), "abcdef.jpg");
        assert_eq!(target("./a/./b.gif", "ab", "gif"), "ab.gif");
        assert_eq!(target(".git/config", "ab", "png"), "ab.png");
        assert_eq!(target("x/.bashrc", "ab", "png"), "ab.png");
    }
}
