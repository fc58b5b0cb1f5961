"""packread.Odb and packread.Repository against git's own answers."""

import io
import os
import threading

import pytest

import packread
from conftest import all_objects, contents, git

CONFIGS = [
    {},
    # Tiny windows under a tiny limit: every object crosses window ends and
    # windows are unloaded all the time.
    {"window_size": 4096, "memory_limit": 16384, "delta_cache": 8192},
    {"static": True},
]


@pytest.mark.parametrize("options", CONFIGS, ids=["default", "tiny-windows", "static"])
def test_every_object_equals_git(any_repo, options):
    odb = packread.Odb(any_repo, **options)
    expected = all_objects(any_repo)
    data = contents(any_repo, list(expected))
    assert len(expected) > 60
    for oid, (kind, size) in expected.items():
        obj = odb.read(oid)
        assert (obj.type, obj.size, obj.data) == (kind, size, data[oid]), oid
        assert odb.header(oid) == (kind, size)
        # Raw ids name the same object.
        assert odb.header(bytes.fromhex(oid)) == (kind, size)


@pytest.mark.parametrize("options", CONFIGS[:2], ids=["default", "tiny-windows"])
def test_streams_read_piece_by_piece(history, options):
    odb = packread.Odb(history, **options)
    expected = all_objects(history)
    data = contents(history, list(expected))
    for oid, (kind, size) in expected.items():
        with odb.stream(oid) as stream:
            assert isinstance(stream, io.RawIOBase)
            assert (stream.type, stream.size) == (kind, size)
            pieces = []
            while True:
                piece = stream.read(1000)
                if not piece:
                    break
                assert len(piece) <= 1000
                pieces.append(piece)
        assert b"".join(pieces) == data[oid]
    # The io machinery on top: a buffered reader, readinto, readall.
    big = max(expected, key=lambda oid: expected[oid][1])
    assert io.BufferedReader(odb.stream(big)).read() == data[big]
    buf = bytearray(10)
    assert odb.stream(big).readinto(buf) == 10 and bytes(buf) == data[big][:10]
    assert odb.stream(big).readall() == data[big]


def test_ids_membership_and_prefixes(history):
    odb = packread.Odb(history)
    expected = all_objects(history)
    ids = odb.ids()
    assert sorted(ids) == sorted(expected)
    assert sorted(odb.ids(binary=True)) == sorted(bytes.fromhex(i) for i in expected)
    assert sorted(iter(odb)) == sorted(expected)
    oid = next(iter(expected))
    assert oid in odb and bytes.fromhex(oid) in odb
    assert "0" * 40 not in odb
    # Prefixes as git resolves them.
    for oid in list(expected)[:50]:
        short = git(history, "rev-parse", "--short", oid).decode().strip()
        assert odb.resolve_prefix(short) == oid
    firsts = [i[:4] for i in sorted(expected)]
    shared = next(p for p, q in zip(firsts, firsts[1:]) if p == q)
    with pytest.raises(packread.AmbiguousObjectName):
        odb.resolve_prefix(shared)
    with pytest.raises(packread.ObjectNotFound):
        odb.resolve_prefix("ffffffffff" if not any(i.startswith("ffffffffff") for i in expected) else "0000000000")


def test_repository_rev_parse_equals_git(history):
    repo = packread.Repository(history)
    for spec in ["HEAD", "HEAD~3", "HEAD^{tree}", "v1.0", "v1.0^{}", "light", "HEAD:src/file1.txt", "HEAD~2:docs"]:
        assert repo.rev_parse(spec) == git(history, "rev-parse", "--verify", spec).decode().strip(), spec
    assert repo.odb.read(repo.rev_parse("HEAD:loose.txt")).data == b"a loose blob\n"
    with pytest.raises(packread.PackreadError):
        repo.rev_parse("no-such-ref")


