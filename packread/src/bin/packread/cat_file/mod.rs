//! `packread cat-file`: git's `cat-file`, byte for byte. This module reads
//! the arguments; `single` answers for one object, `batch` for many.

mod batch;
mod headers;
mod pack_order;
mod replayed;
mod single;
mod transform;

use std::sync::Arc;

use packread::mailmap::Mailmap;

use crate::format::{DEFAULT, Format};
use crate::{Exit, Global, unknown_option};

const USAGE: &str = "usage: packread cat-file <type> <object>
   or: packread cat-file (-e | -p) <object>
   or: packread cat-file (-t | -s) <object>
   or: packread cat-file (--batch | --batch-check | --batch-command) [--batch-all-objects]
                         [--buffer] [--follow-symlinks] [--unordered] [-z | -Z]

    -e                    check if <object> exists
    -p                    pretty-print <object> content
    -t                    show object type
    -s                    show object size
    --allow-unknown-type  allow -s and -t to work with objects of unknown type
    --[no-]use-mailmap    use mail map file (alias --[no-]mailmap)
    --batch[=<format>]    show full <object> contents
    --batch-check[=<format>]
                          like --batch, but don't emit <contents>
    --batch-command[=<format>]
                          read commands from stdin (contents, info, flush)
    --batch-all-objects   with --batch[-check]: ignores stdin, batches all known objects
    --buffer              buffer --batch output
    --follow-symlinks     follow in-tree symlinks in <rev>:<path> names
    --unordered           do not order objects before emitting them
    -z                    stdin is NUL-terminated
    -Z                    stdin and stdout is NUL-terminated

<object> is an id, an abbreviation, a ref or a revision (HEAD~2, v1^{tree}, main:path).";

fn usage(msg: impl Into<String>) -> Exit {
    Exit::Usage(msg.into(), USAGE)
}

/// A single-object mode.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    /// `--textconv` or `--filters` (not supported beyond git's errors).
    Filter,
    Type,
    Size,
    Exists,
    Pretty,
}

/// What a batch prints for each object.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Batch {
    Contents,
    Check,
    /// `--batch-command`: each input line says `contents`, `info` or `flush`.
    Command,
}

/// The batch options, as given.
#[allow(clippy::struct_excessive_bools)] // mirrors git's independent flags
struct BatchOptions {
    kind: Batch,
    format: Format,
    all: bool,
    unordered: bool,
    buffer: bool,
    nul_input: bool,
    nul_output: bool,
    /// `--follow-symlinks`: `<rev>:<path>` names follow links in the tree.
    follow_symlinks: bool,
    /// `--use-mailmap`: the mailmap commits and tags are shown through.
    mailmap: Option<Mailmap>,
    /// `--textconv` (`Some(true)`) or `--filters` (`Some(false)`): blobs
    /// shown as git shows them for the path given after each name.
    textconv: Option<bool>,
}

