// SPDX-License-Identifier: GPL-2.0

//! [`Net`]: a network namespace, borrowed.

use super::core_internals as local;
use core::marker::PhantomData;
use core::ptr::NonNull;
use kernel::bindings;

/// A network namespace, borrowed for `'a`.
///
/// # Invariants
///
/// `self.0` points to a `struct net` that stays alive for `'a`.
#[derive(Clone, Copy)]
pub(crate) struct Net<'a>(NonNull<bindings::net>, PhantomData<&'a bindings::net>);

impl<'a> Net<'a> {
    /// The namespace `net`, if not null.
    ///
    /// # Safety
    ///
    /// `net` must be null or a namespace that stays alive for `'a`.
    pub(crate) unsafe fn from_raw(net: *mut bindings::net) -> Option<Self> {
        // INVARIANT: guaranteed by the caller.
        NonNull::new(net).map(|n| Self(n, PhantomData))
    }

    /// Whether the initial user namespace owns this namespace. Any user can create a
    /// network namespace owned by a user namespace of their own (`unshare -Urn`) and
    /// holds `CAP_NET_ADMIN` over it.
    pub(crate) fn owned_by_initial_user_ns(&self) -> bool {
        // SAFETY: `self.0` is alive (type invariant); `user_ns` is set when the namespace
        // is created and never changes.
        let owner = unsafe { (*self.0.as_ptr().cast::<local::net>()).user_ns };
        core::ptr::eq(owner.cast_const(), &raw const local::init_user_ns)
    }

    /// The raw namespace, for C calls.
    pub(super) fn as_ptr(&self) -> *mut bindings::net {
        self.0.as_ptr()
    }

    /// Whether this is the initial namespace.
    pub(crate) fn is_init(&self) -> bool {
        core::ptr::eq(
            self.0.as_ptr().cast_const(),
            (&raw const local::init_net).cast::<bindings::net>(),
        )
    }
}
