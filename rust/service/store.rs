// SPDX-License-Identifier: GPL-2.0

//! The key-value store of one family in one namespace: an ordered map (dumps come out in
//! key order and resume by key) plus a generation counter that changes with every write,
//! so a dump can tell it raced with one.

use kernel::error::code::{EEXIST, ENOENT, ENOSPC};
use kernel::prelude::*;
use kernel::rbtree::{Entry, RBTree, RBTreeNodeReservation};

use crate::netlink::Failure;
use crate::proto::wire::{NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE};

/// Keys up to this long live inside the tree node: storing one, or looking one up, then
/// allocates nothing.
const INLINE_KEY: usize = 40;

/// A key: bytes ordered lexicographically.
pub(crate) enum Key {
    /// A short key, in place (`len` bytes of `bytes`).
    Inline { len: u8, bytes: [u8; INLINE_KEY] },
    /// A longer one.
    Heap(KVec<u8>),
}

impl Key {
    /// A copy of `k`; allocates only for keys longer than [`INLINE_KEY`].
    pub(crate) fn new(k: &[u8]) -> Result<Self> {
        match u8::try_from(k.len()) {
            Ok(len) if k.len() <= INLINE_KEY => {
                let mut bytes = [0u8; INLINE_KEY];
                bytes
                    .get_mut(..k.len())
                    .ok_or(kernel::error::code::EINVAL)?
                    .copy_from_slice(k);
                Ok(Key::Inline { len, bytes })
            }
            _ => Ok(Key::Heap(to_kvec(k)?)),
        }
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        match self {
            Key::Inline { len, bytes } => bytes.get(..usize::from(*len)).unwrap_or(&[]),
            Key::Heap(v) => v.as_slice(),
        }
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
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
        self.as_bytes().cmp(other.as_bytes())
    }
}

/// Copies `bytes` into a new kernel vector.
pub(crate) fn to_kvec(bytes: &[u8]) -> Result<KVec<u8>> {
    let mut v = KVec::with_capacity(bytes.len(), GFP_KERNEL)?;
    v.extend_from_slice(bytes, GFP_KERNEL)?;
    Ok(v)
}

/// How a [`Store::walk_from`] ended.
pub(crate) enum Walk {
    /// Every entry was walked.
    Finished,
    /// Stopped with entries left; the last key accepted, if any.
    Stopped(Option<Key>),
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
    /// One walk of the tree; a node is allocated only for a new key.
    pub(crate) fn set(
        &mut self,
        key: Key,
        value: KVec<u8>,
        flags: u16,
        max_entries: usize,
    ) -> Result<(), Failure> {
        match self.map.entry(key) {
            Entry::Occupied(mut entry) => {
                if flags & NLM_F_EXCL != 0 {
                    return Err(Failure::new(EEXIST, "key exists and NLM_F_EXCL was given"));
                }
                if flags & NLM_F_REPLACE == 0 {
                    return Err(Failure::new(
                        EEXIST,
                        "key exists; NLM_F_REPLACE overwrites it",
                    ));
                }
                *entry.get_mut() = value;
            }
            Entry::Vacant(entry) => {
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
                entry.insert(value, RBTreeNodeReservation::new(GFP_KERNEL)?);
                self.len += 1;
            }
        }
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
    /// `f` returns `false`. When it stopped early with entries left, returns `Stopped`
    /// with a copy of the last key `f` accepted (none if it accepted none): where the next
    /// walk resumes. Only that one key is copied, however many entries are walked.
    pub(crate) fn walk_from(
        &mut self,
        after: Option<&Key>,
        mut f: impl FnMut(&[u8], &[u8]) -> bool,
    ) -> Result<Walk> {
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
        let mut accepted = false;
        while let Some(c) = cursor {
            let (k, v) = c.current();
            if !f(k.as_bytes(), v.as_slice()) {
                let last = match c.peek_prev() {
                    Some((k, _)) if accepted => Some(Key::new(k.as_bytes())?),
                    _ => None,
                };
                return Ok(Walk::Stopped(last));
            }
            accepted = true;
            cursor = c.move_next();
        }
        Ok(Walk::Finished)
    }
}
