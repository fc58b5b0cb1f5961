"""git commands GitPython runs for history, answered in-process by packread.

``serve(repository, args)`` takes the arguments after ``git`` (``rev-list``,
``merge-base``, ``diff-tree`` or ``diff`` and theirs) and returns what git
would: ``(status, stdout chunks, stderr, walk)`` (``walk``: for a listing
``rev-list``, the ``(revisions, paths, options)`` of its walk), or ``None``
when packread can't
promise git's exact answer (an option it doesn't know, a repository setting
that changes git's output, a revision it can't resolve) — the caller then
runs git itself, which also gives git's own error messages.
"""

import os
import re

import packread

# rev-list options without a value, and the walk option each sets.
_REV_LIST_FLAGS = {
    "--first-parent": "first_parent",
    "--topo-order": "topo_order",
    "--date-order": "date_order",
    "--author-date-order": "author_date_order",
    "--reverse": "reverse",
    "--merges": "merges",
    "--no-merges": "no_merges",
    "--full-history": "full_history",
    "--all-match": "all_match",
    "--invert-grep": "invert_grep",
    "-i": "regexp_ignore_case",
    "--regexp-ignore-case": "regexp_ignore_case",
    "-E": "extended_regexp",
    "--extended-regexp": "extended_regexp",
    "-F": "fixed_strings",
    "--fixed-strings": "fixed_strings",
    "--parents": "parents",
    "--no-walk": "no_walk",
    "--left-only": "left_only",
    "--right-only": "right_only",
}

# rev-list options with a value (`--name=value`), and how it is read.
_REV_LIST_VALUES = {
    "--max-count": ("max_count", int),
    "--skip": ("skip", int),
    "--since": ("since", str),
    "--after": ("since", str),
    "--until": ("until", str),
    "--before": ("until", str),
    "--max-age": ("since", int),
    "--min-age": ("until", int),
    "--min-parents": ("min_parents", int),
    "--max-parents": ("max_parents", int),
}

_PATTERNS = {"--author": "author", "--committer": "committer", "--grep": "grep"}

_REF_SETS = {"--all", "--branches", "--tags", "--remotes", "--not"}
_REF_PATTERNS = ("--branches=", "--tags=", "--remotes=", "--glob=", "--exclude=")


def serve(repository, args):
    """git's answer to ``git <args>``, or ``None`` (see the module)."""
    if not args:
        return None
    handler = _COMMANDS.get(args[0])
    if handler is None:
        return None
    try:
        answer = handler(repository, args[1:])
        if answer is not None and len(answer) == 3:
            answer = (*answer, None)
        return answer
    except (packread.PackreadError, KeyError, ValueError, TypeError, OSError):
        # Whatever git would say about it, git says best.
        return None


def _rev_list(repository, args):
    options, revs, paths, count = {}, [], [], False
    not_seen = False
    patterns = {}
    i = 0
    while i < len(args):
        a = args[i]
        i += 1
        if a == "--":
            paths = args[i:]
            break
        if a == "--count":
            count = True
        elif a == "--no-walk" and (revs or not_seen):
            # git keeps walking for excluded revisions given before it
            # only; packread's options come first: git answers.
            return None
        elif a in _REV_LIST_FLAGS:
            options[_REV_LIST_FLAGS[a]] = True
        elif a in _REF_SETS or a.startswith(_REF_PATTERNS):
            not_seen = not_seen or a == "--not"
            revs.append(a)
        elif a.startswith("-n") and a[2:].isdigit():
            options["max_count"] = int(a[2:])
        elif a == "-n" and i < len(args) and args[i].isdigit():
            options["max_count"] = int(args[i])
            i += 1
        elif a[:1] == "-" and a[1:].isdigit():
            options["max_count"] = int(a[1:])
        elif a.startswith("--") and "=" in a:
            name, value = a.split("=", 1)
            if name in _REV_LIST_VALUES:
                key, kind = _REV_LIST_VALUES[name]
                options[key] = kind(value)
            elif name in _PATTERNS:
                patterns.setdefault(_PATTERNS[name], []).append(value)
            else:
                return None
        elif a.startswith("-"):
            return None
        else:
            revs.append(a)
    if not revs or (count and options.get("parents")):
        return None
    options.update(patterns)
    if count:
        n = repository.count(revs, paths, **options)
        return 0, [b"%d\n" % n], b""
    # Revisions are resolved here, before any output: a bad one is git's to report.
    return 0, repository.rev_list_lines(revs, paths, **options), b"", (revs, paths, options)


def _merge_base(repository, args):
    flags = {"--all" if a == "-a" else a for a in args if a.startswith("-")}
    revs = [a for a in args if not a.startswith("-")]
    if flags - {"--all", "--is-ancestor"} or len(revs) < 2:
        return None
    if "--is-ancestor" in flags:
        if flags != {"--is-ancestor"} or len(revs) != 2:
            return None
        return (0 if repository.is_ancestor(revs[0], revs[1]) else 1), [], b""
    bases = repository.merge_base(*revs, all="--all" in flags)
    return (0 if bases else 1), [b"".join(b"%s\n" % b.encode() for b in bases)], b""


_DIFF_OPTIONS = {"--numstat", "--no-renames", "--raw", "-r", "--root"}


