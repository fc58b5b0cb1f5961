//! git's attributes (`gitattributes(5)`), read as git's `attr.c` reads
//! them: the built-in `binary` macro, the system and global files,
//! `.gitattributes` in the work tree from the top down to the path's
//! directory, and `$GIT_DIR/info/attributes` over all; later lines win
//! within a file, deeper files over shallower ones; macros (`[attr]name
//! ...`, where git allows them) expand when set.
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = std::env::temp_dir().join(format!("packread-attr-doc-{}", std::process::id()));
//! # std::fs::create_dir_all(dir.join("sub"))?;
//! std::fs::write(dir.join(".gitattributes"), "*.dat binary\n*.c diff=cpp\n")?;
//! std::fs::write(dir.join("sub/.gitattributes"), "raw.dat diff\n")?;
//! use packread::attributes::{Attributes, Sources, State};
//!
//! let mut attrs = Attributes::new(Sources { work_tree: Some(dir.clone()), ..Sources::default() });
//! assert_eq!(attrs.get(b"a.dat", "diff"), State::Unset);
//! assert_eq!(attrs.get(b"sub/raw.dat", "diff"), State::Set);
//! assert_eq!(attrs.get(b"sub/x.c", "diff"), State::Value(b"cpp".to_vec()));
//! assert_eq!(attrs.get(b"README", "diff"), State::Unspecified);
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok(()) }
//! ```

use std::collections::HashMap;
use std::path::PathBuf;

use crate::quote::{path_from_bytes, unquote_c_style};
use crate::wildmatch::{Wild, wildmatch, wildmatch_pathname};

/// An attribute's state for a path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum State {
    /// `attr`: set.
    Set,
    /// `-attr`: unset.
    Unset,
    /// `attr=value`.
    Value(Vec<u8>),
    /// Not mentioned, or reset with `!attr`.
    Unspecified,
}

/// Where attributes are read from (each optional).
#[derive(Clone, Debug, Default)]
pub struct Sources {
    /// The system file (git's `$(prefix)/etc/gitattributes`).
    pub system: Option<PathBuf>,
    /// The global file (`core.attributesFile`, else
    /// `$XDG_CONFIG_HOME/git/attributes`).
    pub global: Option<PathBuf>,
    /// The work tree whose `.gitattributes` files apply (none in a bare
    /// repository).
    pub work_tree: Option<PathBuf>,
    /// `$GIT_DIR/info/attributes`.
    pub info: Option<PathBuf>,
}

impl Sources {
    /// Where git reads a repository's attributes from: `info/attributes`
    /// of its (common) git directory `git_dir`, the `.gitattributes` of
    /// `work_tree` (`None` in a bare repository), and the global file at
    /// its default place (`$XDG_CONFIG_HOME/git/attributes`, else
    /// `$HOME/.config/git/attributes`). A `core.attributesFile` in the
    /// user's configuration and the system file are not read.
    pub fn for_repository(git_dir: &std::path::Path, work_tree: Option<PathBuf>) -> Sources {
        let xdg = std::env::var_os("XDG_CONFIG_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")));
        Sources {
            system: None,
            global: xdg.map(|x| x.join("git").join("attributes")),
            work_tree,
            info: Some(git_dir.join("info").join("attributes")),
        }
    }
}

/// One `name`, `-name`, `!name` or `name=value` of a line.
#[derive(Clone, Debug)]
struct Assignment {
    name: Vec<u8>,
    state: State,
    /// `!name`: reset to unspecified (still ends the search).
    reset: bool,
}

/// A line of a file: a pattern or a macro, and its assignments.
#[derive(Clone, Debug)]
struct Rule {
    target: Target,
    assignments: Vec<Assignment>,
}

#[derive(Clone, Debug)]
enum Target {
    Macro(Vec<u8>),
    Pattern(Pattern),
}

/// A path pattern as git's `parse_path_pattern` reads it.
#[derive(Clone, Debug)]
struct Pattern {
    text: Vec<u8>,
    /// No `/` in it (but a trailing one): matched against base names.
    no_dir: bool,
    /// A trailing `/`: matches directories only (never a file).
    must_be_dir: bool,
}

/// The rules of one file, and the directory its patterns start from
/// (`""` for the top; `None` for files outside the tree).
#[derive(Clone, Debug, Default)]
struct Frame {
    base: Option<Vec<u8>>,
    rules: Vec<Rule>,
}

