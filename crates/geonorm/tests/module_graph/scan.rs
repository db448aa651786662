//! The graph of references between the core crate's modules (`use` lines and
//! `crate::`/`super::` paths in code, each mapped to the module that defines what it
//! names), as `module_graph` (no circle) and `reader_layer` (no reader imports
//! `validate`) read it.
//!
//! A module is a file (`src/gpx/read.rs` is `gpx::read`, a `mod.rs` its folder, `lib.rs`
//! the crate root). What tests use is not counted (`#[cfg(test)]` items and modules,
//! `tests.rs`, `*_tests.rs`), nor a parent's `mod` lines and its `pub use` of its
//! children's items: re-exporting a child is not depending on it. A name reached
//! through a re-export (`crate::Code`) counts as a reference to the module that defines
//! it (`diag`), so that the crate root, which re-exports most of the model, is not a hub
//! every module seems to go through.
//!
//! The scan is plain: comments, strings and characters are skipped, the rest is split
//! into words and punctuation, and paths are read from them. It knows no macros and
//! resolves no names but modules and `use` imports, which is what this crate needs.
//!
//! Each test file that includes this uses part of it.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

/// Longest a source file may be, in lines (test files aside).
pub const MAX_LINES: usize = 800;

/// A word or a piece of punctuation of the source, with the line it starts on.
#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    Ident(String),
    /// `::`
    Sep,
    Punct(char),
}

#[derive(Debug, Clone)]
pub struct Token {
    tok: Tok,
    line: usize,
}

/// Splits Rust source into words and punctuation, leaving out comments, string and
/// character literals, and numbers (none of them can name a module).
pub fn lex(src: &str) -> Vec<Token> {
    let c: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut line = 1;
    let mut i = 0;
    let at = |i: usize| c.get(i).copied().unwrap_or('\0');
    while i < c.len() {
        let ch = c[i];
        if ch == '\n' {
            line += 1;
            i += 1;
        } else if ch.is_whitespace() {
            i += 1;
        } else if ch == '/' && at(i + 1) == '/' {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if ch == '/' && at(i + 1) == '*' {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    if c[i] == '\n' {
                        line += 1;
                    }
                    i += 1;
                }
            }
        } else if ch == '"' {
            i = skip_string(&c, i, &mut line);
        } else if ch == '\'' {
            if at(i + 1) == '\\' {
                // An escaped character: up to its closing quote.
                i += 2;
                while i < c.len() && c[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if at(i + 2) == '\'' {
                i += 3;
            } else {
                // A lifetime or a label: its name is read as a word next.
                i += 1;
            }
        } else if ch.is_ascii_digit() {
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                i += 1;
            }
        } else if ch.is_alphabetic() || ch == '_' {
            let start = i;
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                i += 1;
            }
            let word: String = c[start..i].iter().collect();
            let next = at(i);
            if (word == "r" || word == "br") && (next == '"' || next == '#') {
                let mut hashes = 0;
                while at(i) == '#' {
                    hashes += 1;
                    i += 1;
                }
                if at(i) != '"' {
                    // A raw identifier (`r#type`): read on as a word.
                    continue;
                }
                i += 1;
                loop {
                    if i >= c.len() {
                        break;
                    }
                    if c[i] == '"' && (1..=hashes).all(|k| at(i + k) == '#') {
                        i += 1 + hashes;
                        break;
                    }
                    if c[i] == '\n' {
                        line += 1;
                    }
                    i += 1;
                }
            } else if word == "b" && next == '"' {
                i = skip_string(&c, i, &mut line);
            } else if word == "b" && next == '\'' {
                i += 1;
                while i < c.len() && c[i] != '\'' {
                    i += if c[i] == '\\' { 2 } else { 1 };
                }
                i += 1;
            } else {
                out.push(Token {
                    tok: Tok::Ident(word),
                    line,
                });
            }
        } else if ch == ':' && at(i + 1) == ':' {
            out.push(Token {
                tok: Tok::Sep,
                line,
            });
            i += 2;
        } else {
            out.push(Token {
                tok: Tok::Punct(ch),
                line,
            });
            i += 1;
        }
    }
    out
}

