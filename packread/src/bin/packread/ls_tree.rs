//! `packread ls-tree`: git's listing of a tree (`-r`, `-t`, `-d`, `-l`,
//! `-z`, `--name-only`, `--name-status`, `--object-only`, `--format`,
//! `--abbrev`, `--full-tree`, `--full-name`, and paths as git's literal
//! pathspecs), byte for byte.

use std::io::{self, BufWriter, Write};

use packread::object::commit::{Commit, Tag};
use packread::object::{ObjectKind, tree};
use packread::{Location, ObjectId, Parsed, Reader, revision};

use crate::context::Context;
use crate::loose_replay::LooseFile;
use crate::names::{MINIMUM_ABBREV, Resolved, quote_c_style, resolve};
use crate::{Exit, Global};

const USAGE: &str = "usage: packread ls-tree [<options>] <tree-ish> [<path>...]

    -d                    only show trees
    -r                    recurse into subtrees
    -t                    show trees when recursing
    -z                    terminate entries with NUL byte
    -l, --long            include object size
    --name-only           list only filenames
    --name-status         list only filenames
    --object-only         list only objects
    --full-name           use full path names
    --full-tree           list entire tree; not just current directory (implies --full-name)
    --format <format>     format to use for the output
    --abbrev[=<n>]        use <n> digits to display object names";

/// A directory's mode, as git prints it.
const TREE_MODE: u32 = 0o040_000;

/// What each entry shows: git's command modes, one at most.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
enum Shown {
    #[default]
    Default,
    Long,
    NameOnly,
    NameStatus,
    ObjectOnly,
}

impl Shown {
    /// The option as git names it in its complaint.
    fn option(self) -> &'static str {
        match self {
            Shown::Default => "",
            Shown::Long => "-l",
            Shown::NameOnly => "--name-only",
            Shown::NameStatus => "--name-status",
            Shown::ObjectOnly => "--object-only",
        }
    }
}

/// One piece of a `--format`.
enum Piece {
    Literal(Vec<u8>),
    Mode,
    Type,
    Name,
    Size { padded: bool },
    Path,
}

/// The listing options, each a flag of git's.
#[derive(Default)]
#[allow(clippy::struct_excessive_bools)]
struct Options {
    trees_only: bool,
    recursive: bool,
    show_trees: bool,
    nul: bool,
    shown: Shown,
    full_tree: bool,
    full_name: bool,
    /// `--format`: its pieces, or git's complaint about it (made when the
    /// first entry is shown, as git makes it).
    format: Option<Result<Vec<Piece>, String>>,
    /// `--abbrev`: the minimum digits of ids (0: git's automatic length);
    /// `None`: whole ids.
    abbrev: Option<usize>,
    /// Where we stand in the work tree (`dir/sub/`), for relative names.
    prefix: Vec<u8>,
}

impl Options {
    /// A command mode; git refuses a second, naming both.
    fn set_shown(&mut self, shown: Shown) -> Result<(), Exit> {
        if self.shown != Shown::Default && self.shown != shown {
            return Err(Exit::UsageLine(format!(
                "error: options '{}' and '{}' cannot be used together",
                shown.option(),
                self.shown.option()
            )));
        }
        self.shown = shown;
        Ok(())
    }
}

/// Parses a `--format` as git's `ls-tree` expands it: `%%`, `%n`, `%xNN`
/// and the `%(...)` placeholders; the error is git's message.
fn parse_format(format: &str) -> Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut rest = format.as_bytes();
    while let Some(at) = memchr::memchr(b'%', rest) {
        pieces.push(Piece::Literal(rest[..at].to_vec()));
        rest = &rest[at + 1..];
        if let Some(after) = rest.strip_prefix(b"%") {
            pieces.push(Piece::Literal(b"%".to_vec()));
            rest = after;
            continue;
        }
        if let Some(after) = rest.strip_prefix(b"n") {
            pieces.push(Piece::Literal(b"\n".to_vec()));
            rest = after;
            continue;
        }
        if rest.len() >= 3
            && rest[0] == b'x'
            && let Ok(byte) =
                u8::from_str_radix(std::str::from_utf8(&rest[1..3]).unwrap_or("-"), 16)
        {
            pieces.push(Piece::Literal(vec![byte]));
            rest = &rest[3..];
            continue;
        }
        let shown = || String::from_utf8_lossy(rest).into_owned();
        if rest.first() != Some(&b'(') {
            return Err(format!(
                "bad ls-tree format: element '{}' does not start with '('",
                shown()
            ));
        }
        let Some(end) = memchr::memchr(b')', &rest[1..]).map(|i| i + 2) else {
            return Err(format!(
                "bad ls-tree format: element '{}' does not end in ')'",
                shown()
            ));
        };
        let piece = match &rest[..end] {
            b"(objectmode)" => Piece::Mode,
            b"(objecttype)" => Piece::Type,
            b"(objectsize:padded)" => Piece::Size { padded: true },
            b"(objectsize)" => Piece::Size { padded: false },
            b"(objectname)" => Piece::Name,
            b"(path)" => Piece::Path,
            other => {
                return Err(format!(
                    "bad ls-tree format: %{}",
                    String::from_utf8_lossy(other)
                ));
            }
        };
        pieces.push(piece);
        rest = &rest[end..];
    }
    pieces.push(Piece::Literal(rest.to_vec()));
    Ok(pieces)
}

