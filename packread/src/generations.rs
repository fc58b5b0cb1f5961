//! Two generations standing for least-recently-used order, for what is met
//! again soon or not at all: the entries used since the last turn (the
//! young) and those of the turn before (the old), gone at the next turn
//! unless used again. A turn comes when the young would weigh more than a
//! bound; no order is kept entry by entry. The tree and blob caches of
//! diffs along history, the deltas readers keep inflated and the entries
//! path-limited walks find in trees are kept so.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash};

use crate::cheap_hash::CheapHasher;

/// Entries with their weights.
type Map<K, V> = HashMap<K, (V, usize), BuildHasherDefault<CheapHasher>>;

/// Entries by key in two generations; the young weigh at most a bound
/// (and one entry more, if it alone weighs more).
#[derive(Debug)]
pub(crate) struct Generations<K, V> {
    young: Map<K, V>,
    old: Map<K, V>,
    /// The weight of the young.
    young_weight: usize,
    /// What the young may weigh.
    bound: usize,
}

impl<K: Hash + Eq, V> Generations<K, V> {
    /// Young generations of at most `bound` (by the weights entries are
    /// given).
    pub(crate) fn new(bound: usize) -> Self {
        Generations {
            young: Map::default(),
            old: Map::default(),
            young_weight: 0,
            bound,
        }
    }

    /// The entry at `key`, if held; it becomes young, which may turn the
    /// generations: `dropped` is given each entry a turn lets go of.
    pub(crate) fn get(&mut self, key: &K, dropped: impl FnMut(V)) -> Option<&V> {
        if !self.young.contains_key(key) {
            let (key, (value, weight)) = self.old.remove_entry(key)?;
            self.insert(key, value, weight, dropped);
        }
        self.young.get(key).map(|(value, _)| value)
    }

    /// Makes `value`, weighing `weight`, the young entry at `key`, first
    /// turning the generations if the young would weigh more than the
    /// bound: `dropped` is given each entry the turn lets go of.
    pub(crate) fn insert(&mut self, key: K, value: V, weight: usize, mut dropped: impl FnMut(V)) {
        if self.young_weight + weight > self.bound {
            self.turn(&mut dropped);
        }
        if let Some((old, old_weight)) = self.young.insert(key, (value, weight)) {
            self.young_weight -= old_weight;
            dropped(old);
        }
        self.young_weight += weight;
    }

    /// Turns the generations now: the old are let go of (`dropped` is given
    /// each), the young become the old.
    pub(crate) fn turn(&mut self, mut dropped: impl FnMut(V)) {
        let gone = std::mem::replace(&mut self.old, std::mem::take(&mut self.young));
        for (value, _) in gone.into_values() {
            dropped(value);
        }
        self.young_weight = 0;
    }

    /// Takes the entry at `key` out, if held.
    pub(crate) fn take(&mut self, key: &K) -> Option<V> {
        if let Some((value, weight)) = self.young.remove(key) {
            self.young_weight -= weight;
            return Some(value);
        }
        self.old.remove(key).map(|(value, _)| value)
    }

    /// How many entries the generations hold.
    pub(crate) fn len(&self) -> usize {
        self.young.len() + self.old.len()
    }

    /// Lets go of every entry.
    pub(crate) fn clear(&mut self) {
        self.young = Map::default();
        self.old = Map::default();
        self.young_weight = 0;
    }

    /// Bounds the young by `bound` from the next entry made young on.
    pub(crate) fn set_bound(&mut self, bound: usize) {
        self.bound = bound;
    }

    /// Whether the young hold `key`.
    #[cfg(test)]
    pub(crate) fn is_young(&self, key: &K) -> bool {
        self.young.contains_key(key)
    }

    /// Whether either generation holds `key`.
    #[cfg(test)]
    pub(crate) fn holds(&self, key: &K) -> bool {
        self.young.contains_key(key) || self.old.contains_key(key)
    }

    /// Every entry held.
    #[cfg(test)]
    pub(crate) fn values(&self) -> impl Iterator<Item = &V> {
        self.young
            .values()
            .chain(self.old.values())
            .map(|(value, _)| value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The young never weigh more than the bound; an entry used between
    /// turns stays, one not used for two turns goes, and each entry a turn
    /// drops is handed back.
    #[test]
    fn entries_used_stay_and_others_go_at_the_second_turn() {
        let mut g: Generations<u32, u32> = Generations::new(30);
        let mut gone = Vec::new();
        g.insert(0, 0, 10, |v| gone.push(v));
        for n in 1..10 {
            g.insert(n, n, 10, |v| gone.push(v));
            assert!(g.young_weight <= 30);
            assert_eq!(g.get(&0, |v| gone.push(v)), Some(&0));
        }
        assert!(g.holds(&9) && g.is_young(&9));
        assert!(!g.holds(&1));
        gone.sort_unstable();
        assert_eq!(gone[..3], [1, 2, 3]);
        assert!(!gone.contains(&0));
        assert_eq!(g.values().count() + gone.len(), 10);
        g.clear();
        assert!(!g.holds(&0));
        g.set_bound(5);
        g.insert(1, 1, 3, |v| gone.push(v));
        g.insert(2, 2, 3, |v| gone.push(v));
        assert!(g.holds(&1) && !g.is_young(&1));
    }
}