/// git's attributes for paths of one work tree (see the module).
#[derive(Debug)]
pub struct Attributes {
    sources: Sources,
    /// Built-in, system, global: below the tree's files.
    bottom: Vec<Frame>,
    /// `info/attributes`.
    info: Frame,
    /// The `.gitattributes` of each directory read so far (`""`: the top).
    dirs: HashMap<Vec<u8>, Frame>,
}

/// git's limits: longer lines and larger files are ignored.
const MAX_LINE_LENGTH: usize = 2048;
const MAX_FILE_SIZE: u64 = 100 * 1024 * 1024;

impl Attributes {
    /// Attributes read from `sources` (files are read as they are needed).
    pub fn new(sources: Sources) -> Attributes {
        let mut bottom = vec![parse(b"[attr]binary -diff -merge -text", None, true)];
        for file in [&sources.system, &sources.global].into_iter().flatten() {
            bottom.push(read_file(file, None, true, false));
        }
        let info = sources
            .info
            .as_ref()
            .map(|f| read_file(f, None, true, false))
            .unwrap_or_default();
        Attributes {
            sources,
            bottom,
            info,
            dirs: HashMap::new(),
        }
    }

    /// The state of attribute `name` for `path` (slash-separated, from the
    /// top of the work tree), as `git check-attr` reports it.
    pub fn get(&mut self, path: &[u8], name: &str) -> State {
        let path = path.strip_suffix(b"/").unwrap_or(path);
        let dirs: Vec<Vec<u8>> = std::iter::once(Vec::new())
            .chain(
                path.iter()
                    .enumerate()
                    .filter(|&(_, &b)| b == b'/')
                    .map(|(i, _)| path[..i].to_vec()),
            )
            .collect();
        for d in &dirs {
            if !self.dirs.contains_key(d) {
                let frame = self.read_dir(d);
                self.dirs.insert(d.clone(), frame);
            }
        }
        // Highest precedence first: info, the deepest directory up to the
        // top, then global, system, built-in.
        let mut stack: Vec<&Frame> = vec![&self.info];
        stack.extend(dirs.iter().rev().map(|d| &self.dirs[d]));
        stack.extend(self.bottom.iter().rev());
        let macros = macros(&stack);
        let basename = path.rsplit(|&b| b == b'/').next().unwrap_or(path);
        let mut found: HashMap<&[u8], State> = HashMap::new();
        for frame in &stack {
            for rule in frame.rules.iter().rev() {
                let Target::Pattern(p) = &rule.target else {
                    continue;
                };
                if matches(p, path, basename, frame.base.as_deref().unwrap_or(b"")) {
                    fill(&rule.assignments, &macros, &mut found);
                }
            }
        }
        found.remove(name.as_bytes()).unwrap_or(State::Unspecified)
    }

    fn read_dir(&self, dir: &[u8]) -> Frame {
        let Some(top) = &self.sources.work_tree else {
            return Frame::default();
        };
        let mut path = top.clone();
        if !dir.is_empty() {
            path.push(path_from_bytes(dir.to_vec()));
        }
        path.push(".gitattributes");
        read_file(&path, Some(dir.to_vec()), dir.is_empty(), true)
    }
}

/// Which macro each name stands for: the definition nearest the top of
/// the stack wins.
fn macros<'a>(stack: &[&'a Frame]) -> HashMap<&'a [u8], &'a [Assignment]> {
    let mut out = HashMap::new();
    for frame in stack {
        for rule in frame.rules.iter().rev() {
            if let Target::Macro(name) = &rule.target {
                out.entry(name.as_slice())
                    .or_insert(rule.assignments.as_slice());
            }
        }
    }
    out
}

/// git's `fill_one`: the assignments of a matching line, last first, each
/// where no higher one decided; a macro set expands in place.
fn fill<'a>(
    assignments: &'a [Assignment],
    macros: &HashMap<&'a [u8], &'a [Assignment]>,
    found: &mut HashMap<&'a [u8], State>,
) {
    for a in assignments.iter().rev() {
        if found.contains_key(a.name.as_slice()) {
            continue;
        }
        let state = if a.reset {
            State::Unspecified
        } else {
            a.state.clone()
        };
        let expand = state == State::Set;
        found.insert(a.name.as_slice(), state);
        if expand && let Some(m) = macros.get(a.name.as_slice()) {
            fill(m, macros, found);
        }
    }
}