/// Parses `ls-tree`'s options as git's `parse_options` does: the options
/// and the positional arguments (the tree-ish, then paths).
fn parse_args(args: &[String]) -> Result<(Options, Vec<&str>), Exit> {
    let mut o = Options::default();
    let mut positional = Vec::new();
    let mut only_positional = false;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        if only_positional || !arg.starts_with('-') || arg == "-" {
            positional.push(arg.as_str());
            continue;
        }
        match arg.as_str() {
            "--" => only_positional = true,
            "-h" => return Err(Exit::Help(USAGE)),
            "--long" => o.set_shown(Shown::Long)?,
            "--name-only" => o.set_shown(Shown::NameOnly)?,
            "--name-status" => o.set_shown(Shown::NameStatus)?,
            "--object-only" => o.set_shown(Shown::ObjectOnly)?,
            "--full-tree" => o.full_tree = true,
            "--no-full-tree" => o.full_tree = false,
            "--full-name" => o.full_name = true,
            "--no-full-name" => o.full_name = false,
            "--abbrev" => o.abbrev = Some(0),
            "--no-abbrev" => o.abbrev = None,
            "--format" => match args.next() {
                Some(f) => o.format = Some(parse_format(f)),
                None => {
                    return Err(Exit::UsageLine(
                        "error: option `format' requires a value".into(),
                    ));
                }
            },
            _ if arg.starts_with("--format=") => {
                o.format = Some(parse_format(&arg["--format=".len()..]));
            }
            _ if arg.starts_with("--abbrev=") => {
                let n: usize = arg["--abbrev=".len()..].parse().map_err(|_| {
                    Exit::UsageLine("error: option `abbrev' expects a numerical value".into())
                })?;
                // 0 is whole ids; anything else at least git's minimum.
                o.abbrev = (n != 0).then(|| n.max(MINIMUM_ABBREV));
            }
            _ if arg.starts_with("--") => return Err(crate::unknown_option(arg, USAGE)),
            // Bundled short options, as git's parser takes them (`-rt`).
            _ => {
                for c in arg[1..].chars() {
                    match c {
                        'd' => o.trees_only = true,
                        'r' => o.recursive = true,
                        't' => o.show_trees = true,
                        'z' => o.nul = true,
                        'l' => o.set_shown(Shown::Long)?,
                        _ => return Err(crate::unknown_option(&format!("-{c}"), USAGE)),
                    }
                }
            }
        }
    }
    Ok((o, positional))
}

