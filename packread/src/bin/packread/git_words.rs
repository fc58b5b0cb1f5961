//! git's words for what the library reports as types: the one place where a
//! reason becomes the lines git prints. The library's own `Display` is never
//! shown where git would say something else.

use std::path::Path;

use packread::object::tree::TreeError;
use packread::pack::{MidxChunk, MidxProblem};
use packread::revision::RevisionWarning;
use packread::{
    Corruption, DeltaError, Error, IndexProblem, RevisionProblem, StreamError, Warning,
};

/// What git adds after its warning when a full id is also a ref's name
/// (`object_name_msg`, shown while `advice.objectNameWarning` is on).
const OBJECT_NAME_ADVICE: &str = "Git normally never creates a ref that ends with 40 hex characters
because it will be ignored when you just specify 40-hex. These refs
may be created by mistake. For example,

  git switch -c $br $(git rev-parse ...)

where \"$br\" is somehow empty and a 40-hex ref is created. Please
examine these refs and maybe delete them. Turn this message off by
running \"git config advice.objectNameWarning false\"";

/// zlib's message for a stream error, where zlib names it the way the
/// inflater reports it (zlib has a dozen words for invalid deflate data,
/// which the inflater doesn't tell apart).
pub fn zlib_words(e: StreamError) -> Option<&'static str> {
    match e {
        StreamError::HeaderCheck => Some("incorrect header check"),
        StreamError::UnknownMethod => Some("unknown compression method"),
        StreamError::WindowSize => Some("invalid window size"),
        StreamError::Checksum => Some("incorrect data check"),
        _ => None,
    }
}

/// The line git's `open_pack_index` prints for an index it can't load
/// (after `error: `), the path as given.
pub fn index_problem(index: &Path, problem: IndexProblem) -> String {
    let idx = index.display();
    match problem {
        IndexProblem::TooSmall => format!("index file {idx} is too small"),
        IndexProblem::UnsupportedVersion(v) => format!(
            "index file {idx} is version {v} and is not supported by this binary (try upgrading GIT to a newer version)"
        ),
        IndexProblem::NonMonotonic => format!("non-monotonic index {idx}"),
        IndexProblem::WrongSize { version } => format!("wrong index v{version} file size in {idx}"),
        _ => format!("{idx}: {problem}"),
    }
}

/// What git dies of for a 32-bit offset slot that names a 64-bit entry
/// past the table, in the index of the pack git names `pack`.
pub fn index_offset_beyond_end(pack: &str) -> String {
    format!("offset beyond end of pack index for {pack} (truncated index?)")
}

/// The line git's `patch_delta` prints for a delta it refuses, if it
/// prints one.
pub fn delta_error_line(e: DeltaError) -> Option<&'static str> {
    match e {
        DeltaError::OpcodeZero => Some("unexpected delta opcode 0"),
        DeltaError::TruncatedCopy
        | DeltaError::CopyOutsideBase
        | DeltaError::CopyPastResult
        | DeltaError::InsertPastEnd
        | DeltaError::ResultSizeMismatch
        | DeltaError::ResultTooLarge => Some("delta replay has gone wild"),
        _ => None,
    }
}

/// git's `error:` line for `w` (without `error: `), paths as they are
/// (see [`crate::report_warnings`]).
pub fn warning(w: &Warning) -> String {
    match w {
        Warning::AlternatesTooDeep { objects_dir } => format!(
            "{}: ignoring alternate object stores, nesting too deep",
            objects_dir.display()
        ),
        Warning::UnresolvableAlternate { path } => format!(
            "unable to normalize alternate object path: {}",
            path.display()
        ),
        Warning::MissingAlternate { path } => format!(
            "object directory {} does not exist; check .git/objects/info/alternates",
            path.display()
        ),
        Warning::MultiPackIndexIgnored { path, problem } => midx(path, problem).0.join("\n"),
        Warning::BadIndex { index, problem } => index_problem(index, *problem),
        Warning::PackMismatchesIndex { pack } => {
            format!("packfile {} does not match index", pack.display())
        }
        other => other.to_string(),
    }
}

/// git's name for a required chunk in `missing or corrupted`.
fn chunk_name(c: MidxChunk) -> &'static str {
    match c {
        MidxChunk::PackNames => "pack-name",
        MidxChunk::OidFanout => "OID fanout",
        MidxChunk::OidLookup => "OID lookup",
        _ => "object offsets",
    }
}

