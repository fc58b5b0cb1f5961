//! The module tree has no import cycles: at every level of the tree, the
//! modules that share a parent depend on each other in one direction only
//! (what is inside `pack/` may use `object/`, never the other way round;
//! `pack::decode` may use `pack::entry`, never the other way round), for the
//! library and for the CLI alike.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A module's path from the crate root (`["pack", "verify", "walk"]`).
type ModPath = Vec<String>;

/// Every `.rs` file under `dir`, with its module path (`mod.rs` is its
/// directory's module; `lib.rs` and `main.rs` the root).
fn modules(dir: &Path, prefix: &ModPath, skip: &str, out: &mut Vec<(ModPath, PathBuf)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_str().unwrap().to_owned();
        if path.is_dir() {
            if name == skip {
                continue;
            }
            let mut sub = prefix.clone();
            sub.push(name);
            modules(&path, &sub, skip, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let mut m = prefix.clone();
            if !["mod", "lib", "main"].contains(&name.as_str()) {
                m.push(name);
            }
            out.push((m, path));
        }
    }
}

/// Expands a use tree (`a::{b, c::{d, e}}`) into its paths.
fn expand(tree: &str) -> Vec<String> {
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        return vec![tree.split(" as ").next().unwrap().trim().to_owned()];
    };
    let head = &tree[..open];
    let inner = &tree[open + 1..tree.rfind('}').unwrap()];
    let (mut depth, mut start, mut parts) = (0, 0, Vec::new());
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|p| !p.trim().is_empty())
        .flat_map(expand)
        .map(|p| {
            if p == "self" {
                head.trim_end_matches("::").to_owned()
            } else {
                format!("{head}{p}")
            }
        })
        .collect()
}

