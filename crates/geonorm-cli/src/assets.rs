//! A KMZ's (or a KML's folder's) icons and photos written out by `convert --assets DIR`.

use std::io::Write;
use std::path::{Component, Path, PathBuf};

use geonorm::assets::Plan;

use crate::output::AtomicFile;

/// Where an asset named `source` in the archive (or folder) goes under `dir`: the same
/// relative path when it is a plain one, else a name made from its hash, so that no
/// name in a file from elsewhere can write outside `dir`.
fn target(dir: &Path, source: &str, hash: &str, file_type: &str) -> PathBuf {
    let rel = Path::new(source);
    let plain = !source.is_empty() && rel.components().all(|c| matches!(c, Component::Normal(_)));
    if plain {
        dir.join(rel)
    } else {
        dir.join(format!("{}.{file_type}", &hash[..hash.len().min(16)]))
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

/// Writes every asset of `plan` under `dir` (each to a temporary file renamed into
/// place) and answers, for each, its path relative to `output`'s folder (the current
/// folder when the output is standard output), for [`geonorm::assets::apply_paths`].
pub fn write_files(
    plan: &Plan,
    dir: &Path,
    output: Option<&Path>,
) -> anyhow::Result<Vec<Option<String>>> {
    let base = output
        .and_then(Path::parent)
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut paths = Vec::with_capacity(plan.assets.len());
    for a in &plan.assets {
        let path = target(dir, &a.source, &a.hash, a.file_type);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", parent.display()))?;
        }
        let mut out = AtomicFile::create(&path)?;
        out.write_all(&a.bytes)?;
        out.commit()?;
        paths.push(Some(relative(base, &path)));
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
        let dir = Path::new("/out");
        assert_eq!(
            target(dir, "files/a.png", "ab", "png"),
            Path::new("/out/files/a.png")
        );
        assert_eq!(
            target(dir, "../../etc/x", "abcdef", "png"),
            Path::new("/out/abcdef.png")
        );
        assert_eq!(
            target(dir, "/etc/x", "abcdef", "jpg"),
            Path::new("/out/abcdef.jpg")
        );
        assert_eq!(
            target(dir, "./a/./b.gif", "ab", "gif"),
            Path::new("/out/ab.gif")
        );
    }
}
