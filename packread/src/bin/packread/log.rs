//! `packread log`: `git log`'s walk (every `rev-list` option) printed in
//! git's formats: `medium` (the default), `oneline`, `short`, `full`,
//! `fuller`, `raw`, and `--format`/`--pretty=format:` with git's commit
//! placeholders; `--oneline`, `--abbrev-commit`, `--date=`.

use std::io::{self, Write};

use packread::history::{CommitText, ReadAhead, Walk, Walked};
use packread::mailmap::Mailmap;
use packread::object::commit::{Commit, Signature};
use packread::{ObjectId, Reader};

use crate::dates::{DateKind, DateMode};
use crate::decorations::{Decorations, Style};
use crate::{Exit, Global};

/// The commit formats.
#[derive(Clone, PartialEq, Eq)]
enum Format {
    Medium,
    Oneline,
    Short,
    Full,
    Fuller,
    Raw,
    /// `--format`, `tformat:` (a newline after each commit) or `format:`
    /// (between commits).
    User {
        template: String,
        terminator: bool,
    },
}

struct Options {
    /// git's `log.mailmap` (on by default): the built-in formats and
    /// `%aN`/`%aE` show people as `.mailmap` names them.
    mailmap: Option<Mailmap>,
    /// `--decorate[=...]`/`--no-decorate` as given (`None`: not given).
    decorate: Option<Decorate>,
    /// The refs shown beside each commit (the built-in formats) or by
    /// `%d`/`%D`, if any are.
    decorations: Option<Decorations>,
    format: Format,
    abbrev_commit: bool,
    date: DateMode,
    left_right: bool,
    parents: bool,
}

pub fn run(global: &Global, args: &[String]) -> Result<i32, Exit> {
    let cx = &global.open()?;
    cx.refuse_replace_refs()?;
    let mut use_mailmap = true;
    let mut o = Options {
        mailmap: None,
        decorate: None,
        decorations: None,
        format: Format::Medium,
        abbrev_commit: false,
        date: DateMode::DEFAULT,
        left_right: false,
        parents: false,
    };
    let mut parsed = crate::rev_list::parse(cx, args, |arg| match arg {
        "--use-mailmap" | "--mailmap" => {
            use_mailmap = true;
            Ok(true)
        }
        "--no-use-mailmap" | "--no-mailmap" => {
            use_mailmap = false;
            Ok(true)
        }
        _ => log_option(arg, &mut o),
    })?;
    if use_mailmap {
        o.mailmap = Some(cx.mailmap());
    }
    if parsed.is_empty() {
        let refs = cx.refs.as_ref().expect("checked by parse");
        match refs.resolve("HEAD")? {
            Some(r) if r.id.is_some() => parsed.push(r.id.expect("checked")),
            Some(r) => {
                let branch = r.name.strip_prefix("refs/heads/").unwrap_or(&r.name);
                return Err(Exit::Fatal(format!(
                    "your current branch '{branch}' does not have any commits yet"
                )));
            }
            None => return Err(Exit::Fatal("bad default revision 'HEAD'".into())),
        }
    }
    (o.left_right, o.parents) = parsed.marks();
    let walk = parsed.walk(cx, o.mailmap.clone())?;
    if let Some(style) = decoration_style(&o) {
        o.decorations = Some(Decorations::load(cx, style)?);
    }
    let stdout = io::stdout();
    let mut w = io::BufWriter::new(stdout.lock());
    let mut reader = cx.odb.reader();
    let needs_text = match &o.format {
        Format::User { template, .. } => template_needs_text(template)?,
        _ => true,
    };
    let shown = if needs_text {
        show_read(walk, &mut reader, &o, &mut w)
    } else {
        show_from_graph(walk, &mut reader, &o, &mut w)
    };
    // `format:` separates commits: the last one ends without a newline.
    w.flush()?;
    shown.map(|()| 0)
}

