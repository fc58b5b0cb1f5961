#!/usr/bin/env bash
# GitPython's own tests that read and write objects and walk history, run
# with every Repo a packread one (PackreadDB reading objects, history
# commands answered in-process: packread.gitpython.Repo), then with
# PackreadDB alone, then with GitPython's default, to compare.
#
# usage: run_gitpython_suite.sh <GitPython checkout> [<python>]
#
# The checkout needs its history (the tests read the GitPython repository
# itself); <python> must have packread, pytest, ddt and gitdb installed.
# Tests that need submodules checked out, a network, or a non-root user fail
# both ways.
set -eu -o pipefail
checkout=$1
python=${2:-python3}
here=$(cd "$(dirname "$0")" && pwd)
tests=(test/test_db.py test/test_blob.py test/test_tree.py test/test_commit.py test/test_base.py
       test/test_fun.py test/test_index.py test/test_refs.py test/test_repo.py test/test_diff.py
       test/test_stats.py test/test_reflog.py test/test_docs.py test/test_quick_doc.py
       test/test_util.py test/test_git.py test/test_actor.py test/test_exc.py)
cd "$checkout"
echo "== with packread.gitpython.Repo (PackreadDB, history in-process)"
PYTHONPATH="$here" "$python" -m pytest -o addopts="" -p no:cacheprovider -p packread_repo -q "${tests[@]}" | tail -13 || true
echo "== with packread.gitpython.PackreadDB"
PYTHONPATH="$here" "$python" -m pytest -o addopts="" -p no:cacheprovider -p packread_odbt -q "${tests[@]}" | tail -12 || true
echo "== with GitPython's default GitCmdObjectDB"
"$python" -m pytest -o addopts="" -p no:cacheprovider -q "${tests[@]}" | tail -10 || true
