"""GitPython with packread.gitpython.PackreadDB: the same answers as with
GitPython's default GitCmdObjectDB, writes that git reads back, and gitdb's
own database assertions."""

from io import BytesIO

import git
import pytest
from gitdb import IStream
from gitdb.exc import AmbiguousObjectName, BadObject

import packread.gitpython
from conftest import all_objects, contents, git as run_git
from packread.gitpython import PackreadDB


def walk(repo, commits=25):
    """Everything GitPython reads in a walk of the last commits: commit
    fields, every tree entry, every blob's bytes (half through
    data_stream)."""
    seen = []
    for i, commit in enumerate(repo.iter_commits("HEAD", max_count=commits)):
        seen.append((commit.hexsha, commit.message, commit.author.name, commit.authored_date,
                     [p.hexsha for p in commit.parents], commit.tree.hexsha))
        for item in commit.tree.traverse():
            seen.append((item.path, item.type, item.mode, item.hexsha))
            if item.type == "blob":
                if i % 2:
                    seen.append(item.data_stream.read())
                else:
                    seen.append((item.size, item.data_stream.read(100)))
    return seen


def test_walk_gives_what_git_cmd_object_db_gives(history):
    ours = git.Repo(history, odbt=PackreadDB)
    theirs = git.Repo(history, odbt=git.GitCmdObjectDB)
    assert isinstance(ours.odb, PackreadDB)
    assert walk(ours) == walk(theirs)
    for name in ["HEAD~2", "v1.0", "light", "HEAD^{tree}"]:
        assert ours.rev_parse(name) == theirs.rev_parse(name)
    tag = ours.tags["v1.0"].tag
    assert tag.message == theirs.tags["v1.0"].tag.message


@pytest.mark.parametrize("name", ["history", "alternates", "links"])
def test_every_object_equals_git(request, name):
    repo = request.getfixturevalue(name)
    db = PackreadDB(str(repo / ".git" / "objects"), window_size=4096, memory_limit=16384)
    expected = all_objects(repo)
    data = contents(repo, list(expected))
    for hexsha, (kind, size) in expected.items():
        binsha = bytes.fromhex(hexsha)
        binsha2, type2, size2, _ = stream = db.stream(binsha)
        assert (binsha2, type2, size2) == (binsha, kind.encode(), size)
        if size % 2:
            assert stream.read() == data[hexsha]
        else:
            assert b"".join(iter(lambda: stream.read(997), b"")) == data[hexsha]


def test_the_odb_contract(history):
    db = PackreadDB(str(history / ".git" / "objects"))
    expected = all_objects(history)
    for hexsha, (kind, size) in expected.items():
        binsha = bytes.fromhex(hexsha)
        info = db.info(binsha)
        assert (info.binsha, info.type, info.size) == (binsha, kind.encode(), size)
        stream = db.stream(binsha)
        binsha2, type2, size2, inner = stream
        assert (binsha2, type2, size2) == (binsha, kind.encode(), size)
        assert len(stream.read()) == size
        assert db.has_object(binsha) and binsha in db
    assert sorted(db.sha_iter()) == sorted(bytes.fromhex(h) for h in expected)
    assert db.size() == len(expected)
    missing = bytes(20)
    assert not db.has_object(missing)
    with pytest.raises(BadObject):
        db.info(missing)
    with pytest.raises(ValueError):  # as GitCmdObjectDB raises
        db.stream(missing)
    # Partial ids: git's answers, BadObject, AmbiguousObjectName.
    some = next(iter(expected))
    assert db.partial_to_complete_sha_hex(some[:12]) == bytes.fromhex(some)
    for invalid in ("0000000", "bad/ref", "super bad"):
        with pytest.raises(BadObject):
            db.partial_to_complete_sha_hex(invalid)
    firsts = [h[:4] for h in sorted(expected)]
    shared = next(p for p, q in zip(firsts, firsts[1:]) if p == q)
    with pytest.raises(AmbiguousObjectName):
        db.partial_to_complete_sha_hex(shared)
    assert db.update_cache() is True


