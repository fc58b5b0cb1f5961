//! `packread cat-file`: git's `cat-file`, byte for byte. This module reads
//! the arguments; `single` answers for one object, `batch` for many.

mod batch;
mod headers;
mod pack_order;
mod single;

use std::sync::Arc;

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
}

/// Parses `cat-file`'s arguments and runs the mode they name.
pub fn run(global: &Global, args: Vec<String>) -> Result<i32, Exit> {
    let mut mode: Option<(Mode, &'static str)> = None;
    let mut batch: Option<(Batch, Option<String>)> = None;
    let (mut all, mut unordered, mut buffer, mut z, mut big_z) =
        (false, false, false, false, false);
    let mut positional = Vec::new();
    let mut unknown_type = false;
    let mut follow = false;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let set_mode =
            |mode: &mut Option<(Mode, &'static str)>, m, c: &'static str| -> Result<(), Exit> {
                match *mode {
                    Some((_, old)) if old != c => Err(Exit::UsageLine(format!(
                        "error: options '{c}' and '{old}' cannot be used together"
                    ))),
                    _ => {
                        *mode = Some((m, c));
                        Ok(())
                    }
                }
            };
        let mut set_batch = |kind, fmt: Option<String>| -> Result<(), Exit> {
            if batch.is_some() {
                return Err(Exit::UsageLine(
                    "error: only one batch option may be specified".into(),
                ));
            }
            batch = Some((kind, fmt));
            Ok(())
        };
        match arg.as_str() {
            "-t" => set_mode(&mut mode, Mode::Type, "-t")?,
            "-s" => set_mode(&mut mode, Mode::Size, "-s")?,
            "-e" => set_mode(&mut mode, Mode::Exists, "-e")?,
            "-p" => set_mode(&mut mode, Mode::Pretty, "-p")?,
            "--textconv" => set_mode(&mut mode, Mode::Filter, "--textconv")?,
            "--filters" => set_mode(&mut mode, Mode::Filter, "--filters")?,
            "--batch" => set_batch(Batch::Contents, None)?,
            "--batch-check" => set_batch(Batch::Check, None)?,
            "--batch-all-objects" => all = true,
            "--unordered" => unordered = true,
            "--no-unordered" => unordered = false,
            "--buffer" => buffer = true,
            "--no-buffer" => buffer = false,
            "-z" => z = true,
            "-Z" => big_z = true,
            "-h" => return Err(Exit::Help(USAGE)),
            "--" => positional.extend(args.by_ref()),
            a if a.starts_with("--batch=") => {
                set_batch(Batch::Contents, Some(a["--batch=".len()..].to_owned()))?;
            }
            a if a.starts_with("--batch-check=") => {
                set_batch(Batch::Check, Some(a["--batch-check=".len()..].to_owned()))?;
            }
            "--batch-command" => set_batch(Batch::Command, None)?,
            a if a.starts_with("--batch-command=") => {
                set_batch(
                    Batch::Command,
                    Some(a["--batch-command=".len()..].to_owned()),
                )?;
            }
            "--follow-symlinks" => follow = true,
            "--no-follow-symlinks" => follow = false,
            "--allow-unknown-type" => unknown_type = true,
            "--no-allow-unknown-type" => unknown_type = false,
            a if a.starts_with('-') && a.len() > 1 => return Err(unknown_option(a, USAGE)),
            _ => positional.push(arg),
        }
    }

    if unknown_type && mode.is_some() && !matches!(mode, Some((Mode::Type | Mode::Size, _))) {
        return Err(Exit::Fatal(
            "git cat-file --allow-unknown-type: use with -s or -t".into(),
        ));
    }
    if let Some((Mode::Filter, option)) = mode {
        // `--textconv`/`--filters` <object>:<path>: a path needs revisions,
        // and batches with filters need attributes; neither is supported.
        return match positional.as_slice() {
            _ if batch.is_some() => Err(Exit::Fatal(format!(
                "packread cat-file does not support {option}"
            ))),
            [] => Err(usage(format!("fatal: <rev> required with '{option}'"))),
            [name] if !name.contains(':') => Err(Exit::Fatal(format!(
                "<object>:<path> required, only <object> '{name}' given"
            ))),
            _ => Err(Exit::Fatal(format!(
                "packread cat-file does not support {option}"
            ))),
        };
    }
    if let Some((kind, fmt)) = batch {
        if let Some((_, c)) = mode {
            return Err(usage(format!(
                "fatal: '{c}' is incompatible with batch mode"
            )));
        }
        if !positional.is_empty() {
            return Err(usage("fatal: batch modes take no arguments"));
        }
        let format = Format::parse(fmt.as_deref().unwrap_or(DEFAULT)).map_err(Exit::Fatal)?;
        // git buffers the output of --batch-all-objects as if --buffer were given.
        let opts = BatchOptions {
            kind,
            format,
            all,
            unordered,
            buffer: buffer || all,
            nul_input: z || big_z,
            nul_output: big_z,
            follow_symlinks: follow,
        };
        let mut cx = global.open()?;
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
        return batch::run(global, &cx, &opts);
    }
    if follow {
        return Err(usage("fatal: '--follow-symlinks' requires a batch mode"));
    }
    if all {
        return Err(usage("fatal: '--batch-all-objects' requires a batch mode"));
    }
    if unordered || buffer || z || big_z {
        let opt = if unordered {
            "--unordered"
        } else if buffer {
            "--buffer"
        } else if z {
            "-z"
        } else {
            "-Z"
        };
        return Err(usage(format!("fatal: '{opt}' requires a batch mode")));
    }
    match mode {
        Some((m, c)) => {
            let obj = match positional.len() {
                0 => return Err(usage(format!("fatal: <object> required with '{c}'"))),
                1 => positional.pop().expect("one"),
                _ => return Err(usage("fatal: too many arguments")),
            };
            single::one_object(global, m, &obj, unknown_type)
        }
        None => match positional.len() {
            2 => {
                let obj = positional.pop().expect("two");
                let ty = positional.pop().expect("two");
                single::typed_object(global, &ty, &obj)
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
