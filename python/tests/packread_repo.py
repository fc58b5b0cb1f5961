"""A pytest plugin for GitPython's own test suite: every git.Repo is a
packread one — objects read through packread.gitpython.PackreadDB (unless a
test names another database), history commands answered by
packread.gitpython.Git.

    cd <a GitPython checkout, with its history>
    PYTHONPATH=<this directory> python -m pytest -o addopts="" -p packread_repo test/...

See run_gitpython_suite.sh.
"""

import git.repo.base as base

import packread.gitpython as pg

_init = base.Repo.__init__


def __init__(self, path=None, odbt=pg.PackreadDB, search_parent_directories=False, expand_vars=True):
    _init(self, path, odbt=odbt, search_parent_directories=search_parent_directories, expand_vars=expand_vars)
    pg._serve_history(self)


base.Repo.__init__ = __init__
base.Repo.GitCommandWrapperType = pg.Git
base.Repo.iter_commits = pg.Repo.iter_commits


def pytest_terminal_summary(terminalreporter):
    terminalreporter.write_line(f"packread answered {pg.Git.served} git commands in-process")
