// SPDX-License-Identifier: GPL-2.0

//! [`Bytes`]: an owned byte buffer in 16 bytes (pointer and two `u32` lengths), where a
//! `KVec<u8>` takes 24. The store's tree nodes then take 64 bytes — one cache line, one
//! kmalloc-64 object, as the C reference's entries for short keys — instead of 96. The
//! `kernel` crate of 6.12 and 7.3 has no boxed slices (no `KVec` to `KBox<[u8]>`), so
//! this keeps a `KVec`'s raw parts and gives them back to `KVec` to free.

use core::ptr::NonNull;
use kernel::alloc::Flags;
use kernel::error::{code::ENOMEM, Result};
use kernel::prelude::*;

/// An owned, immutable copy of some bytes.
///
/// # Invariants
///
/// `ptr`, `len` and `cap` are the raw parts of a `KVec<u8>` (`len <= cap`), which this
/// value owns.
pub(crate) struct Bytes {
    ptr: NonNull<u8>,
    len: u32,
    cap: u32,
}

// SAFETY: `Bytes` owns its buffer like the `KVec<u8>` it came from, which is `Send`.
unsafe impl Send for Bytes {}
// SAFETY: Shared access only reads the bytes, as for `KVec<u8>`, which is `Sync`.
unsafe impl Sync for Bytes {}

impl Bytes {
    /// A copy of `src`, allocated with `flags`. At most `u32::MAX` bytes (else `ENOMEM`).
    pub(crate) fn copy_from(src: &[u8], flags: Flags) -> Result<Self> {
        let len = u32::try_from(src.len()).map_err(|_| ENOMEM)?;
        let mut v = KVec::with_capacity(src.len(), flags)?;
        v.extend_from_slice(src, flags)?;
        let Ok(cap) = u32::try_from(v.capacity()) else {
            return Err(ENOMEM);
        };
        let (ptr, _, _) = v.into_raw_parts();
        // A `KVec`'s pointer is never null (dangling when nothing is allocated); if it
        // were, the allocation is leaked rather than freed wrongly.
        let ptr = NonNull::new(ptr).ok_or(ENOMEM)?;
        // INVARIANT: the raw parts of `v`, whose length is `len` and capacity `cap`.
        Ok(Self { ptr, len, cap })
    }

    pub(crate) fn as_slice(&self) -> &[u8] {
        // SAFETY: The first `len` bytes of the `KVec`'s buffer are initialised, and the
        // buffer lives as long as `self` (type invariant).
        unsafe { core::slice::from_raw_parts(self.ptr.as_ptr(), self.len as usize) }
    }

    pub(crate) fn len(&self) -> usize {
        self.len as usize
    }
}

impl Drop for Bytes {
    fn drop(&mut self) {
        // SAFETY: The raw parts of a `KVec<u8>` owned by `self` (type invariant), given
        // back once.
        drop(unsafe {
            KVec::from_raw_parts(self.ptr.as_ptr(), self.len as usize, self.cap as usize)
        });
    }
}

const _: () = assert!(core::mem::size_of::<Bytes>() == 16);