pub fn run(global: &Global, args: &[String]) -> Result<i32, Exit> {
    let (mut o, positional) = parse_args(args)?;
    if o.format.is_some() && o.shown != Shown::Default {
        return Err(Exit::Usage(
            "fatal: --format can't be combined with other format-altering options".into(),
            USAGE,
        ));
    }
    let Some((&name, paths)) = positional.split_first() else {
        return Err(Exit::Usage(String::new(), USAGE));
    };
    // Paths are relative to the current directory within the work tree,
    // and so is what is shown (unless --full-name); --full-tree forgets
    // where we are.
    let setup = global.setup();
    let prefix = if o.full_tree {
        Vec::new()
    } else {
        setup.prefix()
    };
    o.full_name |= o.full_tree;
    let mut specs = Vec::new();
    for p in paths {
        let mut joined = String::from_utf8_lossy(&prefix).into_owned();
        joined.push_str(p);
        specs.push(normalize_spec(&joined).ok_or_else(|| {
            Exit::Fatal(format!(
                "{p}: '{p}' is outside repository at '{}'",
                setup.work_tree_top().display()
            ))
        })?);
    }
    if specs.is_empty() && !prefix.is_empty() {
        specs.push(prefix.clone());
    }
    o.prefix = prefix;
    // "-d -r should imply -t, but -d by itself should not have to" (git).
    o.show_trees |= o.trees_only && o.recursive;
    let cx = &global.open()?;
    cx.refuse_replace_refs()?;
    let odb = &cx.odb;
    let mut reader = odb.reader();
    let id = match resolve(cx, &mut reader, name)? {
        Resolved::Id(id) => id,
        Resolved::NoSuchPath(msg) => return Err(Exit::Fatal(msg)),
        Resolved::Invalid | Resolved::Ambiguous => {
            return Err(Exit::Fatal(format!("Not a valid object name {name}")));
        }
    };
    let peeled = peel_to_tree(cx, &mut reader, id);
    // Packs git can't use that its lookups reached.
    cx.report_warnings(reader.take_refresh_warnings());
    let peeled = match peeled {
        Ok(Peeled::Tree(tree)) => Some(tree),
        Ok(Peeled::HashMismatch) => return Err(Exit::Fatal("not a tree object".into())),
        Ok(Peeled::Elsewhere) => None,
        Err(e) => {
            let loc = reader.locate(&id)?;
            // A loose object the reader refused: git's steps on it.
            if let Some(Location::Loose { path }) = &loc {
                let parsed = LooseFile::open(cx, id, path)
                    .parse_object()
                    .map_err(|f| f.exit(String::new))?;
                match parsed {
                    None | Some((ObjectKind::Blob, _)) => {
                        return Err(Exit::Fatal("not a tree object".into()));
                    }
                    Some((ObjectKind::Tree, tree)) => return print(&mut reader, &tree, &o, &specs),
                    Some(_) => {}
                }
            }
            // A damaged packed tree: git's lines, then it is no tree to git.
            let told = loc.and_then(|loc| crate::damage::packed(cx, &mut reader, &id, &loc, &e));
            let Some((lines, fatal)) = told else {
                return Err(e.into());
            };
            for line in lines {
                eprintln!("{line}");
            }
            // git checks a blob's id by streaming it (naming the pack).
            let blob = reader.header(&id).is_ok_and(|h| h.kind == ObjectKind::Blob);
            return Err(Exit::Fatal(if blob {
                fatal
            } else {
                "not a tree object".into()
            }));
        }
    };
    let Some(tree) = peeled else {
        explain_not_a_tree(&mut reader, &id)?;
        // Packs git can't use, met on the way (git looks the object up
        // twice, as packread's two reads above did).
        cx.report_warnings(reader.take_refresh_warnings());
        return Err(Exit::Fatal("not a tree object".into()));
    };
    print(&mut reader, &tree, &o, &specs)
}

/// Where git's `parse_tree_indirect` ends.
enum Peeled {
    /// At a tree: its contents.
    Tree(Vec<u8>),
    /// At an object that hashes to another id (git's line printed).
    HashMismatch,
    /// At something else, or nothing.
    Elsewhere,
}

/// git's `parse_tree_indirect` from `id`: each object on the way parsed,
/// its hash checked (`Reader::parse_object`), tags followed and commits to
/// their trees (a commit parsed where git loads the commit-graph).
fn peel_to_tree(
    cx: &Context,
    reader: &mut Reader,
    id: ObjectId,
) -> Result<Peeled, packread::Error> {
    let hash = reader.odb().hash_kind();
    let mut at = id;
    for _ in 0..64 {
        let object = match reader.parse_object(&at)? {
            Parsed::Object(object) => object,
            Parsed::HashMismatch => {
                eprintln!("error: hash mismatch {at}");
                return Ok(Peeled::HashMismatch);
            }
            Parsed::Missing => return Ok(Peeled::Elsewhere),
        };
        at = match object.kind {
            ObjectKind::Tree => return Ok(Peeled::Tree(object.data)),
            ObjectKind::Commit => match Commit::parse(&object.data, hash) {
                Ok(commit) => {
                    cx.load_graph();
                    commit.tree
                }
                Err(_) => return Ok(Peeled::Elsewhere),
            },
            ObjectKind::Tag => match Tag::parse(&object.data, hash) {
                Ok(tag) => tag.object,
                Err(_) => return Ok(Peeled::Elsewhere),
            },
            ObjectKind::Blob => return Ok(Peeled::Elsewhere),
        };
    }
    Ok(Peeled::Elsewhere)
}

/// Lists `tree` on stdout.
fn print(reader: &mut Reader, tree: &[u8], o: &Options, specs: &[Vec<u8>]) -> Result<i32, Exit> {
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let listed = list(reader, tree, o, specs, &mut out);
    out.flush()?;
    listed.map(|()| 0)
}