/// Shows the walk's commits as a template that needs no more than the
/// ids, the parents and the tree: git shows them from the commit-graph,
/// without reading the commits' objects.
fn show_from_graph(
    mut walk: Walk,
    reader: &mut Reader,
    o: &Options,
    w: &mut impl Write,
) -> Result<(), Exit> {
    let mut first = true;
    let mut out = Vec::new();
    while let Some(next) = walk.next() {
        let c = next.map_err(crate::rev_list::walk_error)?;
        let tree = walk
            .tree_of(&c.id)
            .map_err(crate::rev_list::walk_error)?
            .ok_or_else(|| Exit::Fatal(format!("unable to parse commit {}", c.id)))?;
        let commit = Commit {
            tree,
            parents: c.parents.clone(),
            author: None,
            committer: None,
            encoding: None,
            headers: b"",
            message: b"",
        };
        out.clear();
        show(
            reader,
            o,
            &shown(&c, o.left_right),
            &commit,
            first,
            &mut out,
        )?;
        w.write_all(&out)?;
        first = false;
    }
    Ok(())
}

/// Shows the walk's commits, each read (on a second thread, while this
/// one shows the ones before). A commit whose object can't be read: what
/// git writes of it before it reads it, then git's death.
fn show_read(
    mut walk: Walk,
    reader: &mut Reader,
    o: &Options,
    w: &mut impl Write,
) -> Result<(), Exit> {
    walk.keep_commit_data_up_to(text_needed(&o.format));
    let mut first = true;
    // One buffer for every commit's text, written out after each.
    let mut out = Vec::new();
    let mut ahead = ReadAhead::with_reads(walk, |c, data| Ok((c, data)));
    let threaded = ahead.is_threaded();
    loop {
        if !threaded {
            // The walk's reads and ours take turns.
            reader.release_windows();
        }
        let Some(next) = ahead.next() else {
            break;
        };
        let (c, data) = next.map_err(crate::rev_list::walk_error)?;
        let s = shown(&c, o.left_right);
        out.clear();
        let data = match data {
            Ok(data) => data,
            Err(e) => {
                show_before_text(reader, o, &s, &c.parents, first, &mut out)?;
                w.write_all(&out)?;
                return Err(crate::rev_list::walk_error(e));
            }
        };
        let mut commit = Commit::parse(&data, c.id.kind())
            .map_err(|_| Exit::Fatal(format!("unable to parse commit {}", c.id)))?;
        // git shows the parents the walk left (simplified, rewritten).
        commit.parents.clone_from(&c.parents);
        show(reader, o, &s, &commit, first, &mut out)?;
        w.write_all(&out)?;
        first = false;
    }
    Ok(())
}

/// Takes `log`'s own options; `Ok(false)` for the walk's.
fn log_option(arg: &str, o: &mut Options) -> Result<bool, Exit> {
    if arg == "--oneline" {
        o.format = Format::Oneline;
        o.abbrev_commit = true;
        return Ok(true);
    }
    if arg == "--abbrev-commit" {
        o.abbrev_commit = true;
        return Ok(true);
    }
    if arg == "--no-abbrev-commit" {
        o.abbrev_commit = false;
        return Ok(true);
    }
    if arg == "--pretty" {
        o.format = Format::Medium;
        return Ok(true);
    }
    if let Some(v) = arg
        .strip_prefix("--pretty=")
        .or_else(|| arg.strip_prefix("--format="))
    {
        o.format = parse_format(v, arg.starts_with("--format="))?;
        return Ok(true);
    }
    if let Some(v) = arg.strip_prefix("--date=") {
        o.date = DateMode::parse(v).map_err(Exit::Fatal)?;
        return Ok(true);
    }
    if arg == "--relative-date" {
        o.date = DateMode::of(DateKind::Relative);
        return Ok(true);
    }
    if arg == "--no-decorate" {
        o.decorate = Some(Decorate(None));
        return Ok(true);
    }
    if arg == "--decorate" {
        o.decorate = Some(Decorate(Some(Style::Short)));
        return Ok(true);
    }
    if let Some(v) = arg.strip_prefix("--decorate=") {
        // git's `parse_decoration_style`.
        o.decorate = Some(Decorate(match v.to_ascii_lowercase().as_str() {
            "short" | "yes" | "true" | "on" | "1" => Some(Style::Short),
            "full" => Some(Style::Full),
            "no" | "false" | "off" | "0" => None,
            "auto" => auto_decorations(),
            _ => return Err(Exit::Fatal(format!("invalid --decorate option: {v}"))),
        }));
        return Ok(true);
    }
    Ok(false)
}