/// git's `path_matches` for a file at `path` and a pattern from the
/// `.gitattributes` of directory `base`.
fn matches(p: &Pattern, path: &[u8], basename: &[u8], base: &[u8]) -> bool {
    if p.must_be_dir {
        return false;
    }
    if p.no_dir {
        return wildmatch(&p.text, basename) == Wild::Match;
    }
    let pattern = p.text.strip_prefix(b"/").unwrap_or(&p.text);
    let name = if base.is_empty() {
        path
    } else {
        match path.strip_prefix(base) {
            Some([b'/', rest @ ..]) => rest,
            _ => return false,
        }
    };
    wildmatch_pathname(pattern, name)
}

/// A file's rules; nothing for a file that can't be read (missing, or a
/// symbolic link where git refuses to follow one) or is too large.
fn read_file(
    path: &std::path::Path,
    base: Option<Vec<u8>>,
    macros_ok: bool,
    no_follow: bool,
) -> Frame {
    let meta = if no_follow {
        std::fs::symlink_metadata(path)
    } else {
        std::fs::metadata(path)
    };
    let text = match meta {
        Ok(m) if m.is_file() && m.len() < MAX_FILE_SIZE => std::fs::read(path).unwrap_or_default(),
        _ => Vec::new(),
    };
    let text = text.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&text);
    let mut frame = parse(text, base, macros_ok);
    frame.rules.shrink_to_fit();
    frame
}

/// The rules of a file's text (git's `parse_attr_line` on each line).
fn parse(text: &[u8], base: Option<Vec<u8>>, macros_ok: bool) -> Frame {
    let rules = text
        .split(|&b| b == b'\n')
        .filter_map(|line| parse_line(line.strip_suffix(b"\r").unwrap_or(line), macros_ok))
        .collect();
    Frame { base, rules }
}

fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

fn parse_line(line: &[u8], macros_ok: bool) -> Option<Rule> {
    let start = line.iter().position(|&b| !is_blank(b))?;
    let rest = &line[start..];
    if rest[0] == b'#' || line.len() >= MAX_LINE_LENGTH {
        return None;
    }
    // A quoted pattern is unquoted (taken as it is if the quoting is bad).
    let (name, states) = unquote_c_style(rest).unwrap_or_else(|| {
        let end = rest.iter().position(|&b| is_blank(b)).unwrap_or(rest.len());
        (rest[..end].to_vec(), &rest[end..])
    });
    let target = if name.len() > 6 && name.starts_with(b"[attr]") {
        if !macros_ok {
            return None;
        }
        let macro_name = &name[6..];
        if !valid_name(macro_name) {
            return None;
        }
        Target::Macro(macro_name.to_vec())
    } else {
        if name.first() == Some(&b'!') {
            // Negative patterns are ignored in attributes.
            return None;
        }
        let must_be_dir = name.last() == Some(&b'/');
        let text = if must_be_dir {
            &name[..name.len() - 1]
        } else {
            &name[..]
        };
        Target::Pattern(Pattern {
            no_dir: !text.contains(&b'/'),
            must_be_dir,
            text: text.to_vec(),
        })
    };
    Some(Rule {
        target,
        assignments: parse_states(states)?,
    })
}

fn skip_blank(s: &[u8]) -> &[u8] {
    let at = s.iter().position(|&b| !is_blank(b)).unwrap_or(s.len());
    &s[at..]
}

/// git's `attr_name_valid`: `[-._0-9a-zA-Z]`, not starting with `-`,
/// not `builtin_...`.
fn valid_name(name: &[u8]) -> bool {
    !name.is_empty()
        && name[0] != b'-'
        && !name.starts_with(b"builtin_")
        && name
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
}