/// git's extra line when a commit's tree line names something else: it
/// had taken the object for a tree (`object <id> is a tree, not a blob`).
fn explain_not_a_tree(reader: &mut Reader, id: &ObjectId) -> Result<(), Exit> {
    let hash = reader.odb().hash_kind();
    let mut id = *id;
    for _ in 0..64 {
        // Only tags and commits lead on (a blob is not read).
        match reader.try_header(&id)? {
            Some(h) if matches!(h.kind, ObjectKind::Tag | ObjectKind::Commit) => {}
            _ => return Ok(()),
        }
        let Some(object) = reader.try_read(&id)? else {
            return Ok(());
        };
        match object.kind {
            ObjectKind::Tag => match Tag::parse(&object.data, hash) {
                Ok(tag) => id = tag.object,
                Err(_) => return Ok(()),
            },
            ObjectKind::Commit => {
                if let Ok(commit) = Commit::parse(&object.data, hash)
                    && let Some(header) = reader.try_header(&commit.tree)?
                    && header.kind != ObjectKind::Tree
                {
                    eprintln!(
                        "error: object {} is a tree, not a {}",
                        commit.tree, header.kind
                    );
                }
                return Ok(());
            }
            _ => return Ok(()),
        }
    }
    Ok(())
}

/// `path` as seen from the directory `prefix` (git's `relative_path`):
/// `./` for that directory itself, `../` to climb.
fn relative(path: &[u8], prefix: &[u8]) -> Vec<u8> {
    if prefix.is_empty() {
        return path.to_vec();
    }
    let mut as_dir = path.to_vec();
    as_dir.push(b'/');
    if as_dir == prefix {
        return b"./".to_vec();
    }
    if let Some(rest) = path.strip_prefix(prefix) {
        return rest.to_vec();
    }
    let mut common = 0;
    for (i, (a, b)) in as_dir.iter().zip(prefix).enumerate() {
        if a != b {
            break;
        }
        if *a == b'/' {
            common = i + 1;
        }
    }
    let ups = memchr::memchr_iter(b'/', &prefix[common..]).count();
    let mut out = b"../".repeat(ups);
    out.extend_from_slice(&path[common.min(path.len())..]);
    out
}

/// One entry, owned, with its full path.
struct Entry {
    mode: u32,
    path: Vec<u8>,
    id: ObjectId,
}

/// The entries of the tree whose bytes are `data`, under `prefix`.
fn entries(reader: &Reader, data: &[u8], prefix: &[u8]) -> Result<Vec<Entry>, Exit> {
    let mut v = Vec::new();
    for entry in tree::entries(data, reader.odb().hash_kind()) {
        // git's words, which don't name the tree.
        let entry = entry.map_err(|e| Exit::Fatal(crate::git_words::tree_error(e).to_owned()))?;
        let mut path = prefix.to_vec();
        path.extend_from_slice(entry.name);
        v.push(Entry {
            mode: entry.canonical_mode(),
            path,
            id: entry.id,
        });
    }
    Ok(v)
}

/// Lists the tree depth first, in tree order, as git's `read_tree` walks it
/// (a stack, not recursion, however deep the trees nest).
fn list(
    reader: &mut Reader,
    data: &[u8],
    o: &Options,
    specs: &[Vec<u8>],
    out: &mut impl Write,
) -> Result<(), Exit> {
    let mut stack = vec![entries(reader, data, b"")?.into_iter()];
    let mut buf = Vec::new();
    while let Some(level) = stack.last_mut() {
        let Some(entry) = level.next() else {
            stack.pop();
            continue;
        };
        let is_tree = entry.mode == TREE_MODE;
        let kind = match entry.mode {
            TREE_MODE => ObjectKind::Tree,
            0o160_000 => ObjectKind::Commit,
            _ => ObjectKind::Blob,
        };
        let (matched, leads) = interest(&entry.path, is_tree, specs);
        if !matched && !leads {
            continue;
        }
        // git's show_tree_common: blobs hidden by -d; trees shown unless
        // recursed into without -t/-d; gitlinks always shown. Without -r,
        // a tree is entered when a path given goes below it.
        let recurse = is_tree && (o.recursive || leads);
        let show = match kind {
            ObjectKind::Blob => !o.trees_only,
            ObjectKind::Tree => !recurse || o.show_trees,
            _ => true,
        };
        if show {
            show_entry(reader, &entry, kind, o, out)?;
        }
        if recurse {
            let kind = reader.read_into(&entry.id, &mut buf)?;
            if kind != ObjectKind::Tree {
                return Err(Exit::Fatal(format!(
                    "object {} is a {kind}, not a tree",
                    entry.id
                )));
            }
            let mut prefix = entry.path.clone();
            prefix.push(b'/');
            stack.push(entries(reader, &buf, &prefix)?.into_iter());
        }
    }
    Ok(())
}