/// The index after the string literal whose opening quote is at `i`.
pub fn skip_string(c: &[char], mut i: usize, line: &mut usize) -> usize {
    i += 1;
    while i < c.len() && c[i] != '"' {
        if c[i] == '\n' {
            *line += 1;
        }
        i += if c[i] == '\\' { 2 } else { 1 };
    }
    i + 1
}

/// A module's path from the crate root (empty for the root).
pub type ModPath = Vec<String>;

pub fn show(m: &[String]) -> String {
    if m.is_empty() {
        "crate".into()
    } else {
        m.join("::")
    }
}

/// One path a file refers to: absolute (from the crate root), where it is written, and
/// whether it is a `pub use` (a re-export).
#[derive(Debug, Clone)]
pub struct Reference {
    path: Vec<String>,
    line: usize,
    reexport: bool,
}

/// What the scan of one file finds.
#[derive(Debug, Default)]
pub struct Scanned {
    references: Vec<Reference>,
    /// Names the module's top-level `use` lines bring in, to the absolute path of what
    /// they name (how `crate::Code` is followed to `diag::Code`).
    imports: HashMap<String, Vec<String>>,
    /// Child modules declared under `#[cfg(test)]`.
    test_children: Vec<String>,
}

/// Reads a use tree (`a::b::{c, d::e as f, self, *}`) at `t[*i]`, its paths appended
/// to `prefix`, each leaf as (path, name it binds, glob).
pub fn use_tree(t: &[Token], i: &mut usize, prefix: Vec<String>, out: &mut Vec<UseLeaf>) {
    let mut path = prefix;
    let line = t.get(*i).map_or(0, |x| x.line);
    loop {
        match t.get(*i).map(|x| &x.tok) {
            Some(Tok::Sep) => *i += 1,
            Some(Tok::Punct('*')) => {
                *i += 1;
                out.push(UseLeaf {
                    path,
                    name: None,
                    line,
                });
                return;
            }
            Some(Tok::Punct('{')) => {
                *i += 1;
                loop {
                    match t.get(*i).map(|x| &x.tok) {
                        Some(Tok::Punct('}')) | None => {
                            *i += 1;
                            return;
                        }
                        Some(Tok::Punct(',')) => *i += 1,
                        _ => use_tree(t, i, path.clone(), out),
                    }
                }
            }
            Some(Tok::Ident(w))
                if w == "self"
                    && *i > 0
                    && matches!(t[*i - 1].tok, Tok::Punct('{') | Tok::Punct(',')) =>
            {
                // `self` in a group: the prefix itself.
                *i += 1;
                let name = rename(t, i).or_else(|| path.last().cloned());
                out.push(UseLeaf { path, name, line });
                return;
            }
            Some(Tok::Ident(w)) => {
                path.push(w.clone());
                *i += 1;
                if t.get(*i).map(|x| &x.tok) != Some(&Tok::Sep) {
                    let name = rename(t, i).or_else(|| path.last().cloned());
                    out.push(UseLeaf { path, name, line });
                    return;
                }
            }
            _ => return,
        }
    }
}

/// The name after `as`, if the leaf at `t[*i]` is renamed.
pub fn rename(t: &[Token], i: &mut usize) -> Option<String> {
    if t.get(*i).map(|x| &x.tok) == Some(&Tok::Ident("as".into())) {
        if let Some(Tok::Ident(n)) = t.get(*i + 1).map(|x| &x.tok) {
            *i += 2;
            return Some(n.clone());
        }
    }
    None
}

/// One path of a `use` line; `name` is `None` for a glob.
#[derive(Debug)]
pub struct UseLeaf {
    path: Vec<String>,
    name: Option<String>,
    line: usize,
}

/// The absolute path of `path` as written in module `at` (`crate::`, `super::`,
/// `self::` or a child module first), or `None` when it names another crate.
pub fn absolute(
    path: &[String],
    at: &[String],
    children: &BTreeSet<ModPath>,
) -> Option<Vec<String>> {
    let mut base: Vec<String> = at.to_vec();
    let mut rest = path;
    match rest.first().map(String::as_str) {
        Some("crate") => {
            base.clear();
            rest = &rest[1..];
        }
        Some("self") => rest = &rest[1..],
        Some("super") => {
            while rest.first().map(String::as_str) == Some("super") {
                base.pop()?;
                rest = &rest[1..];
            }
        }
        Some(first) => {
            let mut child = base.clone();
            child.push(first.to_string());
            if !children.contains(&child) {
                return None;
            }
        }
        None => return None,
    }
    base.extend(rest.iter().cloned());
    Some(base)
}