def _split_diff_args(args):
    """(options, revisions, paths) of a diff command line, paths after `--`."""
    if "--" in args:
        cut = args.index("--")
        head, paths = args[:cut], args[cut + 1 :]
    else:
        head, paths = args, []
    options = [a for a in head if a.startswith("-")]
    revs = [a for a in head if not a.startswith("-")]
    return set(options), revs, paths


def _diff_tree(repository, args):
    options, revs, paths = _split_diff_args(args)
    if not options <= _DIFF_OPTIONS or len(revs) != 1 or not options & {"--numstat", "-r"}:
        return None
    if not _diff_output_as_packread(repository):
        return None
    commit = repository.rev_parse(revs[0] + "^{commit}")
    parents = repository.rev_parse_parents(commit)
    if len(parents) > 1 or (not parents and "--root" not in options):
        return 0, [], b""  # git shows no diff for merges and, without --root, roots
    changes = repository.diff_tree(commit, paths=paths, numstat="--numstat" in options)
    if not _plain_paths(changes):
        return None
    if not changes:
        return 0, [], b""
    out = [commit.encode() + b"\n"]
    out.append(_diff_body(changes, options))
    return 0, out, b""


def _diff(repository, args):
    options, revs, paths = _split_diff_args(args)
    if not options <= {"--numstat", "--no-renames", "--raw"} or "--no-renames" not in options:
        return None
    if len(revs) != 2 or "--" not in args or ".." in revs[0] + revs[1]:
        return None
    if not _diff_output_as_packread(repository):
        return None
    changes = repository.diff_tree(revs[0], revs[1], paths=paths, numstat="--numstat" in options, abbrev=True)
    if not _plain_paths(changes):
        return None
    return 0, [_diff_body(changes, options)], b""


def _plain_paths(changes):
    """Whether every path came through whole (names that are not UTF-8
    reach Python with replacement characters: git shows those itself)."""
    return not any("\ufffd" in c.path for c in changes)


def _diff_body(changes, options):
    lines = []
    if "--raw" in options or "--numstat" not in options:
        for c in changes:
            old, new = c.old_id, c.new_id
            lines.append(
                ":%06o %06o %s %s %s\t%s\n" % (c.old_mode, c.new_mode, old, new, c.status, _quote(c.path))
            )
    if "--numstat" in options:
        for c in changes:
            if c.added is None:
                lines.append("-\t-\t%s\n" % _quote(c.path))
            else:
                lines.append("%d\t%d\t%s\n" % (c.added, c.deleted, _quote(c.path)))
    return "".join(lines).encode("utf-8", "surrogateescape")


def _quote(path):
    """A path as git shows it with core.quotePath: in double quotes with C
    escapes if it holds a control character, a quote, a backslash or a
    byte past ASCII."""
    raw = path.encode("utf-8", "surrogateescape")
    if not _NEEDS_QUOTES.search(raw):
        return path
    out = []
    for b in raw:
        if b in _ESCAPES:
            out.append(_ESCAPES[b])
        elif b < 0x20 or b >= 0x7F:
            out.append("\\%03o" % b)
        else:
            out.append(chr(b))
    return '"' + "".join(out) + '"'


# The bytes that make git quote a path (core.quotePath).
_NEEDS_QUOTES = re.compile(rb'[\x00-\x1f"\\\x7f-\xff]')

_ESCAPES = {0x07: "\\a", 0x08: "\\b", 0x09: "\\t", 0x0A: "\\n", 0x0B: "\\v", 0x0C: "\\f", 0x0D: "\\r", 0x22: '\\"', 0x5C: "\\\\"}

# Settings that change what git's diffs print and packread doesn't read:
# with any of them set, git answers.
_DIFF_SETTINGS = {
    ("core", "quotepath"),
    ("core", "abbrev"),
    ("core", "attributesfile"),
    ("core", "sparsecheckout"),
    ("diff", "algorithm"),
    ("diff", "ignoresubmodules"),
    ("diff", "external"),
    ("attr", "tree"),
}

# Settings packread reads from the repository's own config file only.
_REPOSITORY_SETTINGS = {("core", "bigfilethreshold"), ("diff", "binary")}

# Where git's system attributes file may be ($(prefix)/etc/gitattributes).
_SYSTEM_ATTRIBUTES = ("/etc/gitattributes", "/usr/local/etc/gitattributes")


def _diff_output_as_packread(repository):
    """Whether packread's diff prints what git's would here: no setting
    it doesn't read, no system attributes file, no GIT_ATTR_SOURCE."""
    settings = repository.settings()
    if settings is None:
        return False
    everywhere, outside_repository = settings
    if everywhere & _DIFF_SETTINGS or outside_repository & _REPOSITORY_SETTINGS:
        return False
    if os.environ.get("GIT_ATTR_SOURCE"):
        return False
    if not os.environ.get("GIT_ATTR_NOSYSTEM") and any(os.path.exists(p) for p in _SYSTEM_ATTRIBUTES):
        return False
    return True


_COMMANDS = {
    "rev-list": _rev_list,
    "merge-base": _merge_base,
    "diff-tree": _diff_tree,
    "diff": _diff,
}