/// A `--decorate[=...]` (a style) or `--no-decorate` (none) given.
#[derive(Clone, Copy)]
struct Decorate(Option<Style>);

/// git's `auto` decorations: short ones on a terminal.
fn auto_decorations() -> Option<Style> {
    use std::io::IsTerminal;
    io::stdout().is_terminal().then_some(Style::Short)
}

/// How `log` decorates commits, as `cmd_log_init_finish` decides: as
/// given, else `auto`; never for `raw` unless given; for a template, only
/// if it shows decorations (`%d`, `%D`), then short unless given.
fn decoration_style(o: &Options) -> Option<Style> {
    let given = o.decorate;
    let style = given.map_or_else(auto_decorations, |Decorate(style)| style);
    match &o.format {
        Format::Raw if given.is_none() => None,
        Format::User { template, .. } => {
            template_decorates(template).then(|| style.unwrap_or(Style::Short))
        }
        _ => style,
    }
}

/// A `--pretty=`/`--format=` value: a format's name, or a template.
fn parse_format(v: &str, user: bool) -> Result<Format, Exit> {
    if let Some(t) = v.strip_prefix("format:") {
        return Ok(Format::User {
            template: t.to_owned(),
            terminator: false,
        });
    }
    if let Some(t) = v.strip_prefix("tformat:") {
        return Ok(Format::User {
            template: t.to_owned(),
            terminator: true,
        });
    }
    Ok(match v {
        "medium" | "" => Format::Medium,
        "oneline" => Format::Oneline,
        "short" => Format::Short,
        "full" => Format::Full,
        "fuller" => Format::Fuller,
        "raw" => Format::Raw,
        // git takes anything with a `%` for a template.
        t if user || t.contains('%') => Format::User {
            template: t.to_owned(),
            terminator: true,
        },
        other => {
            return Err(Exit::Fatal(format!("invalid --pretty format: {other}")));
        }
    })
}

/// A commit as the walk handed it over: its id and marks.
struct Shown<'a> {
    id: &'a ObjectId,
    /// The mark before the id (`--left-right`, `--boundary`).
    mark: &'static str,
    /// git's `get_revision_mark` without a walk: `%m`.
    m: &'static str,
}

fn shown(c: &Walked, left_right: bool) -> Shown<'_> {
    Shown {
        id: &c.id,
        mark: crate::rev_list::mark(c, left_right),
        m: crate::rev_list::mark(c, true),
    }
}

/// One commit in the chosen format, with the separator before it.
fn show(
    reader: &mut Reader,
    o: &Options,
    s: &Shown<'_>,
    c: &Commit<'_>,
    first: bool,
    out: &mut Vec<u8>,
) -> Result<(), Exit> {
    if let Format::User {
        template,
        terminator,
    } = &o.format
    {
        if !first && !terminator {
            out.push(b'\n');
        }
        expand(reader, o, template, s, c, out)?;
        if *terminator {
            out.push(b'\n');
        }
        return Ok(());
    }
    show_before_text(reader, o, s, &c.parents, first, out)?;
    if o.format == Format::Oneline {
        subject(c.message, out);
        out.push(b'\n');
        return Ok(());
    }
    if o.format == Format::Raw {
        out.extend_from_slice(c.headers);
    } else {
        if c.parents.len() > 1 {
            out.extend_from_slice(b"Merge:");
            for p in &c.parents {
                write!(out, " {}", reader.abbreviate(p, 0)?)?;
            }
            out.push(b'\n');
        }
        header_lines(o, c, out)?;
    }
    out.push(b'\n');
    body(o, c.message, out);
    Ok(())
}

/// What git writes of a commit before it reads the commit's object (git's
/// `show_log` up to `pretty_print_commit`): the separator, and for the
/// built-in formats the `commit` line (`oneline`: the id and a space).
fn show_before_text(
    reader: &mut Reader,
    o: &Options,
    s: &Shown<'_>,
    parents: &[ObjectId],
    first: bool,
    out: &mut Vec<u8>,
) -> Result<(), Exit> {
    match &o.format {
        Format::User { terminator, .. } => {
            if !first && !terminator {
                out.push(b'\n');
            }
        }
        Format::Oneline => {
            head_line(reader, o, s, parents, out)?;
            out.push(b' ');
        }
        _ => {
            if !first {
                out.push(b'\n');
            }
            out.extend_from_slice(b"commit ");
            head_line(reader, o, s, parents, out)?;
            out.push(b'\n');
        }
    }
    Ok(())
}

