//! An in-memory table of the projections: ordered byte keys (the same keys the sled trees had,
//! so scans by prefix keep their order) to typed rows, with an undo journal.
//!
//! The journal is what makes a local append all or nothing: the rules of `projection::apply`
//! run on the live tables, and a batch that one of them refuses is rolled back before anyone
//! reads it. Rebuilding at open runs without the journal (nothing to undo, nothing to copy).

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;

/// The maps a table can keep its rows in.
pub(crate) trait Map<V>: Default {
    fn get(&self, k: &[u8]) -> Option<&V>;
    fn get_mut(&mut self, k: &[u8]) -> Option<&mut V>;
    fn insert(&mut self, k: Vec<u8>, v: V) -> Option<V>;
    fn remove(&mut self, k: &[u8]) -> Option<V>;
    /// Room for `n` more rows, where the map can make it ahead.
    fn reserve(&mut self, _n: usize) {}
}

impl<V> Map<V> for BTreeMap<Vec<u8>, V> {
    fn get(&self, k: &[u8]) -> Option<&V> {
        BTreeMap::get(self, k)
    }
    fn get_mut(&mut self, k: &[u8]) -> Option<&mut V> {
        BTreeMap::get_mut(self, k)
    }
    fn insert(&mut self, k: Vec<u8>, v: V) -> Option<V> {
        BTreeMap::insert(self, k, v)
    }
    fn remove(&mut self, k: &[u8]) -> Option<V> {
        BTreeMap::remove(self, k)
    }
}

/// Keys are ours (ids written by the store), not an attacker's: a fast hash is enough.
type FastHash = foldhash::fast::RandomState;

impl<V> Map<V> for HashMap<Vec<u8>, V, FastHash> {
    fn get(&self, k: &[u8]) -> Option<&V> {
        HashMap::get(self, k)
    }
    fn get_mut(&mut self, k: &[u8]) -> Option<&mut V> {
        HashMap::get_mut(self, k)
    }
    fn insert(&mut self, k: Vec<u8>, v: V) -> Option<V> {
        HashMap::insert(self, k, v)
    }
    fn remove(&mut self, k: &[u8]) -> Option<V> {
        HashMap::remove(self, k)
    }
    fn reserve(&mut self, n: usize) {
        HashMap::reserve(self, n)
    }
}

/// Rows with an undo journal, in a map `M`.
pub(crate) struct Journaled<V, M> {
    map: M,
    /// Previous values of the keys changed since `begin`, oldest first.
    undo: Vec<(Vec<u8>, Option<V>)>,
    journal: bool,
    _rows: std::marker::PhantomData<V>,
}

/// A table read in key order (indexes scanned by prefix or range).
pub(crate) type Table<V> = Journaled<V, BTreeMap<Vec<u8>, V>>;
/// A table read by exact key only (records by id): hashed, faster to fill at open.
pub(crate) type Keyed<V> = Journaled<V, HashMap<Vec<u8>, V, FastHash>>;

impl<V, M: Map<V>> Default for Journaled<V, M> {
    fn default() -> Self {
        Journaled {
            map: M::default(),
            undo: Vec::new(),
            journal: false,
            _rows: std::marker::PhantomData,
        }
    }
}

impl<V, M: Map<V>> Journaled<V, M> {
    pub fn get(&self, k: &[u8]) -> Option<&V> {
        self.map.get(k)
    }

    pub fn contains(&self, k: &[u8]) -> bool {
        self.map.get(k).is_some()
    }

    pub fn insert(&mut self, k: Vec<u8>, v: V) {
        if self.journal {
            let old = self.map.insert(k.clone(), v);
            self.undo.push((k, old));
        } else {
            self.map.insert(k, v);
        }
    }

    pub fn remove(&mut self, k: &[u8]) {
        if let Some(old) = self.map.remove(k)
            && self.journal
        {
            self.undo.push((k.to_vec(), Some(old)));
        }
    }

