"""Fixture repositories built by git (the fixture scripts of the Rust tests),
and git itself as the oracle."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"

GIT_ENV = {
    **os.environ,
    "LC_ALL": "C",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_AUTHOR_NAME": "a",
    "GIT_AUTHOR_EMAIL": "a@example.com",
    "GIT_COMMITTER_NAME": "c",
    "GIT_COMMITTER_EMAIL": "c@example.com",
    "GIT_AUTHOR_DATE": "1700000000 +0000",
    "GIT_COMMITTER_DATE": "1700000000 +0000",
}
for var in ("GIT_DIR", "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_INDEX_FILE"):
    GIT_ENV.pop(var, None)


def git(repo, *args, input=None):
    """git's stdout (bytes); fails the test if git fails."""
    out = subprocess.run(
        ["git", *args], cwd=repo, env=GIT_ENV, input=input, capture_output=True, check=False
    )
    assert out.returncode == 0, f"git {args}: {out.stderr.decode()}"
    return out.stdout


def all_objects(repo):
    """Every object git knows: {hex id: (type, size)}."""
    out = git(repo, "cat-file", "--batch-all-objects", "--batch-check")
    objects = {}
    for line in out.decode().splitlines():
        oid, kind, size = line.split()
        objects[oid] = (kind, int(size))
    return objects


def contents(repo, ids):
    """git's bytes of each object: {hex id: bytes}."""
    out = git(repo, "cat-file", "--batch", input="".join(i + "\n" for i in ids).encode())
    result, pos = {}, 0
    for oid in ids:
        end = out.index(b"\n", pos)
        header = out[pos:end].split()
        size = int(header[2])
        result[oid] = out[end + 1 : end + 1 + size]
        pos = end + 1 + size + 1
    return result


@pytest.fixture(scope="session")
def history(tmp_path_factory):
    """A history of 40 rounds, packed with deep deltas, then loose objects
    on top, tags, a symlink and a gitlink."""
    base = tmp_path_factory.mktemp("history")
    script = f'. "{FIXTURES}/lib.sh"; git init -q repo && cd repo && make_history 40'
    subprocess.run(["bash", "-c", script], cwd=base, env=GIT_ENV, check=True)
    repo = base / "repo"
    git(repo, "repack", "-adfq", "--depth=50", "--window=50")
    (repo / "loose.txt").write_text("a loose blob\n")
    git(repo, "add", "loose.txt")
    git(repo, "commit", "-qm", "loose")
    return repo


def _scripted(tmp_path_factory, script, subdir):
    base = tmp_path_factory.mktemp(script.replace(".sh", ""))
    subprocess.run(["bash", str(FIXTURES / script)], cwd=base, env=GIT_ENV, check=True,
                   capture_output=True)
    return base / subdir


@pytest.fixture(scope="session")
def sha256(tmp_path_factory):
    """A SHA-256 repository: packed with deltas, plus loose objects."""
    return _scripted(tmp_path_factory, "make_sha256.sh", "sha256")


@pytest.fixture(scope="session")
def alternates(tmp_path_factory):
    """Several packs, loose objects, and two levels of alternates (one
    relative, one missing)."""
    return _scripted(tmp_path_factory, "make_alternates.sh", "top")


@pytest.fixture(scope="session")
def links(tmp_path_factory):
    """Symlinks, a submodule, odd names, an empty file (fixtures/make_export.sh)."""
    return _scripted(tmp_path_factory, "make_export.sh", "repo")


@pytest.fixture(params=["history", "sha256", "alternates", "links"])
def any_repo(request):
    """Each fixture repository in turn."""
    return request.getfixturevalue(request.param)


@pytest.fixture()
def writable(history, tmp_path):
    """A copy of the history repository that a test may change."""
    copy = tmp_path / "repo"
    shutil.copytree(history, copy, symlinks=True)
    return copy


@pytest.fixture(scope="session")
def walks(tmp_path_factory):
    """Branches, merges (an octopus), a second root, clock skew, tags and
    remote branches (fixtures/make_walks.sh), in a work tree with a split
    commit-graph chain."""
    return _scripted(tmp_path_factory, "make_walks.sh", "base")


@pytest.fixture(scope="session")
def diffs(tmp_path_factory):
    """Tree changes of every kind, binary files, a submodule, quoted names,
    and attributes and settings that class files for line counts
    (fixtures/make_diffs.sh), in a work tree."""
    return _scripted(tmp_path_factory, "make_diffs.sh", "base")


@pytest.fixture(params=["walks", "diffs"])
def histories(request):
    """Each history fixture in turn."""
    return request.getfixturevalue(request.param)
