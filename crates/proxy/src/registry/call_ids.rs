//! [`CallIdIndex`]: the dialogs of each Call-ID, for matching requests that carry no `did`.
//!
//! Keyed by the Call-ID's hash, not the Call-ID: the registry's entry holds the Call-ID
//! already, and a second copy as the key (plus a list per Call-ID) cost about 100 bytes per
//! dialog. The hash is keyed per process ([`RandomState`]), so a peer cannot choose Call-IDs
//! that collide; a collision that happens anyway only adds a candidate, which the registry
//! drops by comparing the entry's Call-ID.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};

use dialogd_dialog::DialogId;

/// The dialogs of one hash: nearly always one.
#[derive(Debug)]
enum Dids {
    One(DialogId),
    Many(Vec<DialogId>),
}

/// Call-ID hash → dialog ids; see the module doc.
#[derive(Debug, Default)]
pub(super) struct CallIdIndex {
    hasher: RandomState,
    by_hash: HashMap<u64, Dids>,
}

impl CallIdIndex {
    fn key(&self, call_id: &str) -> u64 {
        self.hasher.hash_one(call_id)
    }

    pub(super) fn insert(&mut self, call_id: &str, did: DialogId) {
        let key = self.key(call_id);
        match self.by_hash.get_mut(&key) {
            None => {
                self.by_hash.insert(key, Dids::One(did));
            }
            Some(Dids::One(first)) => {
                let first = *first;
                self.by_hash.insert(key, Dids::Many(vec![first, did]));
            }
            Some(Dids::Many(list)) => list.push(did),
        }
    }

    pub(super) fn remove(&mut self, call_id: &str, did: DialogId) {
        let key = self.key(call_id);
        let emptied = match self.by_hash.get_mut(&key) {
            None => false,
            Some(Dids::One(d)) => *d == did,
            Some(Dids::Many(list)) => {
                list.retain(|d| *d != did);
                if let [last] = list[..] {
                    self.by_hash.insert(key, Dids::One(last));
                }
                false
            }
        };
        if emptied {
            self.by_hash.remove(&key);
        }
    }

    /// The dialogs that may have this Call-ID (compare each entry's Call-ID).
    pub(super) fn candidates(&self, call_id: &str) -> &[DialogId] {
        match self.by_hash.get(&self.key(call_id)) {
            None => &[],
            Some(Dids::One(d)) => std::slice::from_ref(d),
            Some(Dids::Many(list)) => list,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn did(n: u64) -> DialogId {
        DialogId::new(1, n)
    }

    #[test]
    fn dialogs_are_found_by_call_id_until_removed() {
        let mut index = CallIdIndex::default();
        index.insert("a@host", did(1));
        index.insert("b@host", did(2));
        index.insert("a@host", did(3));
        assert_eq!(index.candidates("a@host"), [did(1), did(3)]);
        assert_eq!(index.candidates("b@host"), [did(2)]);
        assert_eq!(index.candidates("c@host"), []);
        index.remove("a@host", did(1));
        assert_eq!(index.candidates("a@host"), [did(3)]);
        // Removing what is not there changes nothing.
        index.remove("a@host", did(9));
        index.remove("c@host", did(3));
        assert_eq!(index.candidates("a@host"), [did(3)]);
        index.remove("a@host", did(3));
        index.remove("b@host", did(2));
        assert_eq!(index.candidates("a@host"), []);
        assert!(index.by_hash.is_empty());
    }
}
