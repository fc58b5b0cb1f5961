//! The nodes of commits met by id, found by id without keeping the id a
//! second time: the arena holds each id once, this index holds 8 bytes
//! per commit (a node and 32 bits of its id's hash), in one open-addressed
//! table probed linearly. A walk without a commit-graph meets every commit
//! by id; a map keyed by the ids themselves cost 40 bytes per slot.

use crate::object::ObjectId;

/// A place in the arena (the arena's `Node`; the index knows no more of
/// it).
type Node = u32;

/// An index of nodes by their ids' hashes; the ids are asked of the arena.
#[derive(Default)]
pub(crate) struct IdIndex {
    /// Each slot: the id's 32-bit hash in the upper half, its node + 1 in
    /// the lower (0: empty). Its length is a power of two, or zero.
    slots: Vec<u64>,
    len: usize,
}

/// 32 bits of `id`'s hash, from its first eight bytes (all of them mixed
/// in, so ids sharing a short prefix still spread).
fn hash(id: &ObjectId) -> u32 {
    let first = id
        .as_bytes()
        .first_chunk::<8>()
        .map_or(0, |b| u64::from_le_bytes(*b));
    (first.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 32) as u32
}

impl IdIndex {
    /// The node whose id is `id`, where `id_of` gives a node's id.
    pub(crate) fn find<'a>(
        &self,
        id: &ObjectId,
        id_of: impl Fn(Node) -> &'a ObjectId,
    ) -> Option<Node> {
        if self.slots.is_empty() {
            return None;
        }
        let h = hash(id);
        let mask = self.slots.len() - 1;
        let mut i = h as usize & mask;
        loop {
            let slot = self.slots[i];
            if slot == 0 {
                return None;
            }
            if (slot >> 32) as u32 == h {
                let n = (slot as u32).wrapping_sub(1);
                if id_of(n) == id {
                    return Some(n);
                }
            }
            i = (i + 1) & mask;
        }
    }

    /// Adds `n` under `id`, which the index must not hold yet.
    pub(crate) fn insert(&mut self, id: &ObjectId, n: Node) {
        debug_assert!(n != Node::MAX, "node + 1 must fit 32 bits");
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            self.grow();
        }
        self.put((u64::from(hash(id)) << 32) | u64::from(n + 1));
        self.len += 1;
    }

    /// How many nodes it holds.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    fn put(&mut self, slot: u64) {
        let mask = self.slots.len() - 1;
        let mut i = (slot >> 32) as usize & mask;
        while self.slots[i] != 0 {
            i = (i + 1) & mask;
        }
        self.slots[i] = slot;
    }

    /// Doubles the table (the stored hashes place the slots again).
    fn grow(&mut self) {
        let size = (self.slots.len() * 2).max(64);
        let old = std::mem::replace(&mut self.slots, vec![0; size]);
        for slot in old.into_iter().filter(|&s| s != 0) {
            self.put(slot);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::object::{HashKind, ObjectId};

    fn id(seed: u64, kind: HashKind) -> ObjectId {
        let mut bytes = [0u8; 32];
        let mut next = crate::test_rand::xorshift(seed);
        for chunk in bytes.chunks_mut(8) {
            chunk.copy_from_slice(&next().to_le_bytes());
        }
        ObjectId::from_bytes(kind, &bytes[..kind.len()])
    }

    #[test]
    fn finds_what_a_map_finds() {
        for kind in [HashKind::Sha1, HashKind::Sha256] {
            let ids: Vec<ObjectId> = (1..=5000).map(|s| id(s, kind)).collect();
            let mut index = IdIndex::default();
            let mut map = std::collections::HashMap::new();
            for (n, id) in ids.iter().enumerate().step_by(2) {
                index.insert(id, n as Node);
                map.insert(*id, n as Node);
            }
            assert_eq!(index.len(), map.len());
            for id in &ids {
                assert_eq!(
                    index.find(id, |n| &ids[n as usize]),
                    map.get(id).copied(),
                    "{id}"
                );
            }
        }
    }

    #[test]
    fn ids_sharing_their_first_bytes_are_told_apart() {
        // Same first eight bytes: same hash, so only the ids compared
        // can tell them apart.
        let ids: Vec<ObjectId> = (0..300u32)
            .map(|i| {
                let mut bytes = [7u8; 20];
                bytes[16..].copy_from_slice(&i.to_be_bytes());
                ObjectId::from_bytes(HashKind::Sha1, &bytes)
            })
            .collect();
        let mut index = IdIndex::default();
        for (n, id) in ids.iter().enumerate().skip(1) {
            index.insert(id, n as Node);
        }
        for (n, id) in ids.iter().enumerate() {
            let expected = (n > 0).then_some(n as Node);
            assert_eq!(index.find(id, |n| &ids[n as usize]), expected);
        }
    }
}