    /// Changes a row in place (`new` makes it when missing). Journaled, the old row is copied
    /// for the undo; not journaled (at open), nothing is copied.
    pub fn update(&mut self, k: &[u8], new: impl FnOnce() -> V, f: impl FnOnce(&mut V))
    where
        V: Clone,
    {
        if self.journal {
            let old = self.map.get(k).cloned();
            let mut row = old.clone().unwrap_or_else(new);
            f(&mut row);
            self.map.insert(k.to_vec(), row);
            self.undo.push((k.to_vec(), old));
        } else if let Some(row) = self.map.get_mut(k) {
            f(row);
        } else {
            let mut row = new();
            f(&mut row);
            self.map.insert(k.to_vec(), row);
        }
    }

    /// Makes room for `n` rows ahead (at open, the count of events is known): growing a large
    /// hashed table row by row moves it whole several times.
    pub fn reserve(&mut self, n: usize) {
        self.map.reserve(n);
    }

    pub fn begin(&mut self) {
        self.journal = true;
        self.undo.clear();
    }

    pub fn commit(&mut self) {
        self.journal = false;
        self.undo.clear();
    }

    /// Puts back every row changed since `begin`, newest change first.
    pub fn rollback(&mut self) {
        while let Some((k, old)) = self.undo.pop() {
            match old {
                Some(v) => {
                    self.map.insert(k, v);
                }
                None => {
                    self.map.remove(&k);
                }
            }
        }
        self.journal = false;
    }
}

impl<V> Journaled<V, BTreeMap<Vec<u8>, V>> {
    /// Rows whose key starts with `prefix`, in key order.
    pub fn scan_prefix<'a>(
        &'a self,
        prefix: &'a [u8],
    ) -> impl Iterator<Item = (&'a [u8], &'a V)> + 'a {
        self.map
            .range::<[u8], _>((Bound::Included(prefix), Bound::Unbounded))
            .take_while(move |(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.as_slice(), v))
    }

    /// Rows with `from <= key < to`, in key order.
    pub fn range<'a>(&'a self, from: &[u8], to: &[u8]) -> impl Iterator<Item = (&'a [u8], &'a V)> {
        self.map
            .range::<[u8], _>((Bound::Included(from), Bound::Excluded(to)))
            .map(|(k, v)| (k.as_slice(), v))
    }
}

impl<V> Journaled<V, HashMap<Vec<u8>, V, FastHash>> {
    /// Every row, in key order.
    pub fn sorted_values(&self) -> Vec<&V> {
        let mut rows: Vec<(&Vec<u8>, &V)> = self.map.iter().collect();
        rows.sort_by(|a, b| a.0.cmp(b.0));
        rows.into_iter().map(|(_, v)| v).collect()
    }

    pub fn keys(&self) -> impl Iterator<Item = &[u8]> {
        self.map.keys().map(Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rollback_puts_back_inserted_replaced_and_removed_rows() {
        let mut t = Table::default();
        t.insert(b"a".to_vec(), 1);
        t.insert(b"b".to_vec(), 2);
        t.begin();
        t.insert(b"a".to_vec(), 10);
        t.insert(b"c".to_vec(), 3);
        t.remove(b"b");
        t.insert(b"a".to_vec(), 11);
        t.rollback();
        let rows: Vec<(Vec<u8>, i32)> = t.scan_prefix(b"").map(|(k, v)| (k.to_vec(), *v)).collect();
        assert_eq!(rows, vec![(b"a".to_vec(), 1), (b"b".to_vec(), 2)]);
    }

    #[test]
    fn a_prefix_scan_stops_at_the_first_key_without_the_prefix() {
        let mut t = Table::default();
        for k in ["ab\0x", "ab\0y", "abc", "b"] {
            t.insert(k.as_bytes().to_vec(), k.len());
        }
        let keys: Vec<&[u8]> = t.scan_prefix(b"ab\0").map(|(k, _)| k).collect();
        assert_eq!(keys, vec![&b"ab\0x"[..], &b"ab\0y"[..]]);
    }
}