def test_threads_read_one_database(history):
    odb = packread.Odb(history, window_size=8192, memory_limit=65536)
    expected = all_objects(history)
    data = contents(history, list(expected))
    ids = list(expected)
    failures = []

    def work(part):
        try:
            for oid in part:
                if odb.read(oid).data != data[oid]:
                    failures.append(oid)
        except Exception as e:  # noqa: BLE001 - reported below
            failures.append(repr(e))

    threads = [threading.Thread(target=work, args=(ids[i::4],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


def test_bad_input_raises_the_documented_exceptions(history, tmp_path):
    odb = packread.Odb(history)
    missing = "0" * 40
    with pytest.raises(packread.ObjectNotFound) as err:
        odb.read(missing)
    assert isinstance(err.value, KeyError)
    with pytest.raises(KeyError):
        odb.header(bytes(20))
    with pytest.raises(ValueError):
        odb.read("not hex")
    with pytest.raises(ValueError):
        odb.read(b"short")
    with pytest.raises(TypeError):
        odb.read(42)
    with pytest.raises(packread.NotARepository):
        packread.Odb(tmp_path / "nowhere")
    with pytest.raises(ValueError):
        packread.Odb(history, window_size=0)


def test_corrupt_pack_raises_corrupt_object_error(writable):
    pack_dir = writable / ".git" / "objects" / "pack"
    pack = next(p for p in pack_dir.iterdir() if p.suffix == ".pack")
    expected = all_objects(writable)
    before = contents(writable, sorted(expected))
    # Damage the middle of the pack: some objects' zlib streams break.
    os.chmod(pack, 0o644)
    raw = bytearray(pack.read_bytes())
    for i in range(len(raw) // 3, len(raw) // 3 + 4000, 7):
        raw[i] ^= 0xFF
    pack.write_bytes(bytes(raw))
    odb = packread.Odb(writable, window_size=4096, memory_limit=16384)
    raised = read = 0
    for oid in sorted(expected):
        try:
            obj = odb.read(oid)
        except packread.CorruptObjectError as e:
            raised += 1
            assert e.path.endswith(".pack") and isinstance(e.offset, int), (e.path, e.offset)
            assert str(e.offset) in str(e)
            continue
        # Whatever is read is the object's own bytes: never a wrong answer.
        read += 1
        assert (obj.type, obj.data) == (expected[oid][0], before[oid]), oid
    assert raised > 0 and read > 0


def test_iter_objects_gives_every_object_once(any_repo):
    odb = packread.Odb(any_repo, window_size=4096, memory_limit=16384)
    expected = all_objects(any_repo)
    data = contents(any_repo, list(expected))
    seen = {}
    for oid, kind, content in odb.iter_objects(threads=2):
        assert oid not in seen, oid
        seen[oid] = (kind, content)
    assert seen == {oid: (kind, data[oid]) for oid, (kind, _) in expected.items()}
    # Leaving the loop early stops the walk (no hang, no error).
    for n, _ in enumerate(odb.iter_objects()):
        if n == 3:
            break


def test_a_long_lived_odb_reads_through_repacks(writable):
    """A long-lived process keeps one Odb (and GitPython's PackreadDB) while
    git repacks the repository under it (same-name packs, new packs, a
    multi-pack-index, gc --prune=now): every read still gives git's bytes."""
    import git as gitpython

    from packread.gitpython import PackreadDB

    expected = contents(writable, sorted(all_objects(writable)))
    odb = packread.Odb(writable, window_size=4096, memory_limit=65536, handle_limit=3)
    repo = gitpython.Repo(writable, odbt=PackreadDB)
    ways = [
        ("repack", "-a", "-d", "-q"),
        ("repack", "-a", "-d", "-q", "-f", "--depth=3"),
        ("repack", "-a", "-d", "-q", "--write-midx"),
        ("gc", "-q", "--prune=now"),
    ]
    ids = sorted(expected)
    for round, way in enumerate(ways * 2):
        git(writable, *way)
        for oid in ids[round % 3 :: 3]:
            kind, data = odb.read_data(oid)
            assert data == expected[oid], oid
        for oid in ids[round % 5 :: 5]:
            assert repo.odb.stream(bytes.fromhex(oid)).read() == expected[oid], oid