/// The mark (and a space), the id and, with `--parents`, the parents.
fn head_line(
    reader: &mut Reader,
    o: &Options,
    s: &Shown<'_>,
    parents: &[ObjectId],
    out: &mut Vec<u8>,
) -> Result<(), Exit> {
    let mut name = |id: &ObjectId, out: &mut Vec<u8>| -> Result<(), Exit> {
        if o.abbrev_commit {
            out.extend_from_slice(reader.abbreviate(id, 0)?.as_bytes());
        } else {
            let mut hex = [0u8; 64];
            out.extend_from_slice(id.hex_into(&mut hex));
        }
        Ok(())
    };
    if !s.mark.is_empty() {
        out.extend_from_slice(s.mark.as_bytes());
        out.push(b' ');
    }
    name(s.id, out)?;
    if o.parents {
        for p in parents {
            out.push(b' ');
            name(p, out)?;
        }
    }
    if let Some(d) = &o.decorations {
        d.write(s.id, (" (", ")"), out);
    }
    Ok(())
}

/// The `Author:`/`Date:` (and `Commit:`) lines of the built-in formats.
fn header_lines(o: &Options, c: &Commit<'_>, out: &mut Vec<u8>) -> io::Result<()> {
    let person = |out: &mut Vec<u8>, label: &str, s: Option<Signature<'_>>| -> io::Result<()> {
        out.extend_from_slice(label.as_bytes());
        if let Some(s) = s {
            let (name, email) = match &o.mailmap {
                Some(map) => map.map(s.name, s.email),
                None => (s.name, s.email),
            };
            out.extend_from_slice(name);
            out.extend_from_slice(b" <");
            out.extend_from_slice(email);
            out.extend_from_slice(b">");
        }
        out.push(b'\n');
        Ok(())
    };
    let date = |s: Option<Signature<'_>>| s.map(|s| show_date(&s, o.date)).unwrap_or_default();
    match o.format {
        Format::Medium => {
            person(out, "Author: ", c.author)?;
            writeln!(out, "Date:   {}", date(c.author))?;
        }
        Format::Short => person(out, "Author: ", c.author)?,
        Format::Full => {
            person(out, "Author: ", c.author)?;
            person(out, "Commit: ", c.committer)?;
        }
        Format::Fuller => {
            person(out, "Author:     ", c.author)?;
            writeln!(out, "AuthorDate: {}", date(c.author))?;
            person(out, "Commit:     ", c.committer)?;
            writeln!(out, "CommitDate: {}", date(c.committer))?;
        }
        _ => {}
    }
    Ok(())
}

/// git's `pp_remainder` with a 4-space indent: lines without trailing
/// blanks, leading blank lines skipped, tabs expanded to 8 columns where the
/// format does it; the `short` format stops at the first blank line.
fn body(o: &Options, message: &[u8], out: &mut Vec<u8>) {
    // git's formats table: medium, full and fuller expand tabs.
    let expand = matches!(o.format, Format::Medium | Format::Full | Format::Fuller);
    let start = out.len();
    let mut first = true;
    let mut rest = message;
    while !rest.is_empty() {
        let eol = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
        let text = &rest[..eol];
        rest = rest.get(eol + 1..).unwrap_or_default();
        let end = text
            .iter()
            .rposition(|&b| !git_space(b))
            .map_or(0, |i| i + 1);
        let text = &text[..end];
        if text.is_empty() {
            if first {
                continue;
            }
            if o.format == Format::Short {
                break;
            }
        }
        first = false;
        out.extend_from_slice(b"    ");
        if expand {
            crate::width::expand_tabs(text, out);
        } else {
            out.extend_from_slice(text);
        }
        out.push(b'\n');
    }
    // git trims the end of the whole, then ends it with one newline.
    while out.len() > start && out.last().is_some_and(|&b| git_space(b)) {
        out.pop();
    }
    out.push(b'\n');
}

