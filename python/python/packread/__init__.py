"""packread: read git object databases through sliding memory-map windows.

A native object database (``Odb``), git's revisions (``Repository``), and an
object database GitPython accepts (``packread.gitpython.PackreadDB``)::

    import packread
    odb = packread.Odb(".")                  # a work tree, .git or objects dir
    obj = odb.read("ce013625030ba8dba906f756967f9e9ca394464a")
    obj.type, obj.size, obj.data             # 'blob', 6, b'hello\\n'
    odb.header(obj_id)                       # ('blob', 6), without reading it whole
    with odb.stream(obj_id) as s:            # an io.RawIOBase: big blobs never whole
        chunk = s.read(65536)
    for oid, kind, data in odb.iter_objects():   # every object once, cheapest order
        ...
    repo = packread.Repository(".")
    repo.rev_parse("HEAD~2:README.md")       # git's revisions

Ids are hex ``str`` or raw ``bytes``. Reads release the GIL; any number of
threads can read one ``Odb``.
"""

import io
import typing

from importlib.metadata import PackageNotFoundError, version

from ._packread import (
    AmbiguousObjectName,
    BadRevision,
    Commit,
    CorruptObjectError,
    FileChange,
    NotARepository,
    Object,
    ObjectNotFound,
    Odb,
    PackreadError,
    PackreadWarning,
    Repository,
    Signature,
    WalkParentError,
)

if typing.TYPE_CHECKING:
    from ._packread import Stream as _Stream

try:
    __version__ = version("packread")
except PackageNotFoundError:  # pragma: no cover - run from a source tree
    __version__ = "0.0.0"

__all__ = [
    "AmbiguousObjectName",
    "BadRevision",
    "Commit",
    "CorruptObjectError",
    "FileChange",
    "NotARepository",
    "Object",
    "ObjectNotFound",
    "ObjectStream",
    "Odb",
    "PackreadError",
    "PackreadWarning",
    "Repository",
    "Signature",
    "WalkParentError",
]


class ObjectStream(io.RawIOBase):
    """An object's content, read piece by piece (``Odb.stream``).

    ``type`` and ``size`` say what it is; ``read(n)`` returns up to ``n``
    bytes (all that is left without ``n``), ``b""`` at the end.
    """

    def __init__(self, native: "_Stream") -> None:
        super().__init__()
        self._native = native
        self.type = native.type
        self.size = native.size

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        """Frees the native stream at once (not when collected)."""
        if not self.closed:
            self._native.close()
        super().close()

    def read(self, size: "int | None" = -1) -> bytes:
        if self.closed:
            raise ValueError("I/O operation on closed stream")
        if size is None or size < 0:
            return self._native.read(-1)
        return self._native.read(size)

    def readall(self) -> bytes:
        return self.read(-1)

    def readinto(self, buffer: "bytearray | memoryview") -> int:  # type: ignore[override]
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)

    def __repr__(self) -> str:
        return f"<packread.ObjectStream {self.type} of {self.size} bytes>"