/// The paths a file names through `crate::` and `super::`, resolved to
/// module paths from the crate root (the longest prefix that is a module).
fn references(
    text: &str,
    me: &ModPath,
    is_dir_module: bool,
    known: &BTreeSet<ModPath>,
) -> Vec<ModPath> {
    // Comments and doc comments don't count.
    let code: String = text
        .lines()
        .map(|l| l.split("//").next().unwrap())
        .collect::<Vec<_>>()
        .join("\n");
    let mut paths = Vec::new();
    // `use` statements, whose trees may name several modules.
    let mut rest = code.as_str();
    while let Some(at) = rest.find("use ") {
        // A statement: at the start of its line, or after a visibility
        // (not "use" inside a string or a word).
        let line_start = rest[..at].rfind('\n').map_or(0, |i| i + 1);
        let before = rest[line_start..at].trim();
        let is_word = before.is_empty() || before.starts_with("pub");
        let end = rest[at..].find(';').map_or(rest.len(), |e| at + e);
        if is_word {
            paths.extend(expand(&rest[at + 4..end]));
        }
        rest = &rest[end.min(rest.len())..];
        if rest.is_empty() {
            break;
        }
        rest = &rest[1..];
    }
    // Paths written inline (`crate::pack::decode::read_object(...)`).
    for (i, _) in code
        .match_indices("crate::")
        .chain(code.match_indices("super::"))
    {
        let tail: String = code[i..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        paths.push(tail);
    }
    let mut out = Vec::new();
    for p in paths {
        let segs: Vec<&str> = p.split("::").filter(|s| !s.is_empty()).collect();
        let mut base: ModPath = match segs.first() {
            Some(&"crate") => Vec::new(),
            Some(&"super") => {
                // `super` of a `mod.rs` file is its directory's parent.
                let mut b = me.clone();
                b.pop();
                b
            }
            Some(&"self") if is_dir_module => me.clone(),
            _ => continue,
        };
        let mut supers = segs.iter().skip(1).take_while(|s| **s == "super").count();
        while supers > 0 {
            base.pop();
            supers -= 1;
        }
        let rest = segs.iter().skip(1).skip_while(|s| **s == "super");
        let mut best = base.clone();
        for s in rest {
            base.push((*s).to_owned());
            if known.contains(&base) {
                best.clone_from(&base);
            } else {
                break;
            }
        }
        out.push(best);
    }
    out
}

/// Depth-first search from `n`, noting each back edge's cycle.
fn visit(
    n: &ModPath,
    edges: &BTreeMap<ModPath, BTreeSet<ModPath>>,
    state: &mut BTreeMap<ModPath, u8>,
    stack: &mut Vec<ModPath>,
    cycles: &mut Vec<String>,
) {
    state.insert(n.clone(), 1);
    stack.push(n.clone());
    for m in edges.get(n).into_iter().flatten() {
        match state.get(m) {
            Some(1) => {
                let from = stack.iter().position(|s| s == m).unwrap();
                let names: Vec<String> = stack[from..].iter().map(|p| p.join("::")).collect();
                cycles.push(format!("{} -> {}", names.join(" -> "), m.join("::")));
            }
            Some(_) => {}
            None => visit(m, edges, state, stack, cycles),
        }
    }
    stack.pop();
    state.insert(n.clone(), 2);
}

/// Cycles among siblings: for every module with children, an edge A -> B
/// between two of its children when anything inside A names anything inside
/// B. Returns each cycle found, as module paths. The directory `skip` is
/// left out (the library's `bin/`, a crate of its own).
fn sibling_cycles(src: &Path, skip: &str) -> Vec<String> {
    let mut files = Vec::new();
    modules(src, &Vec::new(), skip, &mut files);
    let known: BTreeSet<ModPath> = files.iter().map(|(m, _)| m.clone()).collect();
    let mut edges: BTreeMap<ModPath, BTreeSet<ModPath>> = BTreeMap::new();
    for (me, path) in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let is_dir_module = path.file_name().is_some_and(|n| n == "mod.rs");
        for target in references(&text, me, is_dir_module, &known) {
            // The two children of their deepest common ancestor.
            let common = me.iter().zip(&target).take_while(|(a, b)| a == b).count();
            if common < me.len() && common < target.len() {
                let a = me[..=common].to_vec();
                let b = target[..=common].to_vec();
                edges.entry(a).or_default().insert(b);
            }
        }
    }
    let mut cycles = Vec::new();
    let mut state: BTreeMap<ModPath, u8> = BTreeMap::new();
    for n in edges.keys() {
        if !state.contains_key(n) {
            visit(n, &edges, &mut state, &mut Vec::new(), &mut cycles);
        }
    }
    cycles
}

#[test]
fn the_library_has_no_import_cycles() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let cycles = sibling_cycles(&src, "bin");
    assert!(cycles.is_empty(), "import cycles: {cycles:#?}");
}

#[test]
fn smmap_has_no_import_cycles() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../smmap/src");
    let cycles = sibling_cycles(&src, "");
    assert!(cycles.is_empty(), "import cycles: {cycles:#?}");
}

#[test]
fn the_cli_has_no_import_cycles() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/bin/packread");
    let cycles = sibling_cycles(&src, "");
    // `main.rs` is the root: its `Exit` and `Global` serve every command,
    // which is no cycle among the commands themselves.
    assert!(cycles.is_empty(), "import cycles: {cycles:#?}");
}

#[test]
fn the_check_finds_a_cycle() {
    // Two siblings naming each other, through `crate::` and through `super::`.
    let dir = std::env::temp_dir().join(format!("packread-layout-cycle-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("a")).unwrap();
    std::fs::write(dir.join("lib.rs"), "mod a;\n").unwrap();
    std::fs::write(dir.join("a/mod.rs"), "mod x;\nmod y;\n").unwrap();
    std::fs::write(dir.join("a/x.rs"), "use crate::a::y::{Y, self};\n").unwrap();
    std::fs::write(
        dir.join("a/y.rs"),
        "// use crate::a::x;\nfn f() { super::x::g() }\n",
    )
    .unwrap();
    let cycles = sibling_cycles(&dir, "");
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(cycles, ["a::x -> a::y -> a::x"]);
}
