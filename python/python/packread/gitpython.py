"""An object database for GitPython, backed by packread.

Switch a program over in one line::

    repo = packread.gitpython.Repo(path)

``Repo`` is a ``git.Repo`` whose object reads go to ``PackreadDB`` and whose
history calls (``iter_commits``, ``Commit.iter_parents``, ``Commit.count``,
``merge_base``, ``is_ancestor``, ``Commit.stats``) are answered in-process:
the ``git rev-list``, ``git merge-base``, ``git diff-tree`` and ``git diff``
commands GitPython runs for them never start git (see ``Git``). To keep
GitPython's own ``Repo`` and only change its database::

    repo = git.Repo(path, odbt=packread.gitpython.PackreadDB)

Reads (``info``, ``stream``, ``has_object``, ``partial_to_complete_sha_hex``,
``sha_iter``, ``size``) go to packread: packs, the multi-pack-index, loose
objects and alternates, through sliding memory-map windows, with the GIL
released. New objects (commits, trees and blobs GitPython writes) are
written by packread as ``git hash-object -w`` writes them (the
repository's compression and shared permissions), without starting git.
"""

import io
import os
from io import BytesIO

try:
    import git
    from git.cmd import safe_decode
    from git.compat import defenc
    from git.exc import GitCommandError
    from gitdb.base import OInfo, OStream
    from gitdb.db.loose import LooseObjectDB
    from gitdb.exc import AmbiguousObjectName as _GitdbAmbiguous
    from gitdb.exc import BadObject
except ImportError as _missing:  # pragma: no cover - depends on the install
    raise ImportError(
        f"packread.gitpython needs GitPython ({_missing}): install it with "
        "`pip install 'packread[gitpython]'` (or `pip install GitPython`)"
    ) from _missing

import packread
from packread import _served

__all__ = ["PackreadDB", "MissingObject", "Repo", "Git"]

# Objects up to this size are read whole and handed out in a BytesIO (one
# call into Rust); bigger ones are streamed, never held whole.
_WHOLE_BELOW = 8 << 20

_TYPES = {name: name.encode() for name in ("blob", "tree", "commit", "tag")}


class MissingObject(BadObject, ValueError):
    """No object has this id. A ``BadObject``, as gitdb's databases raise,
    and a ``ValueError``, as GitPython's default ``GitCmdObjectDB`` raises,
    in its words (``SHA b'<hex>' could not be resolved, git returned:
    b'<hex> missing'``), which programs match."""

    def __str__(self):
        hexsha = self.args[0].hex() if isinstance(self.args[0], bytes) else str(self.args[0])
        return f"SHA {hexsha.encode()!r} could not be resolved, git returned: {(hexsha + ' missing').encode()!r}"


