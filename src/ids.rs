//! Sets of ids (and a value for each) held in one buffer.
//!
//! Ingest checks every row's ids against the ids already loaded: millions of
//! people and referrals at national scale. A `HashSet<String>` makes one
//! allocation per id and frees them one by one; here the ids' bytes sit end
//! to end in one buffer and the hash table holds only their positions, so a
//! set of millions of ids is a handful of allocations, half the memory,
//! and dropped at once.

use std::hash::BuildHasher;

use foldhash::fast::FixedState;
use hashbrown::HashTable;

/// Ids, each with a value of type `V` (`()` for a plain set).
#[derive(Debug, Clone, Default)]
pub struct IdMap<V> {
    /// Every id's bytes, end to end.
    text: String,
    /// Each id's value, in insertion order.
    values: Vec<V>,
    /// Where each id is, hashed by it.
    table: HashTable<Slot>,
    hasher: FixedState,
}

/// One id in the table: its hash (so growing the table never reads the
/// ids again, and a lookup reads an id's bytes only when the hash agrees),
/// where its bytes are, and which value is its.
#[derive(Debug, Clone, Copy)]
struct Slot {
    hash: u64,
    start: usize,
    len: u32,
    index: u32,
}

impl<V: Copy> IdMap<V> {
    /// How many ids.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    fn slot(&self, id: &str) -> (u64, Option<&Slot>) {
        let hash = self.hasher.hash_one(id);
        let text = &self.text;
        let found = self.table.find(hash, |s| {
            s.hash == hash && &text[s.start..s.start + s.len as usize] == id
        });
        (hash, found)
    }

    /// The value of `id`, if it is held.
    pub fn get(&self, id: &str) -> Option<&V> {
        let (_, slot) = self.slot(id);
        slot.map(|s| &self.values[s.index as usize])
    }

    /// Whether `id` is held.
    pub fn contains(&self, id: &str) -> bool {
        self.slot(id).1.is_some()
    }

    /// Hold `id` with `value`; an id already held takes the new value.
    ///
    /// # Panics
    /// When an id is longer than 4 GiB or there are more than 2³² ids.
    pub fn insert(&mut self, id: &str, value: V) {
        let (hash, found) = self.slot(id);
        if let Some(&Slot { index, .. }) = found {
            self.values[index as usize] = value;
            return;
        }
        let slot = Slot {
            hash,
            start: self.text.len(),
            len: u32::try_from(id.len()).expect("an id shorter than 4 GiB"),
            index: u32::try_from(self.values.len()).expect("at most 2^32 ids"),
        };
        self.table.insert_unique(hash, slot, |s| s.hash);
        self.values.push(value);
        self.text.push_str(id);
    }
}

impl IdMap<()> {
    /// Hold every id of `ids`.
    pub fn extend<'a>(&mut self, ids: impl IntoIterator<Item = &'a str>) {
        for id in ids {
            self.insert(id, ());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn holds_what_a_hash_map_holds() {
        let mut ids = IdMap::default();
        let mut reference = HashMap::new();
        // Ids of every length from empty, repeated so later values replace earlier ones.
        for n in 0..20_000u64 {
            let id = format!("{:x}", n.wrapping_mul(2_654_435_761) % 7_001);
            let id = if n % 97 == 0 { String::new() } else { id };
            ids.insert(&id, n);
            reference.insert(id, n);
        }
        assert_eq!(ids.len(), reference.len());
        for (id, value) in &reference {
            assert_eq!(ids.get(id), Some(value), "{id}");
        }
        assert!(!ids.contains("not an id"));
        assert!(!ids.contains("1b5 "));
    }

    #[test]
    fn a_set_of_ids() {
        let mut set = IdMap::<()>::default();
        assert!(set.is_empty());
        set.extend(["P1", "P2", "P1", "P10"]);
        assert_eq!(set.len(), 3);
        assert!(set.contains("P1") && set.contains("P10") && !set.contains("P"));
    }
}
