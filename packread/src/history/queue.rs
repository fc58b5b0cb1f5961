//! git's `prio_queue` (ties go out in the order they came in; without an
//! order, a stack) and its date-ordered commit list, over arena nodes. A
//! node's key is taken when it is put in: the walks put in only parsed
//! commits, whose dates and generations no longer change.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::history::commits::Node;

/// How a queue orders its nodes: greatest key first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum QueueOrder {
    /// Last in, first out (git's queue without a compare function).
    Stack,
    /// By a key the caller gives (dates, or generation then date).
    Keyed,
}

/// A priority queue of nodes.
#[derive(Debug)]
pub(crate) struct Queue {
    order: QueueOrder,
    heap: BinaryHeap<(u64, u64, Reverse<u64>, Node)>,
    stack: Vec<Node>,
    counter: u64,
    /// The node [`get`](Self::get) last returned is still on top of the
    /// heap: the next `put` takes its place (one sift down, where a pop
    /// and a push sift twice, most of the way), anything else removes it
    /// first. A walk takes a commit and puts its parents right after, and
    /// along a line of history the parent goes straight out again.
    taken: bool,
}

impl Queue {
    pub(crate) fn new(order: QueueOrder) -> Queue {
        Queue {
            order,
            heap: BinaryHeap::new(),
            stack: Vec::new(),
            counter: 0,
            taken: false,
        }
    }

    /// Puts `n` in with the key `(first, second)` (ignored by a stack).
    pub(crate) fn put(&mut self, n: Node, first: u64, second: u64) {
        match self.order {
            QueueOrder::Stack => self.stack.push(n),
            QueueOrder::Keyed => {
                let entry = (first, second, Reverse(self.counter), n);
                self.counter += 1;
                if self.taken
                    && let Some(mut top) = self.heap.peek_mut()
                {
                    *top = entry;
                    self.taken = false;
                } else {
                    self.heap.push(entry);
                }
            }
        }
    }

    pub(crate) fn get(&mut self) -> Option<Node> {
        match self.order {
            QueueOrder::Stack => self.stack.pop(),
            QueueOrder::Keyed => {
                self.settle();
                let n = self.heap.peek()?.3;
                self.taken = true;
                Some(n)
            }
        }
    }

    /// Removes the node `get` returned, if still there.
    fn settle(&mut self) {
        if self.taken {
            self.heap.pop();
            self.taken = false;
        }
    }

    pub(crate) fn peek(&mut self) -> Option<Node> {
        match self.order {
            QueueOrder::Stack => self.stack.last().copied(),
            QueueOrder::Keyed => {
                self.settle();
                self.heap.peek().map(|e| e.3)
            }
        }
    }

    /// The key the next node out was put in with.
    pub(crate) fn peek_key(&mut self) -> Option<(u64, u64)> {
        self.settle();
        self.heap.peek().map(|e| (e.0, e.1))
    }

    /// Reverses a stack (git's `prio_queue_reverse`).
    pub(crate) fn reverse(&mut self) {
        debug_assert_eq!(self.order, QueueOrder::Stack);
        self.stack.reverse();
    }

    /// Every node in the queue, in no order.
    pub(crate) fn nodes(&mut self) -> impl Iterator<Item = Node> + '_ {
        self.settle();
        self.heap
            .iter()
            .map(|e| e.3)
            .chain(self.stack.iter().copied())
    }
}

/// git's commit list kept sorted by date (`commit_list_insert_by_date`):
/// newest first, a node put in after every one of the same date.
#[derive(Debug)]
pub(crate) struct DateList(Queue);

impl DateList {
    pub(crate) fn new() -> DateList {
        DateList(Queue::new(QueueOrder::Keyed))
    }

    pub(crate) fn insert(&mut self, n: Node, date: u64) {
        self.0.put(n, date, 0);
    }

    pub(crate) fn pop(&mut self) -> Option<Node> {
        self.0.get()
    }

    /// [`pop`](Self::pop), with the date the node was put in with.
    pub(crate) fn pop_dated(&mut self) -> Option<(Node, u64)> {
        let date = self.0.peek_key()?.0;
        self.0.get().map(|n| (n, date))
    }

    /// The date of the first node.
    pub(crate) fn first_date(&mut self) -> Option<u64> {
        self.0.peek_key().map(|k| k.0)
    }

    pub(crate) fn nodes(&mut self) -> impl Iterator<Item = Node> + '_ {
        self.0.nodes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The queue against git's `prio_queue` as a plain heap would be:
    /// greatest key first, ties in the order they came in.
    #[test]
    fn nodes_come_out_as_from_a_plain_heap() {
        let mut rand = crate::test_rand::xorshift(0x2545_f491_4f6c_dd1d);
        let mut next = move |n: u64| rand() % n;
        let mut queue = Queue::new(QueueOrder::Keyed);
        let mut model: BinaryHeap<(u64, u64, Reverse<u64>, Node)> = BinaryHeap::new();
        let mut counter = 0;
        for step in 0..20_000u32 {
            match next(8) {
                // Puts, often right after a get, as walks do.
                0..=3 => {
                    let (first, second) = (next(50), next(3));
                    queue.put(step, first, second);
                    model.push((first, second, Reverse(counter), step));
                    counter += 1;
                }
                4 | 5 => assert_eq!(queue.get(), model.pop().map(|e| e.3)),
                6 => {
                    assert_eq!(queue.peek(), model.peek().map(|e| e.3));
                    assert_eq!(queue.peek_key(), model.peek().map(|e| (e.0, e.1)));
                }
                _ => {
                    let mut ours: Vec<Node> = queue.nodes().collect();
                    let mut theirs: Vec<Node> = model.iter().map(|e| e.3).collect();
                    ours.sort_unstable();
                    theirs.sort_unstable();
                    assert_eq!(ours, theirs);
                }
            }
        }
        while let Some(e) = model.pop() {
            assert_eq!(queue.get(), Some(e.3));
        }
        assert_eq!(queue.get(), None);
    }
}