/// `cat-file`'s arguments, as given.
#[allow(clippy::struct_excessive_bools)] // mirrors git's independent flags
#[derive(Default)]
struct Args {
    /// The single-object mode and the option that chose it.
    mode: Option<(Mode, &'static str)>,
    /// git's command mode (one of `-e`, `-p`, `-t`, `-s`, `--textconv`,
    /// `--filters`, `--batch-all-objects`): the first given.
    cmdmode: Option<&'static str>,
    /// The batch mode and its format.
    batch: Option<(Batch, Option<String>)>,
    all: bool,
    unordered: bool,
    buffer: bool,
    z: bool,
    big_z: bool,
    positional: Vec<String>,
    unknown_type: bool,
    follow: bool,
    /// `--use-mailmap`: commits and tags shown with their people mapped.
    mailmap: bool,
    /// `--path=<path>` (only for the filters, which aren't supported).
    path: Option<String>,
}

impl Args {
    /// Parses the arguments as git's `parse_options` does for `cat-file`.
    fn parse(args: Vec<String>) -> Result<Args, Exit> {
        let mut a = Args::default();
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "-t" => a.set_mode(Mode::Type, "-t")?,
                "-s" => a.set_mode(Mode::Size, "-s")?,
                "-e" => a.set_mode(Mode::Exists, "-e")?,
                "-p" => a.set_mode(Mode::Pretty, "-p")?,
                "--textconv" => a.set_mode(Mode::Filter, "--textconv")?,
                "--filters" => a.set_mode(Mode::Filter, "--filters")?,
                "--batch" => a.set_batch(Batch::Contents, None)?,
                "--batch-check" => a.set_batch(Batch::Check, None)?,
                "--batch-command" => a.set_batch(Batch::Command, None)?,
                "--batch-all-objects" => {
                    a.set_cmdmode("--batch-all-objects")?;
                    a.all = true;
                }
                "--unordered" => a.unordered = true,
                "--no-unordered" => a.unordered = false,
                "--buffer" => a.buffer = true,
                "--no-buffer" => a.buffer = false,
                "-z" => a.z = true,
                "-Z" => a.big_z = true,
                "-h" => return Err(Exit::Help(USAGE)),
                "--" => a.positional.extend(args.by_ref()),
                "--follow-symlinks" => a.follow = true,
                "--no-follow-symlinks" => a.follow = false,
                "--allow-unknown-type" => a.unknown_type = true,
                "--no-allow-unknown-type" => a.unknown_type = false,
                "--use-mailmap" | "--mailmap" => a.mailmap = true,
                "--no-use-mailmap" | "--no-mailmap" => a.mailmap = false,
                "--no-path" => a.path = None,
                "--path" => match args.next() {
                    Some(p) => a.path = Some(p),
                    None => {
                        return Err(Exit::UsageLine(
                            "error: option `path' requires a value".into(),
                        ));
                    }
                },
                s => {
                    let formats = [
                        ("--batch=", Batch::Contents),
                        ("--batch-check=", Batch::Check),
                        ("--batch-command=", Batch::Command),
                    ];
                    if let Some((fmt, kind)) = formats
                        .iter()
                        .find_map(|&(p, kind)| s.strip_prefix(p).map(|f| (f, kind)))
                    {
                        a.set_batch(kind, Some(fmt.to_owned()))?;
                    } else if let Some(p) = s.strip_prefix("--path=") {
                        a.path = Some(p.to_owned());
                    } else if s.starts_with('-') && s.len() > 1 {
                        return Err(unknown_option(s, USAGE));
                    } else {
                        a.positional.push(arg);
                    }
                }
            }
        }
        Ok(a)
    }

    fn set_mode(&mut self, m: Mode, c: &'static str) -> Result<(), Exit> {
        self.set_cmdmode(c)?;
        self.mode = Some((m, c));
        Ok(())
    }

    /// git's `OPT_CMDMODE`: a second, different command mode is refused
    /// (the later option named first).
    fn set_cmdmode(&mut self, c: &'static str) -> Result<(), Exit> {
        match self.cmdmode {
            Some(old) if old != c => Err(Exit::UsageLine(format!(
                "error: options '{c}' and '{old}' cannot be used together"
            ))),
            _ => {
                self.cmdmode = Some(c);
                Ok(())
            }
        }
    }

    fn set_batch(&mut self, kind: Batch, fmt: Option<String>) -> Result<(), Exit> {
        if self.batch.is_some() {
            return Err(Exit::UsageLine(
                "error: only one batch option may be specified".into(),
            ));
        }
        self.batch = Some((kind, fmt));
        Ok(())
    }

    /// git's refusal of an option that only a batch mode takes, in git's
    /// order (git 2.47 doesn't check `--unordered`).
    fn refuse_batch_only_options(&self) -> Result<(), Exit> {
        let batch_only = [
            (self.follow, "--follow-symlinks"),
            (self.buffer, "--buffer"),
            (self.all, "--batch-all-objects"),
            (self.z, "-z"),
            (self.big_z, "-Z"),
        ];
        match batch_only.iter().find(|(given, _)| *given) {
            Some((_, opt)) => Err(usage(format!("fatal: '{opt}' requires a batch mode"))),
            None => Ok(()),
        }
    }
}

/// Parses `cat-file`'s arguments and runs the mode they name.
pub fn run(global: &Global, args: Vec<String>) -> Result<i32, Exit> {
    let mut a = Args::parse(args)?;
    // In git's order: a path without a filter, options that need a batch
    // mode, the batch modes, then the single-object modes.
    if a.path.is_some() && !matches!(a.mode, Some((Mode::Filter, _))) {
        return Err(usage(
            "fatal: '--path=<path|tree-ish>' needs '--filters' or '--textconv'",
        ));
    }
    if a.batch.is_none() {
        a.refuse_batch_only_options()?;
    }
    if let Some((Mode::Filter, option)) = a.mode
        && a.batch.is_none()
    {
        if let Some(refused) = refuse_filters(&a, option) {
            return Err(refused);
        }
        let name = a.positional.first().map_or("", String::as_str);
        let textconv = option == "--textconv";
        return single::filtered(global, textconv, name, a.path.as_deref());
    }
    if let Some((kind, fmt)) = a.batch.take() {
        return run_batch(global, &a, kind, fmt.as_deref());
    }
    run_single(global, a)
}

