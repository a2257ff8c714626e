//! [`SourceTable`]: the flood guard's per-source counters, at most `capacity` of them, with
//! every operation O(1).
//!
//! Entries live in a slab (`Vec` plus a free list) indexed by a `HashMap` from [`SourceKey`]
//! to slot (std's SipHash: the keys are chosen by whoever sends packets, so the hash must not
//! be predictable). Each entry is on exactly one of two doubly-linked lists threaded through
//! the slab:
//!
//! ```text
//!  counting: sources not blocked, oldest window start first   (restart_window: move to back)
//!  blocked:  blocked sources, earliest block end first         (block: move to back)
//! ```
//!
//! Windows restart at the current time and blocks last a fixed `block_for`, so appending at
//! the back keeps both lists in time order; the guard therefore finds the idle, the expired and
//! the eviction candidate at a list's front without scanning.

use std::collections::HashMap;
use std::time::Instant;

use super::source::SourceKey;

/// Slot number inside the table.
pub(super) type SlotId = u32;

const NIL: SlotId = SlotId::MAX;

/// The counters of one source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Entry {
    pub key: SourceKey,
    /// Start of the current sampling window.
    pub window_start: Instant,
    /// Requests counted in the current window (the window that started the block, when
    /// blocked).
    pub count: u32,
    /// End of the block; `None` while counting.
    pub blocked_until: Option<Instant>,
}

#[derive(Debug)]
struct Slot {
    entry: Entry,
    prev: SlotId,
    next: SlotId,
}

#[derive(Debug, Clone, Copy)]
struct List {
    head: SlotId,
    tail: SlotId,
    len: usize,
}

impl List {
    const EMPTY: List = List {
        head: NIL,
        tail: NIL,
        len: 0,
    };
}

/// Which of the two lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Queue {
    Counting,
    Blocked,
}

/// Bounded map from source to counters, with the two time-ordered lists described above.
#[derive(Debug)]
pub(super) struct SourceTable {
    index: HashMap<SourceKey, SlotId>,
    slots: Vec<Slot>,
    free: Vec<SlotId>,
    counting: List,
    blocked: List,
    capacity: usize,
}