class PackreadDB(LooseObjectDB):
    """GitPython's object database, read by packread.

    ``PackreadDB(root_path)``: ``root_path`` is the repository's objects
    directory (GitPython passes it). Optional keyword arguments go to
    ``packread.Odb`` (``window_size``, ``memory_limit``, ...).
    """

    def __init__(self, root_path: "str | os.PathLike[str]", **options: object) -> None:
        super().__init__(root_path)
        self._options = options
        self._odb = packread.Odb(root_path, **options)
        # git's `cat-file`, which GitPython's default database runs, reads
        # an object through its replacement (`git replace`), under its id.
        self._replaced = _replacements(root_path)

    def __reduce__(self):
        # Pickled (with a git.Repo, say) as what it was opened on.
        return (_reopen, (type(self), self.root_path(), self._options))

    # --- reading -------------------------------------------------------

    def info(self, binsha):
        try:
            kind, size = self._odb.header(self._replaced.get(binsha, binsha))
        except packread.ObjectNotFound:
            raise MissingObject(binsha) from None
        return OInfo(binsha, _TYPES[kind], size)

    def stream(self, binsha):
        try:
            kind, size, content = self._odb.read_or_stream(self._replaced.get(binsha, binsha), _WHOLE_BELOW)
        except packread.ObjectNotFound:
            raise MissingObject(binsha) from None
        if isinstance(content, bytes):
            content = BytesIO(content)
        return OStream(binsha, _TYPES[kind], size, content)

    def has_object(self, binsha):
        return binsha in self._odb

    def __contains__(self, binsha):
        return binsha in self._odb

    def partial_to_complete_sha_hex(self, partial_hexsha):
        if isinstance(partial_hexsha, bytes):
            # GitPython's is_valid_object hands over hex as bytes.
            try:
                partial_hexsha = partial_hexsha.decode("ascii")
            except UnicodeDecodeError:
                raise BadObject(partial_hexsha) from None
        try:
            return bytes.fromhex(self._odb.resolve_prefix(partial_hexsha))
        except packread.AmbiguousObjectName:
            raise _GitdbAmbiguous(partial_hexsha) from None
        except (packread.ObjectNotFound, ValueError):
            padded = (partial_hexsha + "0" * 40)[:40]
            try:
                raise BadObject(bytes.fromhex(padded)) from None
            except ValueError:
                raise BadObject(partial_hexsha) from None

    def sha_iter(self):
        return iter(self._odb.ids(binary=True))

    def size(self):
        return len(self._odb.ids(binary=True))

    # --- writing -------------------------------------------------------

    def store(self, istream):
        """Writes the object ``istream`` describes as a loose object, as
        ``git hash-object -w --stdin`` would (GitPython's default database
        runs that), and sets its ``binsha``. A stream with ``binsha`` set
        already, or a database writing to another stream (``ostream``),
        goes through gitdb's writer as before."""
        kind = istream.type.decode() if isinstance(istream.type, bytes) else str(istream.type)
        if istream.binsha is not None or self.ostream() is not None or kind not in _TYPES:
            return super().store(istream)
        hexsha = self._odb.write(kind, istream, istream.size)
        istream.binsha = bytes.fromhex(hexsha)
        return istream

    def update_cache(self, force=False):
        """Picks up packs written or removed since (after a fetch, say)."""
        self._odb.refresh()
        return True

    def __repr__(self):
        return f"<packread.gitpython.PackreadDB {self.root_path()}>"


def _replacements(objects_dir):
    """The objects git reads through replacements in the repository whose
    objects directory this is: raw id to raw id, chains followed as git
    follows them (five replacements at most; past that git dies on the
    object, and so does reading it here)."""
    try:
        repo = packread.Repository(os.path.dirname(os.path.abspath(objects_dir)))
        pairs = repo.replacements()
    except (packread.PackreadError, KeyError, OSError):
        return {}
    direct = {bytes.fromhex(a): bytes.fromhex(b) for a, b in pairs}
    followed = {}
    for original, target in direct.items():
        for _ in range(3):
            if target not in direct:
                break
            target = direct[target]
        else:
            if target in direct:
                # git: "replace depth too high for object ..."
                target = b"\0" * len(original)
        followed[original] = target
    return followed


def _reopen(cls, root_path, options):
    return cls(root_path, **options)


class _Stdout(io.RawIOBase):
    """A served command's standard output: the chunks its answer comes in,
    read as they are made. A failure while reading ends the output and
    becomes the command's status and message, as git's would."""

    def __init__(self, chunks, process):
        super().__init__()
        self._chunks = iter(chunks)
        self._pending = b""
        self._process = process

    def readable(self):
        return True

    def readinto(self, buffer):
        while not self._pending:
            if self._chunks is None:
                return 0
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                self._chunks = None
                return 0
            except (packread.PackreadError, KeyError, OSError) as e:
                self._chunks = None
                self._process._fail(e)
                return 0
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n

    def readall(self):
        # What `read()` to the end asks for (`communicate`): the chunks
        # joined once, not copied through a buffer eight KiB at a time.
        # A walk's lines come in one piece (`LineIter.rest`).
        parts = [self._pending] if self._pending else []
        self._pending = b""
        rest = getattr(self._chunks, "rest", None)
        while self._chunks is not None:
            try:
                part = rest() if rest is not None else next(self._chunks)
                if rest is not None and not part:
                    raise StopIteration
                parts.append(part)
            except StopIteration:
                self._chunks = None
            except (packread.PackreadError, KeyError, OSError) as e:
                self._chunks = None
                self._process._fail(e)
        return parts[0] if len(parts) == 1 else b"".join(parts)


