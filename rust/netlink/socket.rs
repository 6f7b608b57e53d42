// SPDX-License-Identifier: GPL-2.0

//! [`SocketRef`]: a family's kernel socket, borrowed, to send through: unicast to a port,
//! multicast to a group.

use super::core_internals as local;
use super::skb::{Gfp, SkBuff};
use crate::compat::ffi;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::bindings;
use kernel::error::{to_result, Result};
use kernel::sync::ArcBorrow;

/// A kernel socket to send through, borrowed from its `Registration`, an input callback
/// or a periodic sender attached to it.
///
/// # Invariants
///
/// `sk` is a live kernel netlink socket for the lifetime `'a`.
#[derive(Clone, Copy)]
pub(crate) struct SocketRef<'a> {
    sk: NonNull<bindings::sock>,
    _p: core::marker::PhantomData<&'a ()>,
}

impl<'a> SocketRef<'a> {
    /// The kernel socket `sk`, if not null.
    ///
    /// # Safety
    ///
    /// `sk` must be null or a live kernel netlink socket for `'a`.
    pub(crate) unsafe fn from_raw(sk: *mut bindings::sock) -> Option<Self> {
        // INVARIANT: guaranteed by the caller.
        NonNull::new(sk).map(|sk| Self {
            sk,
            _p: core::marker::PhantomData,
        })
    }

    /// The kernel socket `sk`.
    ///
    /// # Safety
    ///
    /// `sk` must be a live kernel netlink socket for `'a`.
    pub(super) unsafe fn from_non_null(sk: NonNull<bindings::sock>) -> Self {
        // INVARIANT: guaranteed by the caller.
        Self {
            sk,
            _p: core::marker::PhantomData,
        }
    }

    /// The raw socket, for C calls.
    pub(super) fn as_ptr(&self) -> *mut bindings::sock {
        self.sk.as_ptr()
    }

    /// The state `Registration::<T>::new` stored in the socket, if published yet.
    ///
    /// # Safety
    ///
    /// The socket must have been created by `Registration::<T>::new` with this `T`.
    pub(super) unsafe fn state<T>(&self) -> Option<ArcBorrow<'a, T>> {
        // SAFETY: `sk` is live (type invariant); the field is only written, with release
        // ordering, by `Registration::new` (see `Registration`'s invariants: null or a
        // pointer to its state).
        let p = unsafe {
            AtomicPtr::from_ptr(&raw mut (*self.sk.as_ptr().cast::<local::sock>()).sk_user_data)
        }
        .load(Ordering::Acquire);
        let p = NonNull::new(p.cast::<T>())?;
        // SAFETY: By the caller's guarantee `p` points to the `T` inside the `Arc` the
        // registration holds for as long as the socket lives (and so for `'a`).
        Some(unsafe { ArcBorrow::from_raw(p.as_ptr()) })
    }

    /// Sends `skb` to the socket with port id `portid`. Never blocks: a full receiver
    /// gives `EAGAIN`, a closed one `ECONNREFUSED`.
    pub(crate) fn unicast(&self, skb: SkBuff, portid: u32) -> Result {
        // SAFETY: `sk` is live (type invariant); `netlink_unicast` consumes the skb in
        // every case, and we hand over ownership.
        to_result(unsafe {
            bindings::netlink_unicast(self.sk.as_ptr(), skb.into_raw(), portid, ffi::MSG_DONTWAIT)
        })
    }

    /// Whether any socket subscribes to `group` (1-based).
    pub(crate) fn has_listeners(&self, group: u32) -> bool {
        // SAFETY: `sk` is live (type invariant).
        unsafe { bindings::netlink_has_listeners(self.sk.as_ptr(), group) != 0 }
    }

    /// Multicasts `skb` to `group` (1-based), allocating the subscribers' copies as `gfp`
    /// allows. `ESRCH` means nobody listened; `ENOBUFS` that delivery failed for a
    /// subscriber that set `NETLINK_BROADCAST_ERROR` (others still got it).
    pub(crate) fn broadcast(&self, skb: SkBuff, group: u32, gfp: Gfp) -> Result {
        // SAFETY: `sk` is live (type invariant); `netlink_broadcast` consumes the skb in
        // every case, and we hand over ownership.
        to_result(unsafe {
            bindings::netlink_broadcast(self.sk.as_ptr(), skb.into_raw(), 0, group, gfp.raw())
        })
    }
}