/// git's refusals of `--textconv`/`--filters` <object>:<path> (`None`:
/// none).
fn refuse_filters(a: &Args, option: &str) -> Option<Exit> {
    Some(match a.positional.as_slice() {
        [] => usage(format!("fatal: <rev> required with '{option}'")),
        [_, _, ..] => usage("fatal: too many arguments"),
        // Checked once the arguments are counted, before the name is read.
        _ if a.unknown_type => {
            Exit::Fatal("git cat-file --allow-unknown-type: use with -s or -t".into())
        }
        // `--path` gives the path a bare object name lacks.
        [name] if !name.contains(':') && a.path.is_none() => Exit::Fatal(format!(
            "<object>:<path> required, only <object> '{name}' given"
        )),
        _ => return None,
    })
}

/// A batch mode of `kind` with `fmt` (git's default if none).
fn run_batch(global: &Global, a: &Args, kind: Batch, fmt: Option<&str>) -> Result<i32, Exit> {
    // `--textconv`/`--filters` transform the blobs a batch shows.
    let transform = match a.mode {
        Some((Mode::Filter, c)) => Some(c == "--textconv"),
        Some((_, c)) => {
            return Err(usage(format!(
                "fatal: '{c}' is incompatible with batch mode"
            )));
        }
        None => None,
    };
    if !a.positional.is_empty() {
        return Err(usage("fatal: batch modes take no arguments"));
    }
    let format = Format::parse(fmt.unwrap_or(DEFAULT)).map_err(Exit::Fatal)?;
    let mut cx = global.open()?;
    // Every object as stored: git walks them so too.
    if !a.all {
        cx.refuse_replace_refs()?;
    }
    // git buffers the output of --batch-all-objects as if --buffer were given.
    let opts = BatchOptions {
        kind,
        format,
        all: a.all,
        unordered: a.unordered,
        buffer: a.buffer || a.all,
        nul_input: a.z || a.big_z,
        nul_output: a.big_z,
        follow_symlinks: a.follow,
        mailmap: a.mailmap.then(|| cx.mailmap()),
        textconv: transform,
    };
    cx.batch = true;
    let cx = Arc::new(cx);
    let odb = &cx.odb;
    if pack_order::applies(odb, &opts) {
        return pack_order::run(global, &cx, &opts);
    }
    if let Some(packs) = headers::applies(odb, &opts)?
        && let Some(code) = headers::run(odb, &opts, &packs)?
    {
        return Ok(code);
    }
    batch::run(global, &cx, &opts)
}

/// git's refusal of `--allow-unknown-type` outside `-t` and `-s`, made
/// once the arguments are known good.
fn refuse_unknown_type(a: &Args) -> Result<(), Exit> {
    if a.unknown_type && !matches!(a.mode, Some((Mode::Type | Mode::Size, _))) {
        return Err(Exit::Fatal(
            "git cat-file --allow-unknown-type: use with -s or -t".into(),
        ));
    }
    Ok(())
}

/// `-t`, `-s`, `-e`, `-p` or `<type> <object>`.
fn run_single(global: &Global, mut a: Args) -> Result<i32, Exit> {
    let positional = &mut a.positional;
    match a.mode {
        Some((m, c)) => {
            let obj = match positional.len() {
                0 => return Err(usage(format!("fatal: <object> required with '{c}'"))),
                1 => positional.pop().expect("one"),
                _ => return Err(usage("fatal: too many arguments")),
            };
            refuse_unknown_type(&a)?;
            single::one_object(global, m, &obj, a.unknown_type, a.mailmap)
        }
        None => match positional.len() {
            2 => {
                let obj = positional.pop().expect("two");
                let ty = positional.pop().expect("two");
                refuse_unknown_type(&a)?;
                single::typed_object(global, &ty, &obj, a.mailmap)
            }
            0 => Err(usage("")),
            1 => Err(usage(
                "fatal: only two arguments allowed in <type> <object> mode, not 1",
            )),
            n => Err(usage(format!(
                "fatal: only two arguments allowed in <type> <object> mode, not {n}"
            ))),
        },
    }
}
