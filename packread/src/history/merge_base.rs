//! Merge bases as git's `commit-reach.c` finds them: commits painted down
//! from both sides by a queue ordered by generation and date, the common
//! ones kept, the redundant ones (ancestors of others) dropped, and the
//! result in git's order (newest first).

use crate::error::Error;
use crate::graph::{CommitGraph, GENERATION_INFINITY, GraphCursors};
use crate::history::commits::{Commits, Node};
use crate::history::queue::{DateList, Queue, QueueOrder};

const PARENT1: u32 = 1 << 16;
const PARENT2: u32 = 1 << 17;
const STALE: u32 = 1 << 18;
const RESULT: u32 = 1 << 19;
const ALL: u32 = PARENT1 | PARENT2 | STALE | RESULT;

/// git's `paint_down_to_common`: paints `one` and `twos` down to their
/// common ancestors (the result, newest first); stops below
/// `min_generation`.
fn paint_down_to_common(
    commits: &mut Commits,
    one: Node,
    twos: &[Node],
    min_generation: u64,
) -> Result<Vec<Node>, Error> {
    let by_date = min_generation == 0 && !commits.corrected_commit_dates_enabled();
    let key = |commits: &Commits, n: Node| {
        if by_date {
            (commits.date(n), 0)
        } else {
            (commits.generation(n), commits.date(n))
        }
    };
    let mut queue = Queue::new(QueueOrder::Keyed);
    let mut result = DateList::new();
    let mut found = Vec::new();
    commits.set(one, PARENT1);
    if twos.is_empty() {
        return Ok(vec![one]);
    }
    let (a, b) = key(commits, one);
    queue.put(one, a, b);
    for &t in twos {
        commits.set(t, PARENT2);
        let (a, b) = key(commits, t);
        queue.put(t, a, b);
    }
    while queue.nodes().any(|n| commits.flags(n) & STALE == 0) {
        let c = queue.get().expect("not empty");
        if commits.generation(c) < min_generation {
            break;
        }
        let mut flags = commits.flags(c) & (PARENT1 | PARENT2 | STALE);
        if flags == PARENT1 | PARENT2 {
            if commits.flags(c) & RESULT == 0 {
                commits.set(c, RESULT);
                result.insert(c, commits.date(c));
                found.push(c);
            }
            flags |= STALE;
        }
        for i in 0..commits.parents(c).len() {
            let p = commits.parents(c)[i];
            if commits.flags(p) & flags == flags {
                continue;
            }
            commits.parse(p)?;
            commits.set(p, flags);
            let (a, b) = key(commits, p);
            queue.put(p, a, b);
        }
    }
    let mut out = Vec::with_capacity(found.len());
    while let Some(n) = result.pop() {
        out.push(n);
    }
    Ok(out)
}

/// git's `merge_bases_many`: the common ancestors of `one` and `twos`
/// that are not stale, newest first (possibly redundant).
fn merge_bases_many(commits: &mut Commits, one: Node, twos: &[Node]) -> Result<Vec<Node>, Error> {
    if twos.contains(&one) {
        return Ok(vec![one]);
    }
    commits.parse(one)?;
    for &t in twos {
        commits.parse(t)?;
    }
    let list = paint_down_to_common(commits, one, twos, 0)?;
    let mut result = DateList::new();
    for n in list {
        if commits.flags(n) & STALE == 0 {
            result.insert(n, commits.date(n));
        }
    }
    let mut out = Vec::new();
    while let Some(n) = result.pop() {
        out.push(n);
    }
    Ok(out)
}

/// git's `remove_redundant`: the commits of `array` that no other one
/// reaches, in their order.
fn remove_redundant(commits: &mut Commits, array: &[Node]) -> Result<Vec<Node>, Error> {
    for &n in array {
        commits.parse(n)?;
    }
    let mut redundant = vec![false; array.len()];
    for i in 0..array.len() {
        if redundant[i] {
            continue;
        }
        let mut min_generation = commits.generation(array[i]);
        let mut work = Vec::new();
        let mut index = Vec::new();
        for (j, &n) in array.iter().enumerate() {
            if i == j || redundant[j] {
                continue;
            }
            work.push(n);
            index.push(j);
            min_generation = min_generation.min(commits.generation(n));
        }
        paint_down_to_common(commits, array[i], &work, min_generation)?;
        if commits.flags(array[i]) & PARENT2 != 0 {
            redundant[i] = true;
        }
        for (k, &n) in work.iter().enumerate() {
            if commits.flags(n) & PARENT1 != 0 {
                redundant[index[k]] = true;
            }
        }
        commits.clear_all(ALL);
    }
    Ok(array
        .iter()
        .zip(&redundant)
        .filter(|&(_, &r)| !r)
        .map(|(&n, _)| n)
        .collect())
}

