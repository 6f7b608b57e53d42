// SPDX-License-Identifier: GPL-2.0

//! [`SocketRef`]: a family's kernel socket, borrowed, to send through: unicast to a port,
//! multicast to a group.

use super::core_internals as local;
use super::skb::{Gfp, SkBuff};
use crate::compat::ffi;
use core::ffi::{c_int, c_void};
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

    /// The number of sockets of this socket's namespace that a multicast of `skb` to
    /// `group` (1-based) is offered to, counted by the core's multicast walk, which offers
    /// each copy to a filter that counts and drops it: nobody receives `skb`, which is
    /// consumed. An [`SkBuff`] is unshared, so the walk never clones it: each copy is
    /// the same skb, referenced once more and dropped again. See `membership.rs`.
    pub(super) fn count_receivers(&self, skb: SkBuff, group: u32, gfp: Gfp) -> u32 {
        let mut count = ReceiverCount {
            // SAFETY: `sk` is live (type invariant); a socket's namespace never changes.
            net: unsafe { local::sock_net(self.sk.as_ptr()) },
            n: 0,
        };
        // SAFETY: `sk` is live (type invariant); the call consumes the skb in every case,
        // and we hand over ownership. The core calls `count_receiver` only during the
        // call, with `&raw mut count`, which outlives it and nothing else uses meanwhile.
        // The result is `-ESRCH` (nothing delivered) by construction.
        unsafe {
            bindings::netlink_broadcast_filtered(
                self.sk.as_ptr(),
                skb.into_raw(),
                0,
                group,
                gfp.raw(),
                Some(count_receiver),
                (&raw mut count).cast(),
            )
        };
        count.n
    }
}

/// What [`count_receiver`] counts: receivers in `net`.
struct ReceiverCount {
    net: *mut local::net,
    n: u32,
}

/// The filter of [`SocketRef::count_receivers`]: counts `dsk` if it is in the namespace
/// being counted, and drops the copy (a non-zero return).
///
/// # Safety
///
/// `dsk` is a live socket (the core holds a reference to it for the call) and `data` the
/// `ReceiverCount` of the `count_receivers` call running now, used by nothing else.
unsafe extern "C" fn count_receiver(
    dsk: *mut bindings::sock,
    _skb: *mut bindings::sk_buff,
    data: *mut c_void,
) -> c_int {
    // SAFETY: `data` is the count of the call running now, not otherwise used during it
    // (function contract).
    let count = unsafe { &mut *data.cast::<ReceiverCount>() };
    // SAFETY: `dsk` is live (function contract); a socket's namespace never changes.
    if core::ptr::eq(unsafe { local::sock_net(dsk) }, count.net) {
        count.n += 1;
    }
    1
}