def _git_death(error):
    """What git prints where a served command fails with ``error``: for
    a walk that could not read a parent, what parsing the parent said, then
    where the walk gave up."""
    stage = getattr(error, "stage", None)
    reason = getattr(error, "reason", None)
    if stage is None and isinstance(error, KeyError) and getattr(error, "commit", None):
        # A commit the graph lists, whose object is gone, read for a filter.
        return f"fatal: cannot read commit object {error.commit}\n"
    if stage is None or reason not in ("missing", "not a commit"):
        return f"fatal: {error}\n"
    parent, commit = error.parent, error.commit
    said = f"Could not read {parent}" if reason == "missing" else f"Object {parent} not a commit"
    if stage == "setup":
        death = "revision walk setup failed"
    elif stage == "simplify":
        death = f"cannot simplify commit {commit} (because of {parent})"
    else:
        death = f"Failed to traverse parents of commit {commit}"
    return f"error: {said}\nfatal: {death}\n"


class _ServedProcess:
    """What ``Git.execute(..., as_process=True)`` wraps for a served
    command: a finished process as ``subprocess.Popen`` shows one."""

    pid = None
    stdin = None

    def __init__(self, args, status, chunks, stderr):
        self.args = args
        self._status = status
        self.returncode = None
        self._stderr = stderr
        self.stdout = io.BufferedReader(_Stdout(chunks, self), 1 << 16)
        self.stderr = io.BytesIO(stderr)

    def _fail(self, error):
        self._status = 128
        self._stderr += _git_death(error).encode()
        self.stderr = io.BytesIO(self._stderr)

    def poll(self):
        return self.wait()

    def wait(self, timeout=None):
        self.returncode = self._status
        return self._status

    def communicate(self, input=None, timeout=None):
        out = self.stdout.read()
        self.wait()
        return out, self.stderr.read()

    def terminate(self):
        self.stdout.close()

    kill = terminate


