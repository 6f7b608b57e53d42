// SPDX-License-Identifier: GPL-2.0

//! The key-value store of one family in one namespace: an ordered map (dumps come out in
//! key order and resume by key) plus a generation counter that changes with every write,
//! so a dump can tell it raced with one.
//!
//! Everything the store allocates is made on behalf of the requesting task and charged to
//! its memory cgroup, refused with `ENOMEM` when that is full
//! ([`GFP_KERNEL_ACCOUNT_MAYFAIL`]), and bounded by a [`Quota`] in entries and in bytes.

use core::num::NonZeroU32;
use kernel::error::code::{EEXIST, ENOENT, ENOSPC};
use kernel::prelude::*;
use kernel::rbtree::{Entry, RBTree, RBTreeNodeReservation};

use crate::compat::bytes::Bytes;
use crate::compat::gfp::GFP_KERNEL_ACCOUNT_MAYFAIL;
use crate::netlink::Failure;
use crate::params::Quota;
use crate::proto::wire::{NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE};

/// Keys up to this long live inside the tree node: storing one, or looking one up, then
/// allocates nothing. With it a key takes 24 bytes, and a node (links, key, value) 64:
/// one cache line per node visited by a lookup.
const INLINE_KEY: usize = 22;

/// A key: bytes ordered lexicographically.
///
/// # Invariants
///
/// An inline key's bytes beyond its length are zero, and a heap key is longer than
/// [`INLINE_KEY`] (so at least eight bytes long): [`Key::prefix`] relies on both.
pub(crate) struct Key(Repr);

enum Repr {
    /// A short key, in place (`len` bytes of `bytes`).
    Inline { len: u8, bytes: [u8; INLINE_KEY] },
    /// A longer one.
    Heap(Bytes),
}

const _: () = assert!(core::mem::size_of::<Key>() == 24 && INLINE_KEY >= 8);

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
                // INVARIANT: the rest of `bytes` stays zero.
                Ok(Key(Repr::Inline { len, bytes }))
            }
            // INVARIANT: the arm above takes every key of at most `INLINE_KEY` bytes.
            _ => Ok(Key(Repr::Heap(copy(k)?))),
        }
    }

    /// The first eight bytes, zero-padded, as a big-endian number. Zero is the least
    /// byte, so a smaller prefix means a smaller key (a shorter key whose bytes begin the
    /// other's is the smaller one); equal prefixes say nothing.
    fn prefix(&self) -> u64 {
        // Both are the key's first eight bytes, zero-padded (type invariants).
        let first = match &self.0 {
            Repr::Inline { bytes, .. } => bytes.first_chunk::<8>(),
            Repr::Heap(b) => b.as_slice().first_chunk::<8>(),
        };
        first.map_or(0, |w| u64::from_be_bytes(*w))
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            Repr::Inline { len, bytes } => bytes.get(..usize::from(*len)).unwrap_or(&[]),
            Repr::Heap(b) => b.as_slice(),
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
    /// Lexicographic. The first eight bytes, compared as one number, decide most
    /// comparisons of a tree walk without a call to `memcmp`; ties compare the bytes.
    fn cmp(&self, other: &Self) -> core::cmp::Ordering {
        let bytes = || self.as_bytes().cmp(other.as_bytes());
        self.prefix().cmp(&other.prefix()).then_with(bytes)
    }
}

/// A copy of `bytes`, charged to the calling task's memory cgroup.
pub(crate) fn copy(bytes: &[u8]) -> Result<Bytes> {
    Bytes::copy_from(bytes, GFP_KERNEL_ACCOUNT_MAYFAIL)
}

/// How a [`Store::walk_from`] ended.
pub(crate) enum Walk {
    /// Every entry was walked.
    Finished,
    /// Stopped with entries left; the last key accepted, if any.
    Stopped(Option<Key>),
}

pub(crate) struct Store {
    map: RBTree<Key, Bytes>,
    len: usize,
    /// Bytes of keys plus values held.
    bytes: usize,
    generation: NonZeroU32,
}

impl Store {
    pub(crate) fn new() -> Self {
        Self {
            map: RBTree::new(),
            len: 0,
            bytes: 0,
            generation: NonZeroU32::MIN,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Changes with every successful SET or DEL: two consecutive values always differ
    /// (only 2^32 - 1 writes bring a value back), and it is never 0, which the netlink
    /// core's dump consistency check reads as "not tracked".
    pub(crate) fn generation(&self) -> NonZeroU32 {
        self.generation
    }

    fn changed(&mut self) {
        self.generation = self.generation.checked_add(1).unwrap_or(NonZeroU32::MIN);
    }

    pub(crate) fn get(&self, key: &Key) -> Option<&[u8]> {
        self.map.get(key).map(Bytes::as_slice)
    }

    /// SET with rtnetlink's flag semantics: `NLM_F_EXCL` refuses an existing key,
    /// `NLM_F_REPLACE` allows overwriting one, `NLM_F_CREATE` allows creating a missing one.
    /// One walk of the tree; a node is allocated only for a new key.
    pub(crate) fn set(
        &mut self,
        key: Key,
        value: Bytes,
        flags: u16,
        quota: &Quota,
    ) -> Result<(), Failure> {
        let key_len = key.as_bytes().len();
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
                // The new total, as if the old value were gone.
                let bytes = self
                    .bytes
                    .saturating_sub(entry.get().len())
                    .saturating_add(value.len());
                if bytes > quota.max_bytes {
                    return Err(Failure::new(ENOSPC, quota.bytes_full));
                }
                self.bytes = bytes;
                *entry.get_mut() = value;
            }
            Entry::Vacant(entry) => {
                if flags & NLM_F_CREATE == 0 {
                    return Err(Failure::new(
                        ENOENT,
                        "key does not exist; NLM_F_CREATE creates it",
                    ));
                }
                if self.len >= quota.max_entries {
                    return Err(Failure::new(ENOSPC, quota.entries_full));
                }
                let bytes = self
                    .bytes
                    .saturating_add(key_len)
                    .saturating_add(value.len());
                if bytes > quota.max_bytes {
                    return Err(Failure::new(ENOSPC, quota.bytes_full));
                }
                entry.insert(
                    value,
                    RBTreeNodeReservation::new(GFP_KERNEL_ACCOUNT_MAYFAIL)?,
                );
                self.len += 1;
                self.bytes = bytes;
            }
        }
        self.changed();
        Ok(())
    }

    pub(crate) fn del(&mut self, key: &Key) -> Result<(), Failure> {
        match self.map.remove(key) {
            Some(value) => {
                self.len -= 1;
                self.bytes = self
                    .bytes
                    .saturating_sub(key.as_bytes().len() + value.len());
                self.changed();
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
            Some(k) => crate::compat::rbtree::cursor_lower_bound(&mut self.map, k),
            None => crate::compat::rbtree::cursor_front(&mut self.map),
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