def test_gitdb_example_assertions(writable):
    """gitdb's own test_example.py, run against PackreadDB."""
    ldb = PackreadDB(str(writable / ".git" / "objects"))
    for sha1 in ldb.sha_iter():
        oinfo = ldb.info(sha1)
        ostream = ldb.stream(sha1)
        assert oinfo[:3] == ostream[:3]
        assert len(ostream.read()) == ostream.size
        assert ldb.has_object(oinfo.binsha)
    data = b"my data"
    istream = IStream("blob", len(data), BytesIO(data))
    assert istream.binsha is None
    ldb.store(istream)
    assert len(istream.binsha) == 20
    assert ldb.has_object(istream.binsha)
    assert ldb.stream(istream.binsha).read() == data
    # git reads what was stored.
    assert run_git(writable, "cat-file", "blob", istream.hexsha.decode()) == data


def test_object_writing(writable):
    """gitdb's _assert_object_writing, ported: objects of every size stored
    and read back, by packread and by git."""
    ldb = PackreadDB(str(writable / ".git" / "objects"))
    for size in (0, 1, 100, 4096, 1 << 20):
        data = bytes((i * 7 + size) % 251 for i in range(size))
        for kind in ("blob", b"blob"):
            istream = IStream(kind, size, BytesIO(data))
            ldb.store(istream)
            assert ldb.has_object(istream.binsha)
            info = ldb.info(istream.binsha)
            assert (info.type, info.size) == (b"blob", size)
            assert ldb.stream(istream.binsha).read() == data
            assert run_git(writable, "cat-file", "-s", istream.hexsha.decode()) == f"{size}\n".encode()


def test_commits_made_through_gitpython_read_back(writable):
    repo = git.Repo(writable, odbt=PackreadDB)
    (writable / "new.txt").write_text("written through GitPython\n")
    (writable / "src" / "file1.txt").write_text("changed\n")
    repo.index.add(["new.txt", "src/file1.txt"])
    commit = repo.index.commit("a commit made through PackreadDB")
    assert repo.head.commit == commit
    # git agrees with what GitPython wrote through PackreadDB.
    assert run_git(writable, "rev-parse", "HEAD").decode().strip() == commit.hexsha
    assert run_git(writable, "cat-file", "-p", "HEAD:new.txt") == b"written through GitPython\n"
    run_git(writable, "fsck", "--no-progress")
    # And packread reads it back, through GitPython and directly.
    fresh = git.Repo(writable, odbt=PackreadDB)
    blob = fresh.head.commit.tree / "new.txt"
    assert blob.data_stream.read() == b"written through GitPython\n"
    assert fresh.head.commit.message == "a commit made through PackreadDB"
    assert packread.Repository(writable).rev_parse("HEAD") == commit.hexsha


def test_new_packs_are_found_after_update_cache(writable):
    repo = git.Repo(writable, odbt=PackreadDB)
    head = repo.head.commit.hexsha
    # git writes a new pack (a fetch would); update_cache picks it up.
    (writable / "later.txt").write_text("later\n")
    run_git(writable, "add", "later.txt")
    run_git(writable, "commit", "-qm", "later")
    run_git(writable, "repack", "-dq")
    repo.odb.update_cache()
    new_head = run_git(writable, "rev-parse", "HEAD").decode().strip()
    assert new_head != head
    assert repo.commit(new_head).message == "later\n"


def test_what_gitpython_itself_relies_on(history):
    """From GitPython's own suite: is_valid_object with hex bytes, pickled
    repositories, and the words of a missing object's error."""
    import pickle

    repo = git.Repo(history, odbt=PackreadDB)
    head = repo.head.commit
    assert repo.is_valid_object(head.hexsha, "commit")
    assert repo.is_valid_object(head.hexsha.encode(), "commit")
    assert not repo.is_valid_object(b"1a" * 20, "blob")
    again = pickle.loads(pickle.dumps(repo.odb))
    assert isinstance(again, PackreadDB) and again.info(head.binsha).type == b"commit"
    missing = bytes.fromhex("1a" * 20)
    with pytest.raises(ValueError, match=f"{'1a' * 20} missing"):
        repo.odb.stream(missing)