/// git's `get_merge_bases_many`: the best common ancestors of `one` and
/// `twos`, newest first.
pub(crate) fn merge_bases(
    commits: &mut Commits,
    one: Node,
    twos: &[Node],
) -> Result<Vec<Node>, Error> {
    let result = merge_bases_many(commits, one, twos)?;
    if twos.contains(&one) {
        return Ok(result);
    }
    commits.clear_all(ALL);
    if result.len() <= 1 {
        return Ok(result);
    }
    let kept = remove_redundant(commits, &result)?;
    let mut list = DateList::new();
    for n in kept {
        list.insert(n, commits.date(n));
    }
    let mut out = Vec::new();
    while let Some(n) = list.pop() {
        out.push(n);
    }
    Ok(out)
}

/// git's `reduce_heads`: the commits of `heads` (each once, in their
/// order) that no other one reaches.
pub(crate) fn independent(commits: &mut Commits, heads: &[Node]) -> Result<Vec<Node>, Error> {
    let mut unique: Vec<Node> = Vec::new();
    for &h in heads {
        if !unique.contains(&h) {
            unique.push(h);
        }
    }
    remove_redundant(commits, &unique)
}

/// git's `get_octopus_merge_bases`, then `reduce_heads`.
pub(crate) fn octopus(commits: &mut Commits, heads: &[Node]) -> Result<Vec<Node>, Error> {
    let Some((&first, rest)) = heads.split_first() else {
        return Ok(Vec::new());
    };
    let mut result = vec![first];
    for &i in rest {
        let mut next = Vec::new();
        for &j in &result {
            next.extend(merge_bases(commits, i, &[j])?);
        }
        result = next;
    }
    independent(commits, &result)
}

/// Whether `ancestor` is reachable from `descendant` (git's
/// `repo_in_merge_bases`): painted down from `ancestor` against
/// `descendant`, cut at `ancestor`'s generation.
pub(crate) fn is_ancestor(
    commits: &mut Commits,
    ancestor: Node,
    descendant: Node,
) -> Result<bool, Error> {
    commits.parse(ancestor)?;
    commits.parse(descendant)?;
    if commits.generation_numbers_enabled() {
        // Both in the graph (with all their ancestors): searched there.
        if let (Some(from), Some(to)) = (commits.graph_pos(descendant), commits.graph_pos(ancestor))
            && commits.shallow().is_empty()
        {
            let min = commits
                .generation(descendant)
                .min(commits.generation(ancestor));
            if let Some(reached) = commits
                .with_graph(|graph, cursors| can_reach_in_graph(graph, cursors, from, to, min))
            {
                return Ok(reached);
            }
        }
        return Ok(can_reach(commits, descendant, ancestor));
    }
    let generation = commits.generation(ancestor);
    let max = commits.generation(descendant);
    if generation > max && generation != GENERATION_INFINITY {
        return Ok(false);
    }
    let min = if generation == GENERATION_INFINITY {
        0
    } else {
        generation
    };
    paint_down_to_common(commits, ancestor, &[descendant], min)?;
    let reached = commits.flags(ancestor) & PARENT2 != 0;
    commits.clear_all(ALL);
    Ok(reached)
}

/// [`can_reach`] over commit-graph positions, from the commit at `from` to
/// the one at `to` (the graph holds every ancestor of a commit it holds),
/// with `min_generation` the lower of their generations: the same search,
/// its marks a byte per position rather than flags on the walk's nodes,
/// and no node made for the commits it passes (git.git's `--is-ancestor
/// v2.0.0 HEAD` goes down 11,000 first parents).
fn can_reach_in_graph(
    graph: &CommitGraph,
    cursors: &mut GraphCursors,
    from: u32,
    to: u32,
    min_generation: u64,
) -> bool {
    const SEEN: u8 = 1;
    const TARGET: u8 = 2;
    const FOUND: u8 = 4;
    let mut marks = vec![0u8; graph.len() as usize];
    let (Some(_), Some(_)) = (marks.get(from as usize), marks.get(to as usize)) else {
        return false;
    };
    marks[to as usize] |= TARGET;
    marks[from as usize] |= SEEN;
    let mut stack = vec![from];
    let (mut parents, mut grandparents) = (Vec::new(), Vec::new());
    // The commit whose parents `grandparents` holds (read when it was
    // pushed, for its generation).
    let mut read: Option<u32> = None;
    while let Some(&top) = stack.last() {
        if marks[top as usize] & (TARGET | FOUND) != 0 {
            stack.pop();
            if let Some(&below) = stack.last() {
                marks[below as usize] |= FOUND;
            }
            continue;
        }
        let mut pushed = false;
        // A commit the graph can't give ends its line (as one that can't
        // be parsed).
        let known = if read.take() == Some(top) {
            std::mem::swap(&mut parents, &mut grandparents);
            true
        } else {
            graph.commit_parts(cursors, top, &mut parents).is_ok()
        };
        if known {
            for &p in &parents {
                let Some(&mark) = marks.get(p as usize) else {
                    continue;
                };
                if mark & (TARGET | FOUND) != 0 {
                    marks[top as usize] |= FOUND;
                }
                if mark & SEEN == 0 {
                    marks[p as usize] |= SEEN;
                    match graph.commit_parts(cursors, p, &mut grandparents) {
                        Ok((_, _, generation)) if generation >= min_generation => {}
                        _ => continue,
                    }
                    if let Some(&first) = grandparents.first() {
                        graph.prefetch(cursors, first);
                    }
                    read = Some(p);
                    stack.push(p);
                    pushed = true;
                    break;
                }
            }
        }
        if !pushed {
            stack.pop();
        }
    }
    marks[from as usize] & (TARGET | FOUND) != 0
}