/// A path given on the command line as git's literal pathspec holds it:
/// relative to the top, `.` and `..` resolved (`.` is the whole tree);
/// `None` if it climbs above the top.
fn normalize_spec(path: &str) -> Option<Vec<u8>> {
    let mut spec = revision::normalize_path(path)?.into_bytes();
    let dir_like = path.ends_with('/')
        || path == "."
        || path == ".."
        || path.ends_with("/.")
        || path.ends_with("/..");
    if dir_like && !spec.is_empty() {
        spec.push(b'/');
    }
    Some(spec)
}

/// Whether the entry at `path` is one the paths given name or lie under
/// (`matched`), and whether a path given goes below it (`leads`: git enters
/// the tree even without `-r`). Without paths, everything matches.
fn interest(path: &[u8], is_tree: bool, specs: &[Vec<u8>]) -> (bool, bool) {
    if specs.is_empty() {
        return (true, false);
    }
    let (mut matched, mut leads) = (false, false);
    for spec in specs {
        let bare = spec.strip_suffix(b"/").unwrap_or(spec);
        let dir_only = bare.len() != spec.len();
        if bare.is_empty()
            || (path == bare && (is_tree || !dir_only))
            || (path.starts_with(bare) && path.get(bare.len()) == Some(&b'/'))
        {
            matched = true;
        }
        if is_tree && spec.starts_with(path) && spec.get(path.len()) == Some(&b'/') {
            leads = true;
        }
    }
    (matched, leads)
}

fn show_entry(
    reader: &mut Reader,
    entry: &Entry,
    kind: ObjectKind,
    o: &Options,
    out: &mut impl Write,
) -> Result<(), Exit> {
    let shown = if o.full_name {
        entry.path.clone()
    } else {
        relative(&entry.path, &o.prefix)
    };
    let name = match o.abbrev {
        Some(min) => reader.abbreviate(&entry.id, min)?,
        None => entry.id.to_hex(),
    };
    let end: &[u8] = if o.nul { b"\0" } else { b"\n" };
    if let Some(format) = &o.format {
        let pieces = format.as_ref().map_err(|e| Exit::Fatal(e.clone()))?;
        // The line is made whole before it is written, as git expands it.
        let mut line = Vec::new();
        for piece in pieces {
            match piece {
                Piece::Literal(bytes) => line.extend_from_slice(bytes),
                Piece::Mode => write!(line, "{:06o}", entry.mode)?,
                Piece::Type => write!(line, "{kind}")?,
                Piece::Name => line.extend_from_slice(name.as_bytes()),
                Piece::Size { padded } => {
                    let size = size_of(reader, entry, kind)?.ok_or_else(|| {
                        Exit::Fatal(format!("could not get object info about '{}'", entry.id))
                    })?;
                    if *padded {
                        write!(line, "{size:>7}")?;
                    } else {
                        write!(line, "{size}")?;
                    }
                }
                // Quoted even with -z, as git quotes it.
                Piece::Path => line.extend_from_slice(&quote_c_style(&shown)),
            }
        }
        line.extend_from_slice(end);
        out.write_all(&line)?;
        return Ok(());
    }
    let path = if o.nul { shown } else { quote_c_style(&shown) };
    match o.shown {
        Shown::ObjectOnly => {
            out.write_all(name.as_bytes())?;
            out.write_all(end)?;
            return Ok(());
        }
        Shown::NameOnly | Shown::NameStatus => {}
        Shown::Default | Shown::Long => {
            if o.shown == Shown::Long {
                // A blob the repository lacks (a partial clone's): `BAD`.
                let size = size_of(reader, entry, kind)?.unwrap_or_else(|| "BAD".to_owned());
                write!(out, "{:06o} {kind} {name} {size:>7}\t", entry.mode)?;
            } else {
                write!(out, "{:06o} {kind} {name}\t", entry.mode)?;
            }
        }
    }
    out.write_all(&path)?;
    out.write_all(end)?;
    Ok(())
}

/// A blob's size, or `-` for other entries, as `-l` and `%(objectsize)`
/// show it; `None` for a blob the repository doesn't have.
fn size_of(reader: &mut Reader, entry: &Entry, kind: ObjectKind) -> Result<Option<String>, Exit> {
    if kind != ObjectKind::Blob {
        return Ok(Some("-".to_owned()));
    }
    match reader.header(&entry.id) {
        Ok(h) => Ok(Some(h.size.to_string())),
        Err(packread::Error::NotFound(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}
