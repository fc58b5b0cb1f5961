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
}

impl Queue {
    pub(crate) fn new(order: QueueOrder) -> Queue {
        Queue {
            order,
            heap: BinaryHeap::new(),
            stack: Vec::new(),
            counter: 0,
        }
    }

    /// Puts `n` in with the key `(first, second)` (ignored by a stack).
    pub(crate) fn put(&mut self, n: Node, first: u64, second: u64) {
        match self.order {
            QueueOrder::Stack => self.stack.push(n),
            QueueOrder::Keyed => {
                self.heap.push((first, second, Reverse(self.counter), n));
                self.counter += 1;
            }
        }
    }

    pub(crate) fn get(&mut self) -> Option<Node> {
        match self.order {
            QueueOrder::Stack => self.stack.pop(),
            QueueOrder::Keyed => self.heap.pop().map(|e| e.3),
        }
    }

    pub(crate) fn peek(&self) -> Option<Node> {
        match self.order {
            QueueOrder::Stack => self.stack.last().copied(),
            QueueOrder::Keyed => self.heap.peek().map(|e| e.3),
        }
    }

    /// The key the next node out was put in with.
    pub(crate) fn peek_key(&self) -> Option<(u64, u64)> {
        self.heap.peek().map(|e| (e.0, e.1))
    }

    /// Reverses a stack (git's `prio_queue_reverse`).
    pub(crate) fn reverse(&mut self) {
        debug_assert_eq!(self.order, QueueOrder::Stack);
        self.stack.reverse();
    }

    /// Every node in the queue, in no order.
    pub(crate) fn nodes(&self) -> impl Iterator<Item = Node> + '_ {
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

    /// The date of the first node.
    pub(crate) fn first_date(&self) -> Option<u64> {
        self.0.peek_key().map(|k| k.0)
    }

    pub(crate) fn nodes(&self) -> impl Iterator<Item = Node> + '_ {
        self.0.nodes()
    }
}