class Git(git.Git):
    """GitPython's ``git.Git``, with the history commands it runs answered
    by packread in-process.

    ``git rev-list`` (revisions, ranges, ``--all`` and the ref sets,
    ``--max-count``, ``--skip``, ``--since``/``--until``, ``--first-parent``,
    the orders, ``--reverse``, ``--merges``/``--no-merges``, parent counts,
    ``--author``/``--committer``/``--grep``, ``--full-history``,
    ``--parents``, ``--count``, ``-- <paths>``), ``git merge-base`` (``--all``,
    ``--is-ancestor``) and the ``diff-tree``/``diff`` calls of
    ``Commit.stats`` are served, ``as_process=True`` included, with git's
    bytes and exit status. Anything else — another command or option, a
    revision packread can't resolve, a repository whose settings change
    what git prints and packread doesn't read (``core.quotePath``,
    ``diff.algorithm``, ``core.attributesFile``, a system attributes
    file…), replace refs, grafts or a shallow clone — runs git as GitPython
    would. A partial clone's missing objects are fetched as git fetches
    them.
    ``served`` counts the commands answered in-process.
    """

    served = 0

    def __init__(self, working_dir=None):
        super().__init__(working_dir)
        self._packread = None
        self._last_walk = None

    def _serve_from(self, repository):
        self._packread = repository

    def execute(self, command, istream=None, **kwargs):
        answer = None
        if self._packread is not None and istream is None:
            answer = self._answer(command, kwargs)
        if answer is None:
            return super().execute(command, istream=istream, **kwargs)
        type(self).served += 1
        return answer

    _PLAIN_KWARGS = {
        "as_process",
        "with_extended_output",
        "with_exceptions",
        "stdout_as_string",
        "strip_newline_in_stdout",
    }

    def _answer(self, command, kwargs):
        if set(kwargs) - self._PLAIN_KWARGS or self._environment:
            return None
        if not isinstance(command, (list, tuple)) or len(command) < 2:
            return None
        if command[0] != self.GIT_PYTHON_GIT_EXECUTABLE:
            return None
        if not self._packread.plain_history():
            return None
        args = [str(a) for a in command[1:]]
        answer = _served.serve(self._packread, args)
        if answer is None:
            return None
        status, chunks, stderr, walk = answer
        if kwargs.get("as_process"):
            self._last_walk = (list(command), walk)
            return self.AutoInterrupt(_ServedProcess(list(command), status, chunks, stderr), list(command))
        process = _ServedProcess(list(command), status, chunks, stderr)
        stdout, stderr = process.communicate()
        status = process.wait()
        # A view, not a copy: `rev-list` of a long history is megabytes,
        # and each copy of it faults its pages in.
        out = memoryview(stdout)
        if stdout.endswith(b"\n") and kwargs.get("strip_newline_in_stdout", True):
            out = out[:-1]
        if stderr.endswith(b"\n"):
            stderr = stderr[:-1]
        if kwargs.get("with_exceptions", True) and status != 0:
            raise GitCommandError(list(command), status, stderr, bytes(out))
        if kwargs.get("stdout_as_string", True):
            # safe_decode's decoding, from the view.
            stdout = str(out, defenc, "surrogateescape")
        else:
            stdout = bytes(out) if len(out) != len(stdout) else stdout
        if kwargs.get("with_extended_output"):
            return status, stdout, safe_decode(stderr)
        return stdout


class _Repository:
    """What the served commands ask of a repository: packread's
    ``Repository`` and what GitPython knows of it (settings, work tree)."""

    def __init__(self, repo):
        self._repo = repo
        self.native = packread.Repository(repo.git_dir)
        self.common_dir = repo.common_dir
        self._settings = None
        self._replace = None

    def __getattr__(self, name):
        return getattr(self.native, name)

    def plain_history(self):
        """Whether git's history here is what packread walks: no replace
        refs or grafts rewrite it (a shallow boundary packread keeps as git
        does)."""
        common = self.common_dir
        if os.path.exists(os.path.join(common, "info", "grafts")):
            return False
        if os.environ.get("GIT_NO_REPLACE_OBJECTS"):
            return True
        stamp = _stamp((os.path.join(common, "packed-refs"), os.path.join(common, "refs", "replace")))
        if self._replace is None or self._replace[0] != stamp:
            self._replace = (stamp, bool(self.native.ref_ids("refs/replace/")))
        return not self._replace[1]

    def settings(self):
        """The (section, option) pairs set in git's configuration files,
        lower case (a subsection's options under the section's name): all
        of them, and those set outside the repository's own file; ``None``
        if they can't be read."""

        def pairs(reader):
            return {
                (section.split(" ", 1)[0].lower(), option.lower())
                for section in reader.sections()
                for option in reader.options(section)
            }

        stamp = _stamp(self._config_files())
        if self._settings is not None and self._settings[0] == stamp:
            return self._settings[1]
        try:
            outside = set()
            for level in ("system", "user", "global"):
                outside |= pairs(self._repo.config_reader(level))
            found = outside | pairs(self._repo.config_reader("repository")), outside
        except Exception:
            return None
        self._settings = (stamp, found)
        return found

    def _config_files(self):
        """The files GitPython reads settings from (their changes make
        ``settings`` read them again)."""
        home = os.path.expanduser("~")
        xdg = os.environ.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
        return (
            "/etc/gitconfig",
            os.path.join(home, ".gitconfig"),
            os.path.join(xdg, "git", "config"),
            os.path.join(self.common_dir, "config"),
            os.path.join(self._repo.git_dir, "config.worktree"),
        )

    def rev_parse_parents(self, commit):
        """The parents of ``commit`` (hex), as ``rev-list --parents -1``
        prints them: no read-ahead thread, no message read."""
        line = b"".join(self.native.rev_list_lines(commit, max_count=1, parents=True))
        return [p.decode() for p in line.split()[1:]]



