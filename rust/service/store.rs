// SPDX-License-Identifier: GPL-2.0

//! The key-value store of one family in one namespace: an ordered map (dumps come out in
//! key order and resume by key) plus a generation counter that changes with every write,
//! so a dump can tell it raced with one.

use kernel::error::code::{EEXIST, ENOENT, ENOSPC};
use kernel::prelude::*;
use kernel::rbtree::RBTree;

use crate::netlink::Failure;
use crate::proto::wire::{NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE};

/// A key: bytes ordered lexicographically.
pub(crate) struct Key(pub(crate) KVec<u8>);

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_slice() == other.0.as_slice()
    }
}
impl Eq for Key {}
impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Key {
    fn cmp(&self, other: &Self) -> core::cmp::Ordering {
        self.0.as_slice().cmp(other.0.as_slice())
    }
}

/// Copies `bytes` into a new kernel vector.
pub(crate) fn to_kvec(bytes: &[u8]) -> Result<KVec<u8>> {
    let mut v = KVec::with_capacity(bytes.len(), GFP_KERNEL)?;
    v.extend_from_slice(bytes, GFP_KERNEL)?;
    Ok(v)
}

pub(crate) struct Store {
    map: RBTree<Key, KVec<u8>>,
    len: usize,
    generation: u64,
}

impl Store {
    pub(crate) fn new() -> Self {
        Self {
            map: RBTree::new(),
            len: 0,
            generation: 1,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Changes with every successful SET or DEL.
    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }

    pub(crate) fn get(&self, key: &Key) -> Option<&KVec<u8>> {
        self.map.get(key)
    }

    /// SET with rtnetlink's flag semantics: `NLM_F_EXCL` refuses an existing key,
    /// `NLM_F_REPLACE` allows overwriting one, `NLM_F_CREATE` allows creating a missing one.
    pub(crate) fn set(
        &mut self,
        key: Key,
        value: KVec<u8>,
        flags: u16,
        max_entries: usize,
    ) -> Result<(), Failure> {
        let exists = self.map.get(&key).is_some();
        if exists {
            if flags & NLM_F_EXCL != 0 {
                return Err(Failure::new(EEXIST, "key exists and NLM_F_EXCL was given"));
            }
            if flags & NLM_F_REPLACE == 0 {
                return Err(Failure::new(
                    EEXIST,
                    "key exists; NLM_F_REPLACE overwrites it",
                ));
            }
            if let Some(v) = self.map.get_mut(&key) {
                *v = value;
            }
            self.generation = self.generation.wrapping_add(1);
            return Ok(());
        }
        if flags & NLM_F_CREATE == 0 {
            return Err(Failure::new(
                ENOENT,
                "key does not exist; NLM_F_CREATE creates it",
            ));
        }
        if self.len >= max_entries {
            return Err(Failure::new(
                ENOSPC,
                "store is full (module parameter max_entries)",
            ));
        }
        self.map.try_create_and_insert(key, value, GFP_KERNEL)?;
        self.len += 1;
        self.generation = self.generation.wrapping_add(1);
        Ok(())
    }

    pub(crate) fn del(&mut self, key: &Key) -> Result<(), Failure> {
        match self.map.remove(key) {
            Some(_) => {
                self.len -= 1;
                self.generation = self.generation.wrapping_add(1);
                Ok(())
            }
            None => Err(Failure::new(ENOENT, "no such key")),
        }
    }

    /// Calls `f` on entries in key order, starting after `after` (or at the first), until
    /// `f` returns `false`. Returns `true` when `f` stopped early with entries left.
    pub(crate) fn walk_from(
        &mut self,
        after: Option<&Key>,
        mut f: impl FnMut(&[u8], &[u8]) -> bool,
    ) -> bool {
        let mut cursor = match after {
            Some(k) => self.map.cursor_lower_bound(k),
            None => self.map.cursor_front(),
        };
        // `cursor_lower_bound` lands on the key itself when it still exists: skip it.
        if let (Some(c), Some(k)) = (&cursor, after) {
            if c.current().0 == k {
                cursor = cursor.and_then(|c| c.move_next());
            }
        }
        while let Some(c) = cursor {
            let (k, v) = c.current();
            if !f(k.0.as_slice(), v.as_slice()) {
                return true;
            }
            cursor = c.move_next();
        }
        false
    }
}