/// A date as git's `show_date` shows it.
fn show_date(s: &Signature<'_>, mode: DateMode) -> String {
    crate::dates::show_date(s.time, s.zone_minutes, mode)
}

/// A `--format` template with the commit's values in place of git's
/// placeholders (an unknown one is left as written, as git leaves it), with
/// git's `%+`, `%-` and `% ` before a placeholder.
fn expand(
    reader: &mut Reader,
    o: &Options,
    template: &str,
    s: &Shown<'_>,
    c: &Commit<'_>,
    out: &mut Vec<u8>,
) -> Result<(), Exit> {
    let t = template.as_bytes();
    let mut i = 0;
    while i < t.len() {
        if t[i] != b'%' || i + 1 >= t.len() {
            out.push(t[i]);
            i += 1;
            continue;
        }
        let rest = &t[i + 1..];
        let magic = matches!(rest[0], b'+' | b'-' | b' ').then_some(rest[0]);
        let p = if magic.is_some() { &rest[1..] } else { rest };
        let before = out.len();
        let mut taken = if p.is_empty() {
            0
        } else {
            placeholder(reader, o, p, s, c, out)?
        };
        // git's `format_commit_item`.
        if let Some(magic) = magic {
            if out.len() == before && magic == b'-' {
                while out.last() == Some(&b'\n') {
                    out.pop();
                }
            } else if out.len() != before && magic != b'-' {
                out.insert(before, if magic == b'+' { b'\n' } else { b' ' });
            }
            taken += 1;
        }
        if taken == 0 {
            out.push(b'%');
            i += 1;
        } else {
            i += 1 + taken;
        }
    }
    Ok(())
}

/// The placeholders of a template as git's `userformat_find_requirements`
/// finds them: the bytes after each `%` (a `%+`, `%-` or `% ` prefix
/// skipped; `%%` is none).
fn placeholders(template: &str) -> impl Iterator<Item = &[u8]> {
    let t = template.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < t.len() {
            if t[i] != b'%' {
                i += 1;
                continue;
            }
            let mut p = &t[i + 1..];
            if p.first() == Some(&b'%') {
                i += 2;
                continue;
            }
            i += 1;
            if matches!(p.first(), Some(b'+' | b'-' | b' ')) {
                p = &p[1..];
            }
            return Some(p);
        }
        None
    })
}

/// Whether a template needs the commit's text (git reads the object for
/// any placeholder but the ids, the parents, the tree, `%m`, `%d`, `%D`,
/// `%n` and `%xNN`); placeholders git expands and packread doesn't are
/// refused.
fn template_needs_text(template: &str) -> Result<bool, Exit> {
    let mut needs = false;
    for p in placeholders(template) {
        match p.first() {
            Some(b'C' | b'w' | b'<' | b'>' | b'S' | b'g' | b'N' | b'G') => {
                return Err(unsupported(p));
            }
            Some(b'(')
                if [&b"(trailers"[..], b"(decorate", b"(describe"]
                    .iter()
                    .any(|name| p.starts_with(name)) =>
            {
                return Err(unsupported(p));
            }
            _ => needs |= placeholder_text(p).is_some(),
        }
    }
    Ok(needs)
}

/// How much of each commit's object `format` shows: its header lines for
/// templates of ids, people, dates and the encoding, and the subject too
/// for `--oneline` and templates with `%s` or `%f`; the whole object
/// otherwise.
fn text_needed(format: &Format) -> CommitText {
    let template = match format {
        Format::Oneline => return CommitText::Subject,
        Format::User { template, .. } => template,
        _ => return CommitText::Whole,
    };
    placeholders(template)
        .filter_map(placeholder_text)
        .max()
        .unwrap_or(CommitText::Headers)
}

