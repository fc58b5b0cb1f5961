"""An object database for GitPython, backed by packread.

Switch a program over in one line::

    repo = git.Repo(path, odbt=packread.gitpython.PackreadDB)

Reads (``info``, ``stream``, ``has_object``, ``partial_to_complete_sha_hex``,
``sha_iter``, ``size``) go to packread: packs, the multi-pack-index, loose
objects and alternates, through sliding memory-map windows, with the GIL
released. New objects (commits, trees and blobs GitPython writes) are
stored as loose objects by gitdb's ``LooseObjectDB``, as GitPython's own
``GitDB`` stores them, and are read back by packread at once.
"""

from io import BytesIO

from gitdb.base import OInfo, OStream
from gitdb.db.loose import LooseObjectDB
from gitdb.exc import AmbiguousObjectName as _GitdbAmbiguous
from gitdb.exc import BadObject

import packread

__all__ = ["PackreadDB", "MissingObject"]

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

    def __init__(self, root_path, **options):
        super().__init__(root_path)
        self._options = options
        self._odb = packread.Odb(root_path, **options)

    def __reduce__(self):
        # Pickled (with a git.Repo, say) as what it was opened on.
        return (_reopen, (type(self), self.root_path(), self._options))

    # --- reading -------------------------------------------------------

    def info(self, binsha):
        try:
            kind, size = self._odb.header(binsha)
        except packread.ObjectNotFound:
            raise MissingObject(binsha) from None
        return OInfo(binsha, _TYPES[kind], size)

    def stream(self, binsha):
        try:
            kind, size, content = self._odb.read_or_stream(binsha, _WHOLE_BELOW)
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

    def update_cache(self, force=False):
        """Picks up packs written or removed since (after a fetch, say)."""
        self._odb.refresh()
        return True

    def __repr__(self):
        return f"<packread.gitpython.PackreadDB {self.root_path()}>"


def _reopen(cls, root_path, options):
    return cls(root_path, **options)
