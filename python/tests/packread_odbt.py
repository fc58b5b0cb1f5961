"""A pytest plugin for GitPython's own test suite: every git.Repo made
without an explicit odbt reads through packread.gitpython.PackreadDB.

    cd <a GitPython checkout, with its history>
    PYTHONPATH=<this directory> python -m pytest -o addopts="" -p packread_odbt test/test_db.py ...

See run_gitpython_suite.sh.
"""

import git.repo.base as base

from packread.gitpython import PackreadDB

_defaults = list(base.Repo.__init__.__defaults__)
_defaults[1] = PackreadDB
base.Repo.__init__.__defaults__ = tuple(_defaults)
