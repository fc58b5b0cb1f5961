"""The Python API behaves as Python users expect: one exception
hierarchy, comparable objects, closable and picklable databases, lazy
iteration, bytes accepted where ids and paths are, streams that free
their memory when closed, and git's warnings as Python warnings."""

import glob
import io
import os
import pickle
import resource
import shutil
import subprocess

import pytest

import packread
from conftest import all_objects, git


def test_exceptions_share_one_base(history):
    odb = packread.Odb(history)
    with pytest.raises(packread.PackreadError):
        odb.read("0" * 40)
    with pytest.raises(KeyError):
        odb.read("0" * 40)
    repo = packread.Repository(history)
    with pytest.raises(packread.BadRevision) as err:
        repo.rev_parse("no-such-ref")
    assert isinstance(err.value, KeyError) and isinstance(err.value, packread.PackreadError)
    assert issubclass(packread.AmbiguousObjectName, ValueError)
    assert issubclass(packread.AmbiguousObjectName, packread.PackreadError)


def test_objects_have_ids_and_compare(history):
    odb = packread.Odb(history)
    head = git(history, "rev-parse", "HEAD").decode().strip()
    a, b = odb.read(head), odb.read(bytes.fromhex(head))
    assert a.id == head and a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert a != odb.read(git(history, "rev-parse", "HEAD~1").decode().strip())
    assert head in repr(a)


def test_close_and_context_manager(history):
    with packread.Odb(history) as odb:
        assert odb.read(git(history, "rev-parse", "HEAD").decode().strip()).type == "commit"
    assert odb.closed
    with pytest.raises(ValueError, match="closed"):
        odb.header("0" * 40)


def test_pickling(history):
    odb = packread.Odb(history, window_size=1 << 16)
    again = pickle.loads(pickle.dumps(odb))
    head = git(history, "rev-parse", "HEAD").decode().strip()
    assert again.read(head) == odb.read(head)
    repo = pickle.loads(pickle.dumps(packread.Repository(history)))
    assert repo.rev_parse("HEAD") == head


def test_len_and_lazy_iteration(history):
    odb = packread.Odb(history)
    want = sorted(all_objects(history))
    assert len(odb) == len(want)
    it = iter(odb)
    assert next(it) == want[0]
    assert [want[0], *it] == want


def test_bytes_where_text_is_taken(history):
    odb = packread.Odb(os.fsencode(history))
    head = git(history, "rev-parse", "HEAD").decode().strip()
    assert odb.resolve_prefix(head[:12].encode()) == head
    assert packread.Repository(os.fsencode(history)).rev_parse("HEAD") == head


def test_closed_streams_free_their_memory(history):
    odb = packread.Odb(history)
    big = max(((i, s) for i, (k, s) in all_objects(history).items() if k == "blob"), key=lambda x: x[1])[0]
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for _ in range(20000):
        s = odb.stream(big)
        s.read(1)
        s.close()
        with pytest.raises(ValueError):
            s.read(1)
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kib < 64 * 1024, f"peak RSS grew {grown_kib} KiB"
    kept = [odb.stream(big) for _ in range(3)]
    for s in kept:
        s._native.close()
        with pytest.raises(OSError):
            s._native.read(1)


def test_git_warnings_are_python_warnings(history, tmp_path):
    copy = tmp_path / "repo"
    shutil.copytree(history, copy, symlinks=True)
    pack = glob.glob(str(copy / ".git/objects/pack/*.pack"))[0]
    with open(pack, "r+b") as f:
        f.seek(-1, os.SEEK_END)
        last = f.read(1)
        f.seek(-1, os.SEEK_END)
        f.write(bytes([last[0] ^ 0xFF]))
    packed = git(copy, "show-index", input=open(pack[:-5] + ".idx", "rb").read()).split()[1].decode()
    odb = packread.Odb(copy)
    with pytest.warns(packread.PackreadWarning, match="does not match its index"):
        with pytest.raises(packread.ObjectNotFound):
            odb.read(packed)


def test_writes_as_git_hash_object(writable):
    odb = packread.Odb(writable)
    for kind, data in [("blob", b"new blob\n"), ("blob", b""), ("blob", bytes(range(256)) * 500)]:
        want = git(writable, "hash-object", "-t", kind, "--stdin", input=data).decode().strip()
        assert odb.write(kind, data) == want
        assert git(writable, "cat-file", kind, want) == data
        assert odb.write(kind, io.BytesIO(data), len(data)) == want
    with pytest.raises(ValueError, match="5 bytes short of the 10"):
        odb.write("blob", io.BytesIO(b"short"), 10)
    git(writable, "fsck", "--strict", "--no-dangling")


def test_partial_clones_fetch_what_they_lack(writable, tmp_path):
    git(writable, "config", "uploadpack.allowfilter", "true")
    clone = tmp_path / "partial.git"
    git(tmp_path, "clone", "-q", "--bare", "--filter=blob:none", f"file://{writable}", str(clone))
    blob = git(writable, "rev-parse", "HEAD:loose.txt").decode().strip()
    with pytest.raises(packread.ObjectNotFound):
        packread.Odb(clone, lazy_fetch=False).read(blob)
    # Fetched, as git would: git now finds it without fetching.
    assert packread.Odb(clone).read(blob).data == b"a loose blob\n"
    here = subprocess.run(["git", "cat-file", "-e", blob], cwd=clone, env={**os.environ, "GIT_NO_LAZY_FETCH": "1"})
    assert here.returncode == 0
