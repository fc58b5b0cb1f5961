"""A usage sample checked by mypy in CI: the types a user of packread sees
(see .ci/run)."""

from typing import Optional

import packread
from packread.gitpython import PackreadDB, Repo


def summary(path: str) -> list[str]:
    odb = packread.Odb(path)
    obj = odb.read("ce013625030ba8dba906f756967f9e9ca394464a")
    size: int = obj.size
    data: bytes = obj.data
    kind, length = odb.header(obj.id)
    with odb.stream(obj.id) as stream:
        first: bytes = stream.read(10)
    repo = packread.Repository(path)
    lines = []
    for commit in repo.iter_commits("HEAD", max_count=5, since="2 weeks ago"):
        when: int = commit.author.time
        lines.append(f"{commit.id[:7]} {commit.author.name} {when} {commit.message.splitlines()[0]}")
    for change in repo.diff_tree("HEAD"):
        added: Optional[int] = change.added
        lines.append(f"{change.status} {change.path} {added}")
    bases: list[str] = repo.merge_base("HEAD", "HEAD~1", all=True)
    ok: bool = repo.is_ancestor("HEAD~1", "HEAD")
    n: int = repo.count("HEAD")
    lines.append(f"{size} {len(data)} {kind} {length} {first!r} {bases} {ok} {n}")
    try:
        repo.rev_parse("nope")
    except packread.BadRevision as e:
        lines.append(str(e))
    db: type[PackreadDB] = PackreadDB
    gp = Repo(path, odbt=db)
    lines.append(str(gp.head.commit.hexsha))
    return lines