/// How much of a commit's object the placeholder `p` (what follows its
/// `%`) shows: `None` for the ids, the parents, the tree, `%m`, `%d`,
/// `%D`, `%n` and `%xNN` (the commit-graph holds them), the header lines
/// for people, dates and the encoding, the subject for `%s` and `%f`, the
/// whole object for anything else.
fn placeholder_text(p: &[u8]) -> Option<CommitText> {
    let hex = |b: Option<&u8>| b.is_some_and(u8::is_ascii_hexdigit);
    match p.first() {
        Some(b'n' | b'H' | b'h' | b'T' | b't' | b'P' | b'p' | b'm' | b'd' | b'D') => None,
        Some(b'x') if hex(p.get(1)) && hex(p.get(2)) => None,
        Some(b'e') => Some(CommitText::Headers),
        Some(b'a' | b'c') if p.get(1).is_some_and(u8::is_ascii_alphabetic) => {
            Some(CommitText::Headers)
        }
        Some(b's' | b'f') => Some(CommitText::Subject),
        _ => Some(CommitText::Whole),
    }
}

/// Whether a template shows decorations (git's `userformat_want`:
/// `%d`, `%D`, `%(decorate...)`).
fn template_decorates(template: &str) -> bool {
    placeholders(template)
        .any(|p| matches!(p.first(), Some(b'd' | b'D')) || p.starts_with(b"(decorate"))
}

fn unsupported(placeholder: &[u8]) -> Exit {
    let end = if placeholder.first() == Some(&b'(') {
        placeholder
            .iter()
            .position(|&b| b == b')')
            .map_or(placeholder.len(), |e| e + 1)
    } else {
        1
    };
    Exit::Fatal(format!(
        "packread does not support the placeholder '%{}'",
        String::from_utf8_lossy(&placeholder[..end])
    ))
}

/// Expands the placeholder at the start of `p` (after its `%`); how many
/// bytes it took (0: not a placeholder).
fn placeholder(
    reader: &mut Reader,
    o: &Options,
    p: &[u8],
    s: &Shown<'_>,
    c: &Commit<'_>,
    out: &mut Vec<u8>,
) -> Result<usize, Exit> {
    let abbrev = |reader: &mut Reader, id: &ObjectId| reader.abbreviate(id, 0);
    match p[0] {
        b'%' => out.push(b'%'),
        b'n' => out.push(b'\n'),
        b'H' => out.extend_from_slice(s.id.to_hex().as_bytes()),
        b'h' => out.extend_from_slice(abbrev(reader, s.id)?.as_bytes()),
        b'm' => out.extend_from_slice(s.m.as_bytes()),
        b'd' | b'D' => {
            if let Some(d) = &o.decorations {
                d.write(s.id, if p[0] == b'd' { (" (", ")") } else { ("", "") }, out);
            }
        }
        b'e' => out.extend_from_slice(c.encoding.unwrap_or_default()),
        b'f' => sanitized_subject(c.message, out),
        b'T' => out.extend_from_slice(c.tree.to_hex().as_bytes()),
        b't' => out.extend_from_slice(abbrev(reader, &c.tree)?.as_bytes()),
        b'P' | b'p' => {
            for (k, parent) in c.parents.iter().enumerate() {
                if k > 0 {
                    out.push(b' ');
                }
                let text = if p[0] == b'P' {
                    parent.to_hex()
                } else {
                    abbrev(reader, parent)?
                };
                out.extend_from_slice(text.as_bytes());
            }
        }
        b's' => subject(c.message, out),
        b'b' => out.extend_from_slice(body_text(c.message)),
        b'B' => out.extend_from_slice(c.message),
        b'x' => {
            let hex = p.get(1..3).and_then(|h| std::str::from_utf8(h).ok());
            match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                Some(byte) => {
                    out.push(byte);
                    return Ok(3);
                }
                None => return Ok(0),
            }
        }
        b'a' | b'c' => {
            let Some(&what) = p.get(1) else { return Ok(0) };
            let person = if p[0] == b'a' { c.author } else { c.committer };
            let Some(s) = person else {
                return Ok(if b"neNElLdDrtiIsh".contains(&what) {
                    2
                } else {
                    0
                });
            };
            // Names and emails are written as they are, whatever their bytes.
            let (mapped_name, mapped_email) = match &o.mailmap {
                Some(map) => map.map(s.name, s.email),
                None => (s.name, s.email),
            };
            let bytes: Option<&[u8]> = match what {
                b'n' => Some(s.name),
                b'e' => Some(s.email),
                b'N' => Some(mapped_name),
                b'E' => Some(mapped_email),
                b'l' => Some(local_part(s.email)),
                b'L' => Some(local_part(mapped_email)),
                _ => None,
            };
            if let Some(b) = bytes {
                out.extend_from_slice(b);
                return Ok(2);
            }
            let text = match what {
                b'd' => show_date(&s, o.date),
                b't' => s.time.to_string(),
                b'i' => show_date(&s, DateMode::of(DateKind::Iso)),
                b'I' => show_date(&s, DateMode::of(DateKind::IsoStrict)),
                b's' => show_date(&s, DateMode::of(DateKind::Short)),
                b'D' => show_date(&s, DateMode::of(DateKind::Rfc)),
                b'r' => show_date(&s, DateMode::of(DateKind::Relative)),
                b'h' => show_date(&s, DateMode::of(DateKind::Human)),
                _ => return Ok(0),
            };
            out.extend_from_slice(text.as_bytes());
            return Ok(2);
        }
        _ => return Ok(0),
    }
    Ok(1)
}