/// The assignments of a line; `None` (the line ignored) if one names no
/// valid attribute.
fn parse_states(s: &[u8]) -> Option<Vec<Assignment>> {
    let mut out = Vec::new();
    let mut rest = skip_blank(s);
    while !rest.is_empty() {
        let end = rest.iter().position(|&b| is_blank(b)).unwrap_or(rest.len());
        let word = &rest[..end];
        rest = skip_blank(&rest[end..]);
        let (word, state, reset) = match word[0] {
            b'-' => (&word[1..], State::Unset, false),
            b'!' => (&word[1..], State::Unspecified, true),
            _ => match word.iter().position(|&b| b == b'=') {
                Some(eq) => (&word[..eq], State::Value(word[eq + 1..].to_vec()), false),
                None => (word, State::Set, false),
            },
        };
        if !valid_name(word) {
            return None;
        }
        out.push(Assignment {
            name: word.to_vec(),
            state,
            reset,
        });
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(text: &str) -> Attributes {
        let mut a = Attributes::new(Sources::default());
        a.dirs
            .insert(Vec::new(), parse(text.as_bytes(), Some(Vec::new()), true));
        a
    }

    #[test]
    fn later_lines_and_macros() {
        let mut a = frame("*.bin binary\n*.bin diff\n[attr]mine -diff\n*.m mine\n!x diff\n");
        assert_eq!(a.get(b"a.bin", "diff"), State::Set);
        assert_eq!(a.get(b"a.bin", "text"), State::Unset);
        assert_eq!(a.get(b"d/a.m", "diff"), State::Unset);
        assert_eq!(a.get(b"x", "diff"), State::Unspecified);
    }

    #[test]
    fn anchored_and_directory_patterns() {
        let mut a = frame("/top.c diff=cpp\ndir/ -diff\nsub/*.c -diff\n\"sp ace\" diff=x\n");
        assert_eq!(a.get(b"top.c", "diff"), State::Value(b"cpp".to_vec()));
        assert_eq!(a.get(b"d/top.c", "diff"), State::Unspecified);
        assert_eq!(a.get(b"dir/f", "diff"), State::Unspecified);
        assert_eq!(a.get(b"sub/a.c", "diff"), State::Unset);
        assert_eq!(a.get(b"sub/d/a.c", "diff"), State::Unspecified);
        assert_eq!(a.get(b"sp ace", "diff"), State::Value(b"x".to_vec()));
    }
}

/// What git's `convert_to_working_tree` would do to a file's bytes, from
/// the repository's `config` and a path's attributes: `git cat-file
/// --filters` shows a blob as git would write it to the work tree.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = packread::doctest::Scratch::new("checkout")?;
/// # dir.git(&["init", "-q"])?;
/// use packread::attributes::{Attributes, Checkout, Sources};
///
/// std::fs::write(dir.join(".gitattributes"), "*.sh text eol=lf\n*.png binary\n")?;
/// let git_dir = dir.join(".git");
/// let mut attributes = Attributes::new(Sources::for_repository(&git_dir, Some(dir.to_path_buf())));
/// let checkout = Checkout::read(&git_dir);
/// assert_eq!(checkout.conversion(&mut attributes, b"run.sh").as_deref(), Some("text"));
/// assert_eq!(checkout.conversion(&mut attributes, b"logo.png"), None);
/// assert_eq!(checkout.conversion(&mut attributes, b"README"), None);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, Default)]
pub struct Checkout {
    /// `core.autocrlf` is `true`: text files get CRLF line ends.
    autocrlf: bool,
}

impl Checkout {
    /// The settings of the repository whose (common) git directory is
    /// `git_dir`, from its `config` file (git's defaults without one; the
    /// user's and the system's configuration are not read).
    pub fn read(git_dir: &std::path::Path) -> Checkout {
        let text = std::fs::read_to_string(git_dir.join("config")).unwrap_or_default();
        let autocrlf = crate::git_dir::config_value(&text, "core", "autocrlf")
            .is_some_and(|v| crate::git_dir::config::parse_bool(&v) == Some(true));
        Checkout { autocrlf }
    }

    /// Why git would change the bytes of the file at `path` as it writes
    /// it to the work tree: the attribute or setting that says so (`ident`,
    /// `filter=<driver>`, `working-tree-encoding`, `text`, `eol`,
    /// `core.autocrlf`); `None` where git writes the bytes as stored. A
    /// `filter` counts whether or not a driver is configured for it (the
    /// user's configuration, where drivers usually are, is not read).
    pub fn conversion(&self, attributes: &mut Attributes, path: &[u8]) -> Option<String> {
        if attributes.get(path, "ident") == State::Set {
            return Some("ident".into());
        }
        if let State::Value(driver) = attributes.get(path, "filter") {
            return Some(format!("filter={}", String::from_utf8_lossy(&driver)));
        }
        if let State::Value(_) = attributes.get(path, "working-tree-encoding") {
            return Some("working-tree-encoding".into());
        }
        let text = match attributes.get(path, "text") {
            State::Unspecified => attributes.get(path, "crlf"),
            text => text,
        };
        match text {
            // Binary: line ends are left as they are.
            State::Unset => None,
            State::Set | State::Value(_) => Some("text".into()),
            State::Unspecified => match attributes.get(path, "eol") {
                State::Unspecified if self.autocrlf => Some("core.autocrlf".into()),
                State::Unspecified => None,
                _ => Some("eol".into()),
            },
        }
    }
}