impl SourceTable {
    /// An empty table that holds at most `capacity` entries (at least 1; at most `u32::MAX - 1`).
    pub fn new(capacity: usize) -> SourceTable {
        SourceTable {
            index: HashMap::new(),
            slots: Vec::new(),
            free: Vec::new(),
            counting: List::EMPTY,
            blocked: List::EMPTY,
            capacity: capacity.clamp(1, NIL as usize - 1),
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Number of entries on the blocked list.
    pub fn blocked_len(&self) -> usize {
        self.blocked.len
    }

    /// True if one more entry needs one removed first.
    pub fn is_full(&self) -> bool {
        self.len() >= self.capacity
    }

    /// The slot of `key`, if tracked.
    pub fn find(&self, key: SourceKey) -> Option<SlotId> {
        self.index.get(&key).copied()
    }

    /// The entry in `id` (which must be live).
    pub fn entry(&self, id: SlotId) -> &Entry {
        &self.slots[id as usize].entry
    }

    /// The entry in `id`, mutable; list order is not touched.
    pub fn entry_mut(&mut self, id: SlotId) -> &mut Entry {
        &mut self.slots[id as usize].entry
    }

    /// First entry of a list: the oldest window, or the earliest block end.
    pub fn front(&self, queue: Queue) -> Option<SlotId> {
        let head = self.list(queue).head;
        (head != NIL).then_some(head)
    }

    /// Adds a counting entry for `key` with a window starting at `now` and a zero count,
    /// at the back of the counting list. The caller makes room first ([`Self::is_full`]) and
    /// checks that `key` is not tracked yet.
    pub fn insert(&mut self, key: SourceKey, now: Instant) -> SlotId {
        debug_assert!(!self.is_full() && self.find(key).is_none());
        let entry = Entry {
            key,
            window_start: now,
            count: 0,
            blocked_until: None,
        };
        let slot = Slot {
            entry,
            prev: NIL,
            next: NIL,
        };
        let id = match self.free.pop() {
            Some(id) => {
                self.slots[id as usize] = slot;
                id
            }
            None => {
                self.slots.push(slot);
                (self.slots.len() - 1) as SlotId
            }
        };
        self.index.insert(key, id);
        self.push_back(Queue::Counting, id);
        id
    }

    /// Forgets the entry in `id`.
    pub fn remove(&mut self, id: SlotId) {
        let queue = self.queue_of(id);
        self.unlink(queue, id);
        let key = self.slots[id as usize].entry.key;
        self.index.remove(&key);
        self.free.push(id);
    }

    /// Starts a new window at `now` with a zero count; the entry goes to the back of the
    /// counting list (from either list: a block that ended also restarts counting).
    pub fn restart_window(&mut self, id: SlotId, now: Instant) {
        let queue = self.queue_of(id);
        self.unlink(queue, id);
        let e = &mut self.slots[id as usize].entry;
        e.window_start = now;
        e.count = 0;
        e.blocked_until = None;
        self.push_back(Queue::Counting, id);
    }

    /// Blocks the (counting) entry until `until`; it goes to the back of the blocked list.
    pub fn block(&mut self, id: SlotId, until: Instant) {
        let queue = self.queue_of(id);
        self.unlink(queue, id);
        self.slots[id as usize].entry.blocked_until = Some(until);
        self.push_back(Queue::Blocked, id);
    }

    fn queue_of(&self, id: SlotId) -> Queue {
        match self.slots[id as usize].entry.blocked_until {
            Some(_) => Queue::Blocked,
            None => Queue::Counting,
        }
    }

    fn list(&self, queue: Queue) -> &List {
        match queue {
            Queue::Counting => &self.counting,
            Queue::Blocked => &self.blocked,
        }
    }

    fn list_mut(&mut self, queue: Queue) -> &mut List {
        match queue {
            Queue::Counting => &mut self.counting,
            Queue::Blocked => &mut self.blocked,
        }
    }

    fn push_back(&mut self, queue: Queue, id: SlotId) {
        let tail = self.list(queue).tail;
        {
            let slot = &mut self.slots[id as usize];
            slot.prev = tail;
            slot.next = NIL;
        }
        if tail == NIL {
            self.list_mut(queue).head = id;
        } else {
            self.slots[tail as usize].next = id;
        }
        let list = self.list_mut(queue);
        list.tail = id;
        list.len += 1;
    }

    fn unlink(&mut self, queue: Queue, id: SlotId) {
        let (prev, next) = {
            let slot = &self.slots[id as usize];
            (slot.prev, slot.next)
        };
        if prev == NIL {
            self.list_mut(queue).head = next;
        } else {
            self.slots[prev as usize].next = next;
        }
        if next == NIL {
            self.list_mut(queue).tail = prev;
        } else {
            self.slots[next as usize].prev = prev;
        }
        let slot = &mut self.slots[id as usize];
        slot.prev = NIL;
        slot.next = NIL;
        self.list_mut(queue).len -= 1;
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;
    use std::time::Duration;

    use super::*;

    fn key(n: u32) -> SourceKey {
        SourceKey::V4(Ipv4Addr::from(n))
    }

    fn order(t: &SourceTable, queue: Queue) -> Vec<SourceKey> {
        let mut out = Vec::new();
        let mut id = t.list(queue).head;
        while id != NIL {
            out.push(t.entry(id).key);
            id = t.slots[id as usize].next;
        }
        assert_eq!(out.len(), t.list(queue).len);
        out
    }

    #[test]
    fn lists_keep_time_order_through_moves_and_removals() {
        let t0 = crate::clock::now();
        let mut t = SourceTable::new(8);
        let a = t.insert(key(1), t0);
        let b = t.insert(key(2), t0);
        let c = t.insert(key(3), t0);
        assert_eq!(order(&t, Queue::Counting), [key(1), key(2), key(3)]);

        t.restart_window(a, t0 + Duration::from_secs(1));
        assert_eq!(order(&t, Queue::Counting), [key(2), key(3), key(1)]);

        t.block(c, t0 + Duration::from_secs(30));
        t.block(b, t0 + Duration::from_secs(31));
        assert_eq!(order(&t, Queue::Counting), [key(1)]);
        assert_eq!(order(&t, Queue::Blocked), [key(3), key(2)]);
        assert_eq!(t.blocked_len(), 2);

        t.remove(c);
        assert_eq!(order(&t, Queue::Blocked), [key(2)]);
        assert_eq!(t.find(key(3)), None);

        t.restart_window(b, t0 + Duration::from_secs(40));
        assert_eq!(order(&t, Queue::Counting), [key(1), key(2)]);
        assert_eq!(t.front(Queue::Blocked), None);
        assert_eq!(t.entry(b).blocked_until, None);

        let d = t.insert(key(4), t0);
        assert_eq!(d, c, "freed slot reused");
        assert_eq!(t.len(), 3);
    }
}