/// git's `format_subject` (`%s`, the `oneline` title): the first paragraph
/// of the message, each line without trailing blanks, joined by spaces;
/// the bytes as they are.
fn subject(message: &[u8], out: &mut Vec<u8>) {
    let mut first = true;
    let mut started = false;
    for line in message.split(|&b| b == b'\n') {
        let end = line
            .iter()
            .rposition(|&b| !git_space(b))
            .map_or(0, |i| i + 1);
        if end == 0 {
            if started {
                break;
            }
            continue;
        }
        started = true;
        if !first {
            out.push(b' ');
        }
        out.extend_from_slice(&line[..end]);
        first = false;
    }
}

/// git's `%f`: the subject's first line with each run of characters other
/// than letters, digits, `.` and `_` made one `-`, runs of `.` one `.`,
/// and no `.` or `-` at the end.
fn sanitized_subject(message: &[u8], out: &mut Vec<u8>) {
    let start = out.len();
    let line = message
        .split(|&b| b == b'\n')
        .find(|line| !line.iter().all(|&b| git_space(b)))
        .unwrap_or_default();
    let title = |b: u8| b.is_ascii_alphanumeric() || b == b'.' || b == b'_';
    // 2: nothing yet; 1: characters to drop since the last kept one.
    let mut space = 2;
    let mut i = 0;
    while i < line.len() {
        let b = line[i];
        if title(b) {
            if space == 1 {
                out.push(b'-');
            }
            space = 0;
            out.push(b);
            if b == b'.' {
                while line.get(i + 1) == Some(&b'.') {
                    i += 1;
                }
            }
        } else {
            space |= 1;
        }
        i += 1;
    }
    while out.len() > start && matches!(out.last(), Some(b'.' | b'-')) {
        out.pop();
    }
}

/// An email's part before its `@` (all of it without one): `%al`.
fn local_part(email: &[u8]) -> &[u8] {
    memchr::memchr(b'@', email).map_or(email, |at| &email[..at])
}

/// Whether git's `isspace` takes `b` for a space: a space, a tab, a line
/// feed or a carriage return (a form feed or a vertical tab is none).
fn git_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// git's `%b`: the message after its subject paragraph and the blank
/// lines that follow it.
fn body_text(message: &[u8]) -> &[u8] {
    let mut rest = message;
    // Leading blank lines, the subject paragraph, then blank lines (the
    // last line a blank one too without its newline, as git's
    // `skip_blank_lines` takes it).
    let skip_blank = |rest: &mut &[u8]| {
        while !rest.is_empty() {
            let end = memchr::memchr(b'\n', rest).map_or(rest.len(), |nl| nl + 1);
            if rest[..end].iter().all(|&b| git_space(b)) {
                *rest = &rest[end..];
            } else {
                break;
            }
        }
    };
    skip_blank(&mut rest);
    loop {
        let nl = rest.iter().position(|&b| b == b'\n');
        let line = &rest[..nl.unwrap_or(rest.len())];
        if line.iter().all(|&b| git_space(b)) {
            break;
        }
        rest = match nl {
            Some(n) => &rest[n + 1..],
            None => &[],
        };
    }
    skip_blank(&mut rest);
    rest
}