def _stamp(paths):
    """What changes when any of ``paths`` is written, created or removed."""
    out = []
    for p in paths:
        try:
            st = os.stat(p)
            out.append((st.st_mtime_ns, st.st_size, st.st_ino))
        except OSError:
            out.append(None)
    return tuple(out)


class Repo(git.Repo):
    """A ``git.Repo`` read by packread: objects through ``PackreadDB``,
    history through ``Git`` (see there) — no git process for
    ``iter_commits``, ``Commit.iter_parents``, ``Commit.count``,
    ``merge_base``, ``is_ancestor`` or ``Commit.stats``.

    ``Repo(path)`` takes what ``git.Repo`` takes; ``odbt`` defaults to
    ``PackreadDB``.
    """

    GitCommandWrapperType = Git

    def __init__(
        self,
        path: "str | os.PathLike[str] | None" = None,
        odbt: type = PackreadDB,
        search_parent_directories: bool = False,
        expand_vars: bool = True,
    ) -> None:
        super().__init__(path, odbt=odbt, search_parent_directories=search_parent_directories, expand_vars=expand_vars)
        _serve_history(self)

    def iter_commits(self, rev=None, paths="", **kwargs):
        """GitPython's ``iter_commits``, its commits read ahead: each
        comes with the fields GitPython would read from it (tree, parents,
        author, committer, dates, message, signature) already set."""
        served_git = getattr(self.git, "_packread", None) is not None
        if served_git:
            self.git._last_walk = None
        commits = _stock_iter_commits(self, rev, paths, **kwargs)
        if not served_git:
            return commits
        served, self.git._last_walk = self.git._last_walk, None
        if served is None or served[1] is None:
            return commits
        command, (revs, walk_paths, options) = served
        return _read_ahead(self, command, self.git._packread.iter_gitpython(revs, walk_paths, **options))


_stock_iter_commits = git.Repo.iter_commits


def _serve_history(repo):
    """Has ``repo.git`` (a ``Git``) answer history commands with packread,
    unless packread can't open the repository (git answers then)."""
    if not isinstance(repo.git, Git):
        return
    try:
        repo.git._serve_from(_Repository(repo))
    except (packread.PackreadError, KeyError, OSError):
        pass


def _read_ahead(self, command, chunks):
    from git.objects.commit import Commit
    from git.objects.tree import Tree
    from git.util import Actor

    encoding = Commit.default_encoding
    tree_mode = Tree.tree_id << 12
    try:
        for chunk in chunks:
            for item in chunk:
                if isinstance(item, bytes):
                    yield Commit(self, item)
                    continue
                (binsha, tree, parents, an, ae, at, az, cn, ce, ct, cz, message, sig) = item
                author = an.decode(encoding, "replace")
                committer = cn.decode(encoding, "replace")
                if author != author.rstrip() or committer != committer.rstrip():
                    # GitPython versions read such names differently.
                    yield Commit(self, binsha)
                    continue
                yield Commit(
                    self,
                    binsha,
                    tree=Tree(self, tree, tree_mode, ""),
                    author=Actor(author, ae.decode(encoding, "replace")),
                    authored_date=at,
                    author_tz_offset=az,
                    committer=Actor(committer, ce.decode(encoding, "replace")),
                    committed_date=ct,
                    committer_tz_offset=cz,
                    message=message.decode(encoding, "replace"),
                    parents=tuple(Commit(self, p) for p in parents),
                    encoding=encoding,
                    gpgsig="" if sig is None else sig.decode(encoding, "ignore"),
                )
    except (packread.PackreadError, KeyError, OSError) as e:
        # As git's rev-list failing: GitPython raises when it waits for it.
        raise GitCommandError(command, 128, _git_death(e).encode()) from e