/// The index after the bracket that closes the one at `t[i]`.
pub fn after_group(t: &[Token], mut i: usize) -> usize {
    let mut depth = 0i32;
    while i < t.len() {
        match t[i].tok {
            Tok::Punct('{') | Tok::Punct('(') | Tok::Punct('[') => depth += 1,
            Tok::Punct('}') | Tok::Punct(')') | Tok::Punct(']') => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    i
}

/// The end (exclusive) of the item starting at `t[i]`: after its `;` or its closing
/// brace, or before the brace that closes what holds it.
pub fn item_end(t: &[Token], mut i: usize) -> usize {
    let mut depth = 0i32;
    while i < t.len() {
        match t[i].tok {
            Tok::Punct('{') | Tok::Punct('(') | Tok::Punct('[') => depth += 1,
            Tok::Punct('}') | Tok::Punct(')') | Tok::Punct(']') => {
                depth -= 1;
                if depth < 0 {
                    return i;
                }
                if depth == 0 && t[i].tok == Tok::Punct('}') {
                    return i + 1;
                }
            }
            Tok::Punct(';') if depth == 0 => return i + 1,
            _ => {}
        }
        i += 1;
    }
    i
}

/// Every module path a file of module `module` refers to. `modules` is every module
/// of the crate (to tell a child module from another crate's name).
pub fn scan(src: &str, module: &[String], modules: &BTreeSet<ModPath>) -> Scanned {
    let t = lex(src);
    let mut found = Scanned::default();
    // Inline modules (`mod imp { … }`) the scan is in, with the brace depth inside each.
    let mut inline: Vec<(String, i32)> = Vec::new();
    let mut depth = 0i32;
    let mut i = 0;
    while i < t.len() {
        let here: Vec<String> = module
            .iter()
            .cloned()
            .chain(inline.iter().map(|(n, _)| n.clone()))
            .collect();
        match &t[i].tok {
            Tok::Punct('#') if t.get(i + 1).map(|x| &x.tok) == Some(&Tok::Punct('[')) => {
                let end = after_group(&t, i + 1);
                let attr: Vec<&Tok> = t[i + 2..end.saturating_sub(1)]
                    .iter()
                    .map(|x| &x.tok)
                    .collect();
                let is = |w: &str| attr.contains(&&Tok::Ident(w.into()));
                let cfg_test =
                    attr.first() == Some(&&Tok::Ident("cfg".into())) && is("test") && !is("not");
                if cfg_test {
                    // What follows is for tests only: skipped, with its own attributes.
                    let mut j = end;
                    while t.get(j).map(|x| &x.tok) == Some(&Tok::Punct('#')) {
                        j = after_group(&t, j + 1);
                    }
                    if let (Some(Tok::Ident(m)), Some(Tok::Ident(name))) =
                        (t.get(j).map(|x| &x.tok), t.get(j + 1).map(|x| &x.tok))
                    {
                        if m == "mod" && inline.is_empty() {
                            found.test_children.push(name.clone());
                        }
                    }
                    i = item_end(&t, j);
                } else {
                    i = end;
                }
                continue;
            }
            Tok::Punct('{') => depth += 1,
            Tok::Punct('}') => {
                depth -= 1;
                if inline.last().is_some_and(|(_, d)| depth < *d) {
                    inline.pop();
                }
            }
            Tok::Ident(w) if w == "mod" => {
                if let Some(Tok::Ident(name)) = t.get(i + 1).map(|x| &x.tok) {
                    if t.get(i + 2).map(|x| &x.tok) == Some(&Tok::Punct('{')) {
                        inline.push((name.clone(), depth + 1));
                        depth += 1;
                        i += 3;
                        continue;
                    }
                }
                // `mod x;` declares a child: not a dependency on it.
                i = item_end(&t, i);
                continue;
            }
            Tok::Ident(w) if w == "use" => {
                let reexport = t[..i]
                    .last()
                    .is_some_and(|x| x.tok == Tok::Ident("pub".into()))
                    || (t[..i].last().is_some_and(|x| x.tok == Tok::Punct(')'))
                        && t[..i]
                            .iter()
                            .rev()
                            .skip(1)
                            .take(4)
                            .any(|x| x.tok == Tok::Ident("pub".into())));
                let mut leaves = Vec::new();
                let mut j = i + 1;
                use_tree(&t, &mut j, Vec::new(), &mut leaves);
                for leaf in leaves {
                    let Some(path) = absolute(&leaf.path, &here, modules) else {
                        continue;
                    };
                    if let (Some(name), true) = (&leaf.name, inline.is_empty() && depth == 0) {
                        found.imports.insert(name.clone(), path.clone());
                    }
                    found.references.push(Reference {
                        path,
                        line: leaf.line,
                        reexport,
                    });
                }
                i = item_end(&t, i);
                continue;
            }
            Tok::Ident(first) if t.get(i + 1).map(|x| &x.tok) == Some(&Tok::Sep) => {
                let starts = i == 0 || !matches!(t[i - 1].tok, Tok::Sep | Tok::Punct('$'));
                if starts {
                    let mut path = vec![first.clone()];
                    let mut j = i + 1;
                    while t.get(j).map(|x| &x.tok) == Some(&Tok::Sep) {
                        match t.get(j + 1).map(|x| &x.tok) {
                            Some(Tok::Ident(w)) => path.push(w.clone()),
                            _ => break,
                        }
                        j += 2;
                    }
                    // A path starting with a name a top-level `use` brought in is
                    // followed through it (`dom::position` after `use crate::xml::dom`).
                    let resolved = match found.imports.get(first.as_str()) {
                        Some(imported) if inline.is_empty() => {
                            Some(imported.iter().chain(&path[1..]).cloned().collect())
                        }
                        _ => absolute(&path, &here, modules),
                    };
                    if let Some(path) = resolved {
                        found.references.push(Reference {
                            path,
                            line: t[i].line,
                            reexport: false,
                        });
                    }
                    i = j;
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
    found
}

/// The module that defines what `path` names: child modules are gone into, imported
/// names followed to what they import, and the rest is an item of the module reached.
pub fn defining_module(
    path: &[String],
    modules: &BTreeSet<ModPath>,
    imports: &HashMap<ModPath, HashMap<String, Vec<String>>>,
    hops: usize,
) -> ModPath {
    let mut at: ModPath = Vec::new();
    for (k, seg) in path.iter().enumerate() {
        let mut child = at.clone();
        child.push(seg.clone());
        if modules.contains(&child) {
            at = child;
            continue;
        }
        if let Some(target) = imports.get(&at).and_then(|m| m.get(seg)) {
            if hops < 16 && target.as_slice() != &path[..=k] {
                let whole: Vec<String> = target.iter().chain(&path[k + 1..]).cloned().collect();
                return defining_module(&whole, modules, imports, hops + 1);
            }
        }
        break;
    }
    at
}

/// `src/gpx/read.rs` → `gpx::read`; `mod.rs` → its folder; `lib.rs` → the root.
pub fn module_of(src: &Path, file: &Path) -> ModPath {
    let rel = file.strip_prefix(src).unwrap_or(file).with_extension("");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
        parts.pop();
    }
    parts
}

pub fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a folder entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// A file that holds only tests, by its name.
pub fn is_test_file(src: &Path, file: &Path) -> bool {
    let rel = file.strip_prefix(src).unwrap_or(file);
    let name = rel
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    name == "tests.rs" || name.ends_with("_tests.rs") || rel.iter().any(|p| p == "tests")
}

/// The graph: each edge (from, to) with the first place that makes it.
pub struct Graph {
    pub modules: BTreeSet<ModPath>,
    pub edges: BTreeMap<(ModPath, ModPath), String>,
}

/// The graph of the modules of the files `files` (path shown, module, source).
pub fn graph(files: &[(String, ModPath, String)]) -> Graph {
    let all: BTreeSet<ModPath> = files.iter().map(|(_, m, _)| m.clone()).collect();
    let scanned: Vec<Scanned> = files.iter().map(|(_, m, s)| scan(s, m, &all)).collect();
    // Modules for tests only: declared under `#[cfg(test)]`, or named for tests.
    let mut tests: BTreeSet<ModPath> = BTreeSet::new();
    for ((shown, m, _), found) in files.iter().zip(&scanned) {
        for child in &found.test_children {
            let mut c = m.clone();
            c.push(child.clone());
            tests.insert(c);
        }
        if is_test_file(Path::new(""), Path::new(shown)) {
            tests.insert(m.clone());
        }
    }
    // A module inside a test module is for tests too.
    let modules: BTreeSet<ModPath> = all
        .iter()
        .filter(|m| !tests.iter().any(|t| m.starts_with(t)))
        .cloned()
        .collect();
    let imports: HashMap<ModPath, HashMap<String, Vec<String>>> = files
        .iter()
        .zip(&scanned)
        .map(|((_, m, _), found)| (m.clone(), found.imports.clone()))
        .collect();
    let mut edges = BTreeMap::new();
    for ((shown, from, src), found) in files.iter().zip(&scanned) {
        if !modules.contains(from) {
            continue;
        }
        let lines: Vec<&str> = src.lines().collect();
        for r in &found.references {
            let to = defining_module(&r.path, &all, &imports, 0);
            if &to == from || !modules.contains(&to) || (r.reexport && to.starts_with(from)) {
                continue;
            }
            let text = lines.get(r.line - 1).map_or("", |l| l.trim());
            edges
                .entry((from.clone(), to))
                .or_insert_with(|| format!("{shown}:{}: {text}", r.line));
        }
    }
    Graph { modules, edges }
}

/// The groups of more than one module that reach each other (Tarjan's strongly
/// connected components).
pub fn circles(g: &Graph) -> Vec<Vec<ModPath>> {
    struct State<'a> {
        next: BTreeMap<&'a ModPath, Vec<&'a ModPath>>,
        index: HashMap<&'a ModPath, usize>,
        low: HashMap<&'a ModPath, usize>,
        stack: Vec<&'a ModPath>,
        on_stack: BTreeSet<&'a ModPath>,
        found: Vec<Vec<ModPath>>,
    }
    fn visit<'a>(v: &'a ModPath, s: &mut State<'a>) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in s.next.get(v).cloned().unwrap_or_default() {
            if !s.index.contains_key(w) {
                visit(w, s);
                let lw = s.low[w];
                let lv = s.low.get_mut(v).expect("visited");
                *lv = (*lv).min(lw);
            } else if s.on_stack.contains(w) {
                let iw = s.index[w];
                let lv = s.low.get_mut(v).expect("visited");
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let mut group = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                group.push(w.clone());
                if w == v {
                    break;
                }
            }
            if group.len() > 1 {
                group.sort();
                s.found.push(group);
            }
        }
    }
    let mut s = State {
        next: BTreeMap::new(),
        index: HashMap::new(),
        low: HashMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for (from, to) in g.edges.keys() {
        s.next.entry(from).or_default().push(to);
    }
    for m in &g.modules {
        if !s.index.contains_key(m) {
            visit(m, &mut s);
        }
    }
    s.found
}

/// Each circle, its modules and every edge between them with the line that makes it.
pub fn describe(g: &Graph, found: &[Vec<ModPath>]) -> String {
    let mut text = String::new();
    for group in found {
        let names: Vec<String> = group.iter().map(|m| show(m)).collect();
        let _ = writeln!(text, "circle: {}", names.join(", "));
        for ((from, to), at) in &g.edges {
            if group.contains(from) && group.contains(to) {
                let _ = writeln!(text, "  {} -> {}   ({at})", show(from), show(to));
            }
        }
    }
    text
}

pub fn crate_src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

pub fn crate_graph() -> Graph {
    let src = crate_src();
    let mut paths = Vec::new();
    rust_files(&src, &mut paths);
    let files: Vec<(String, ModPath, String)> = paths
        .iter()
        .map(|p| {
            let shown = p
                .strip_prefix(&src)
                .unwrap_or(p)
                .to_string_lossy()
                .into_owned();
            let text = fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (shown, module_of(&src, p), text)
        })
        .collect();
    graph(&files)
}

/// A file of a made-up crate for [`graph`]: its name as shown, its module's path and
/// its text (the tests that a planted fault is caught).
pub fn made_up_file(shown: &str, module: &[&str], src: &str) -> (String, ModPath, String) {
    (
        shown.to_string(),
        module.iter().map(|s| s.to_string()).collect(),
        src.to_string(),
    )
}