/// git's `error:` lines (without `error: `) and, if it dies of it, its
/// fatal message for a multi-pack-index at `path` with `problem`.
pub fn midx(path: &Path, problem: &MidxProblem) -> (Vec<String>, Option<String>) {
    let missing = |c| {
        format!(
            "multi-pack-index required {} chunk missing or corrupted",
            chunk_name(c)
        )
    };
    let error = |line: String| (vec![line], None);
    let fatal = |msg: String| (Vec::new(), Some(msg));
    match problem {
        MidxProblem::Unreadable(e) => error(format!("could not read multi-pack-index: {e}")),
        MidxProblem::TooSmall => error(format!(
            "multi-pack-index file {} is too small",
            path.display()
        )),
        MidxProblem::BadSignature(found) => fatal(format!(
            "multi-pack-index signature 0x{found:08x} does not match signature 0x{:08x}",
            u32::from_be_bytes(*b"MIDX")
        )),
        MidxProblem::UnsupportedVersion(v) => {
            fatal(format!("multi-pack-index version {v} not recognized"))
        }
        MidxProblem::HashVersionMismatch { found, expected } => error(format!(
            "multi-pack-index hash version {found} does not match version {expected}"
        )),
        MidxProblem::EarlyTerminatingChunk => {
            error("terminating chunk id appears earlier than expected".to_owned())
        }
        MidxProblem::UnalignedChunk(id) => error(format!("chunk id {id:x} not 4-byte aligned")),
        MidxProblem::BadChunkOffsets { start, next } => {
            error(format!("improper chunk offset(s) {start:x} and {next:x}"))
        }
        MidxProblem::DuplicateChunk(id) => error(format!("duplicate chunk ID {id:x} found")),
        MidxProblem::NonZeroFinalChunk(id) => error(format!("final chunk has non-zero id {id:x}")),
        MidxProblem::MissingChunk(c) => fatal(missing(*c)),
        MidxProblem::WrongChunkSize(c) => {
            let what = match c {
                MidxChunk::OidFanout => "OID fanout is of the wrong size",
                MidxChunk::OidLookup => "OID lookup chunk is the wrong size",
                _ => "object offset chunk is the wrong size",
            };
            (vec![format!("multi-pack-index {what}")], Some(missing(*c)))
        }
        MidxProblem::FanoutOutOfOrder {
            index,
            before,
            value,
        } => (
            vec![format!(
                "oid fanout out of order: fanout[{}] = {before:x} > {value:x} = fanout[{index}]",
                index - 1
            )],
            Some(missing(MidxChunk::OidFanout)),
        ),
        MidxProblem::PackNamesTooShort => {
            fatal("multi-pack-index pack-name chunk is too short".to_owned())
        }
        MidxProblem::PackNamesOutOfOrder { first, second } => fatal(format!(
            "multi-pack-index pack names out of order: '{first}' before '{second}'"
        )),
        other => fatal(other.to_string()),
    }
}

/// The lines git prints for `w` met resolving a revision; in batch mode
/// none for a ref named like an id (git turns that warning off there).
pub fn revision_warning(w: &RevisionWarning, batch: bool) -> Vec<String> {
    let ambiguous = |name: &str| format!("warning: refname '{name}' is ambiguous.");
    match w {
        RevisionWarning::AmbiguousRef(name) => vec![ambiguous(name)],
        RevisionWarning::RefNamedLikeId(_) if batch => Vec::new(),
        RevisionWarning::RefNamedLikeId(name) => {
            vec![ambiguous(name), OBJECT_NAME_ADVICE.to_owned()]
        }
        RevisionWarning::DanglingSymref(name) => {
            vec![format!("warning: ignoring dangling symref {name}")]
        }
        RevisionWarning::BrokenRef(name) => vec![format!("warning: ignoring broken ref {name}")],
        RevisionWarning::PeelMismatch {
            name,
            expected,
            found,
        } => vec![format!(
            "error: {name}: expected {expected} type, but the object dereferences to {found} type"
        )],
        RevisionWarning::NotACommit { id, kind } => {
            vec![format!("error: object {id} is a {kind}, not a commit")]
        }
        RevisionWarning::HashMismatch(id) => vec![format!("error: hash mismatch {id}")],
        // The commit-graph's lines, which only the context knows
        // (`Context::revision_warning_lines`).
        RevisionWarning::CommitParsed => Vec::new(),
        other => vec![format!("warning: {other}")],
    }
}

/// git's words for a tree it can't read.
pub fn tree_error(e: TreeError) -> &'static str {
    match e {
        TreeError::TooShort => "too-short tree object",
        TreeError::MalformedMode => "malformed mode in tree entry",
        TreeError::EmptyName => "empty filename in tree entry",
    }
}