/// git's `can_all_from_reach` for one commit each (what `is_ancestor` asks
/// when generation numbers are on): a depth-first search from `from`,
/// first parents first, that leaves out commits of a generation below
/// both, and stops once it meets `to`. A commit that can't be parsed
/// ends its line, as in git.
fn can_reach(commits: &mut Commits, from: Node, to: Node) -> bool {
    let min_generation = commits.generation(from).min(commits.generation(to));
    commits.set(to, PARENT2);
    commits.set(from, PARENT1);
    let mut stack = vec![from];
    while let Some(&top) = stack.last() {
        if commits.flags(top) & (PARENT2 | RESULT) != 0 {
            stack.pop();
            if let Some(&below) = stack.last() {
                commits.set(below, RESULT);
            }
            continue;
        }
        let mut pushed = false;
        for i in 0..commits.parents(top).len() {
            let p = commits.parents(top)[i];
            if commits.flags(p) & (PARENT2 | RESULT) != 0 {
                commits.set(top, RESULT);
            }
            if commits.flags(p) & PARENT1 == 0 {
                commits.set(p, PARENT1);
                if commits.parse(p).is_err() || commits.generation(p) < min_generation {
                    continue;
                }
                stack.push(p);
                pushed = true;
                break;
            }
        }
        if !pushed {
            stack.pop();
        }
    }
    let reached = commits.flags(from) & (PARENT2 | RESULT) != 0;
    commits.clear_all(ALL);
    reached
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use crate::Repository;
    use crate::doctest::Scratch;
    use crate::history::Ancestry;
    use crate::history::heads_ahead::tests::{git, history};

    /// Over a commit-graph with corrected dates and one with levels only,
    /// `is_ancestor` answers as `git rev-list` lists: every commit of a
    /// history with merges against a few descendants, both ways round.
    #[test]
    fn ancestry_over_a_graph_is_what_git_lists() {
        for (name, version) in [("reach-dates", "2"), ("reach-levels", "1")] {
            let dir = Scratch::new(name).unwrap();
            git(&dir, &["init", "-q", "-b", "main"], "");
            git(&dir, &["fast-import", "--quiet"], &history(300));
            let config = format!("commitGraph.generationVersion={version}");
            git(
                &dir,
                &["-c", &config, "commit-graph", "write", "--reachable"],
                "",
            );
            let repo = Repository::discover(&*dir).unwrap();
            assert!(repo.commit_graph().0.is_some());
            let all: Vec<String> = git(&dir, &["rev-list", "--all"], "")
                .lines()
                .map(str::to_owned)
                .collect();
            let mut ancestry = Ancestry::new(&repo).unwrap();
            for tip in ["main", "main~7", "main~100^2", "side", "side~3"] {
                let below: HashSet<String> = git(&dir, &["rev-list", tip], "")
                    .lines()
                    .map(str::to_owned)
                    .collect();
                let tip_id = repo.rev_parse(tip).unwrap();
                // The commits `tip` is an ancestor of: it, and those on
                // the ancestry path from it to any ref.
                let not_tip = format!("^{tip}");
                let mut above: HashSet<String> = git(
                    &dir,
                    &["rev-list", "--ancestry-path", &not_tip, "--all"],
                    "",
                )
                .lines()
                .map(str::to_owned)
                .collect();
                above.insert(tip_id.to_hex());
                for id in &all {
                    let other = crate::ObjectId::from_hex(id).unwrap();
                    assert_eq!(
                        ancestry.is_ancestor(other, tip_id).unwrap(),
                        below.contains(id),
                        "{name}: {id} below {tip}"
                    );
                    assert_eq!(
                        ancestry.is_ancestor(tip_id, other).unwrap(),
                        above.contains(id),
                        "{name}: {tip} below {id}"
                    );
                }
            }
        }
    }
}
