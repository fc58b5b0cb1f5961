//! `packread log`: `git log`'s walk (every `rev-list` option) printed in
//! git's formats: `medium` (the default), `oneline`, `short`, `full`,
//! `fuller`, `raw`, and `--format`/`--pretty=format:` with git's commit
//! placeholders; `--oneline`, `--abbrev-commit`, `--date=`.

use std::io::{self, Write};

use packread::history::ReadAhead;
use packread::mailmap::Mailmap;
use packread::object::commit::{Commit, Signature};
use packread::{ObjectId, Reader};

use crate::dates::{DateKind, DateMode};
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
    format: Format,
    abbrev_commit: bool,
    date: DateMode,
    left_right: bool,
    parents: bool,
}

pub fn run(global: &Global, args: &[String]) -> Result<i32, Exit> {
    let cx = &global.open()?;
    let mut use_mailmap = true;
    let mut o = Options {
        mailmap: None,
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
    let mut walk = parsed.walk(cx, o.mailmap.clone())?;
    walk.keep_commit_data();
    let stdout = io::stdout();
    let mut w = io::BufWriter::new(stdout.lock());
    let mut reader = cx.odb.reader();
    let mut first = true;
    // One buffer for every commit's text, written out after each.
    let mut out = Vec::new();
    // Commits read on a second thread while this one shows the ones before.
    for next in ReadAhead::new(walk, |c, data| Ok((c, data))) {
        let (c, data) = next.map_err(crate::rev_list::walk_error)?;
        let mut commit = Commit::parse(&data, c.id.kind())
            .map_err(|_| Exit::Fatal(format!("unable to parse commit {}", c.id)))?;
        // git shows the parents the walk left (simplified, rewritten).
        commit.parents.clone_from(&c.parents);
        out.clear();
        let mark = crate::rev_list::mark(&c, o.left_right);
        show(&mut reader, &o, (&c.id, mark), &commit, first, &mut out)?;
        w.write_all(&out)?;
        first = false;
    }
    // `format:` separates commits; the last one ends without a newline...
    // unless something was shown (git ends the output with one).
    if let Format::User {
        terminator: false, ..
    } = o.format
        && !first
    {
        w.write_all(b"\n")?;
    }
    w.flush()?;
    Ok(0)
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
    Ok(false)
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

/// One commit in the chosen format, with the separator before it.
fn show(
    reader: &mut Reader,
    o: &Options,
    (id, mark): (&ObjectId, &str),
    c: &Commit<'_>,
    first: bool,
    out: &mut Vec<u8>,
) -> Result<(), Exit> {
    let name = |reader: &mut Reader, id: &ObjectId| -> Result<String, Exit> {
        if o.abbrev_commit {
            Ok(reader.abbreviate(id, 0)?)
        } else {
            Ok(id.to_hex())
        }
    };
    match &o.format {
        Format::User {
            template,
            terminator,
        } => {
            if !first && !terminator {
                out.push(b'\n');
            }
            expand(reader, o, template, id, c, out)?;
            if *terminator {
                out.push(b'\n');
            }
            return Ok(());
        }
        Format::Oneline => {
            head_line(reader, o, mark, id, c, out, &name)?;
            out.push(b' ');
            subject(c.message, out);
            out.push(b'\n');
            return Ok(());
        }
        _ => {}
    }
    if !first {
        out.push(b'\n');
    }
    out.extend_from_slice(b"commit ");
    head_line(reader, o, mark, id, c, out, &name)?;
    out.push(b'\n');
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

/// The mark (and a space), the id and, with `--parents`, the parents.
fn head_line(
    reader: &mut Reader,
    o: &Options,
    mark: &str,
    id: &ObjectId,
    c: &Commit<'_>,
    out: &mut Vec<u8>,
    name: &dyn Fn(&mut Reader, &ObjectId) -> Result<String, Exit>,
) -> Result<(), Exit> {
    if !mark.is_empty() {
        out.extend_from_slice(mark.as_bytes());
        out.push(b' ');
    }
    out.extend_from_slice(name(reader, id)?.as_bytes());
    if o.parents {
        for p in &c.parents {
            out.push(b' ');
            out.extend_from_slice(name(reader, p)?.as_bytes());
        }
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
            .rposition(|b| !b.is_ascii_whitespace())
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
    while out.len() > start && out.last().is_some_and(u8::is_ascii_whitespace) {
        out.pop();
    }
    out.push(b'\n');
}

/// A date as git's `show_date` shows it.
fn show_date(s: &Signature<'_>, mode: DateMode) -> String {
    crate::dates::show_date(s.time, s.zone_minutes, mode)
}

/// A `--format` template with the commit's values in place of git's
/// placeholders (an unknown one is left as written, as git leaves it).
fn expand(
    reader: &mut Reader,
    o: &Options,
    template: &str,
    id: &ObjectId,
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
        let taken = placeholder(reader, o, rest, id, c, out)?;
        if taken == 0 {
            out.push(b'%');
            i += 1;
        } else {
            i += 1 + taken;
        }
    }
    Ok(())
}

/// Expands the placeholder at the start of `p` (after its `%`); how many
/// bytes it took (0: not a placeholder).
fn placeholder(
    reader: &mut Reader,
    o: &Options,
    p: &[u8],
    id: &ObjectId,
    c: &Commit<'_>,
    out: &mut Vec<u8>,
) -> Result<usize, Exit> {
    let abbrev = |reader: &mut Reader, id: &ObjectId| reader.abbreviate(id, 0);
    match p[0] {
        b'%' => out.push(b'%'),
        b'n' => out.push(b'\n'),
        b'H' => out.extend_from_slice(id.to_hex().as_bytes()),
        b'h' => out.extend_from_slice(abbrev(reader, id)?.as_bytes()),
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
                return Ok(if b"neNEadtiIsD".contains(&what) { 2 } else { 0 });
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
            .rposition(|b| !b.is_ascii_whitespace())
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

/// git's `%b`: the message after its subject paragraph and the blank
/// lines that follow it.
fn body_text(message: &[u8]) -> &[u8] {
    let mut rest = message;
    // Leading blank lines, the subject paragraph, then blank lines.
    let skip_blank = |rest: &mut &[u8]| {
        while let Some(nl) = rest.iter().position(|&b| b == b'\n') {
            if rest[..nl].iter().all(u8::is_ascii_whitespace) {
                *rest = &rest[nl + 1..];
            } else {
                break;
            }
        }
    };
    skip_blank(&mut rest);
    loop {
        let nl = rest.iter().position(|&b| b == b'\n');
        let line = &rest[..nl.unwrap_or(rest.len())];
        if line.iter().all(u8::is_ascii_whitespace) {
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