/// What git dies with for `e` (after `fatal: `), where git has words of
/// its own; packread's description of the error otherwise.
pub fn fatal(e: &Error) -> String {
    match e {
        Error::Ambiguous(p) => format!("short object ID {p} is ambiguous"),
        Error::PromisorFetchFailed(id) => format!("could not fetch {id} from promisor remote"),
        Error::UnexpectedKind {
            id,
            expected,
            found,
        } => format!("object {id} is a {found}, not a {expected}"),
        Error::MalformedTree { id, problem } => format!("tree {id}: {}", tree_error(*problem)),
        // An index entry pointing past the pack's end, or past the index's
        // table of 64-bit offsets (git's use_pack, check_pack_index_ptr).
        Error::Corrupt {
            reason: Corruption::OffsetOutOfRange(_),
            ..
        } => "offset beyond end of packfile (truncated pack?)".to_owned(),
        Error::Corrupt {
            path,
            reason: Corruption::BadLargeOffsetIndex(_),
            ..
        } => index_offset_beyond_end(&crate::shown_path::shown_path(&path.with_extension("pack"))),
        // A commit-graph parent past the graph's end (git's
        // `insert_parent_or_die`).
        Error::Corrupt {
            reason: Corruption::GraphPositionOutOfRange(pos),
            ..
        } => format!("invalid parent position {pos}"),
        Error::MultiPackIndex { path, problem } => {
            midx(path, problem).1.unwrap_or_else(|| e.to_string())
        }
        Error::Revision { name, problem, .. } => match problem {
            RevisionProblem::Unknown => format!("unknown revision '{name}'"),
            RevisionProblem::PathNotInTree { path, rev } => {
                format!("path '{path}' does not exist in '{rev}'")
            }
            RevisionProblem::PathOutsideRepository(path) => {
                format!("'{path}' is outside repository")
            }
            RevisionProblem::RelativePathWithoutWorkTree => {
                "relative path syntax can't be used outside working tree".to_owned()
            }
            RevisionProblem::Unsupported(what) => format!("'{name}': {what} is not supported"),
            _ => e.to_string(),
        },
        _ => e.to_string(),
    }
}

/// glibc's `regerror` words for a pattern the regex crate refused (`why`
/// is its message), as git prints them after `command line, '<pattern>': `.
pub fn regex_error(why: &str) -> &'static str {
    let table = [
        ("unclosed group", "Unmatched ( or \\("),
        ("unopened group", "Unmatched ) or \\)"),
        ("unclosed character class", "Unmatched [, [^, [:, [., or [="),
        (
            "repetition operator missing expression",
            "Invalid preceding regular expression",
        ),
        ("invalid character class range", "Invalid range end"),
        ("unclosed counted repetition", "Unmatched \\{"),
        (
            "invalid repetition count range",
            "Invalid content of \\{\\}",
        ),
        ("incomplete escape", "Trailing backslash"),
    ];
    table
        .iter()
        .find(|(ours, _)| why.contains(ours))
        .map_or("Invalid regular expression", |&(_, git)| git)
}

/// What git prints while loading a commit-graph that has `p` (nothing
/// for a file it can't open).
pub fn graph_problem(p: &packread::graph::GraphProblem) -> Vec<String> {
    use packread::graph::GraphProblem as G;
    let error = |m: String| format!("error: {m}");
    let warning = |m: String| format!("warning: {m}");
    let required = |what: &str, why: &Option<Box<G>>| {
        let mut lines: Vec<String> = why.as_deref().map(graph_problem).unwrap_or_default();
        lines.push(error(format!(
            "commit-graph required {what} chunk missing or corrupted"
        )));
        lines
    };
    match p {
        G::Unreadable(_) => Vec::new(),
        G::TooSmall => vec![error("commit-graph file is too small".into())],
        G::BadSignature(s) => vec![error(format!(
            "commit-graph signature {s:X} does not match signature 43475048"
        ))],
        G::UnsupportedVersion(v) => vec![error(format!(
            "commit-graph version {v:X} does not match version 1"
        ))],
        G::HashVersionMismatch { found, expected } => vec![error(format!(
            "commit-graph hash version {found:X} does not match version {expected:X}"
        ))],
        G::TooSmallForChunks(n) => vec![error(format!(
            "commit-graph file is too small to hold {n} chunks"
        ))],
        G::EarlyTerminatingChunk => {
            vec![error(
                "terminating chunk id appears earlier than expected".into(),
            )]
        }
        G::BadChunkOffsets { start, next } => {
            vec![error(format!(
                "improper chunk offset(s) {start:x} and {next:x}"
            ))]
        }
        G::UnalignedChunk(id) => vec![error(format!("chunk id {id:x} not 1-byte aligned"))],
        G::DuplicateChunk(id) => vec![error(format!("duplicate chunk ID {id:x} found"))],
        G::NonZeroFinalChunk(id) => vec![error(format!("final chunk has non-zero id {id:x}"))],
        G::MissingFanout(why) => required("OID fanout", why),
        G::FanoutWrongSize => vec![error("commit-graph oid fanout chunk is wrong size".into())],
        G::FanoutOutOfOrder => vec![error("commit-graph fanout values out of order".into())],
        G::MissingLookup(why) => required("OID lookup", why),
        G::LookupWrongSize => {
            vec![error(
                "commit-graph OID lookup chunk is the wrong size".into(),
            )]
        }
        G::MissingCommitData(why) => required("commit data", why),
        G::CommitDataWrongSize => {
            vec![error("commit-graph commit data chunk is wrong size".into())]
        }
        G::GenerationsWrongSize => {
            vec![error("commit-graph generations chunk is wrong size".into())]
        }
        G::BloomIndexTooSmall => {
            vec![warning(
                "commit-graph changed-path index chunk is too small".into(),
            )]
        }
        G::BloomDataTooSmall(len) => vec![warning(format!(
            "ignoring too-small changed-path chunk ({len} < 12) in commit-graph file"
        ))],
        G::ChainTooSmall => vec![warning("commit-graph chain file too small".into())],
        G::ChainLineNotAHash(line) => vec![warning(format!(
            "invalid commit-graph chain: line '{line}' not a hash"
        ))],
        G::NoBaseGraphsChunk => vec![warning("commit-graph has no base graphs chunk".into())],
        G::BaseGraphsTooSmall => {
            vec![warning(
                "commit-graph base graphs chunk is too small".into(),
            )]
        }
        G::ChainMismatch => vec![warning("commit-graph chain does not match".into())],
        G::MissingChainFiles => vec![warning("unable to find all commit-graph files".into())],
        G::BloomSettingsDiffer(id) => vec![warning(format!(
            "disabling Bloom filters for commit-graph layer '{id}' due to incompatible settings"
        ))],
        _ => vec![warning(p.to_string())],
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    #[test]
    fn multi_pack_index_problems_get_gits_error_and_fatal_lines() {
        let path = PathBuf::from("objects/pack/multi-pack-index");
        let (errors, fatal) = midx(&path, &MidxProblem::TooSmall);
        assert_eq!(
            errors,
            ["multi-pack-index file objects/pack/multi-pack-index is too small"]
        );
        assert_eq!(fatal, None);
        let (errors, fatal) = midx(&path, &MidxProblem::WrongChunkSize(MidxChunk::OidLookup));
        assert_eq!(
            errors,
            ["multi-pack-index OID lookup chunk is the wrong size"]
        );
        assert_eq!(
            fatal.as_deref(),
            Some("multi-pack-index required OID lookup chunk missing or corrupted")
        );
        let problem = MidxProblem::FanoutOutOfOrder {
            index: 3,
            before: 0x10,
            value: 0xf,
        };
        assert_eq!(
            midx(&path, &problem).0,
            ["oid fanout out of order: fanout[2] = 10 > f = fanout[3]"]
        );
        // Whether git dies is the library's answer; git's words agree with it.
        for p in [
            MidxProblem::BadSignature(0),
            MidxProblem::UnsupportedVersion(3),
            MidxProblem::MissingChunk(MidxChunk::PackNames),
            MidxProblem::PackNamesTooShort,
            MidxProblem::TooSmall,
            MidxProblem::DuplicateChunk(1),
            MidxProblem::EarlyTerminatingChunk,
        ] {
            assert_eq!(midx(&path, &p).1.is_some(), p.is_fatal(), "{p:?}");
        }
    }

    #[test]
    fn revision_warnings_are_gits_lines() {
        let named_like_id = RevisionWarning::RefNamedLikeId("a".repeat(40));
        assert!(revision_warning(&named_like_id, true).is_empty());
        let lines = revision_warning(&named_like_id, false);
        assert_eq!(
            lines[0],
            format!("warning: refname '{}' is ambiguous.", "a".repeat(40))
        );
        assert!(lines[1].starts_with("Git normally never creates a ref"));
        assert_eq!(
            revision_warning(&RevisionWarning::BrokenRef("refs/heads/x".into()), true),
            ["warning: ignoring broken ref refs/heads/x"]
        );
    }

    #[test]
    fn zlib_has_words_only_for_what_it_tells_apart() {
        assert_eq!(
            zlib_words(StreamError::Checksum),
            Some("incorrect data check")
        );
        assert_eq!(zlib_words(StreamError::InvalidData), None);
        assert_eq!(
            delta_error_line(DeltaError::OpcodeZero),
            Some("unexpected delta opcode 0")
        );
        assert_eq!(delta_error_line(DeltaError::BaseSizeMismatch), None);
    }
}
