// SPDX-License-Identifier: GPL-2.0

//! A family's kernel sockets in one network namespace: [`Registration`], one socket,
//! created with the [`input`](super::input) callback over a [`Handler`] and released on
//! drop; [`Sockets`], the namespace's list of them, which the pernet layer owns and
//! releases when the namespace exits, whatever the namespace's state did.

use super::core_internals as local;
use super::handler::Handler;
use super::input::input_trampoline;
use super::net::Net;
use super::socket::SocketRef;
use super::table::unit_registered;
use core::marker::PhantomData;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::bindings;
use kernel::error::{
    code::{EBUSY, ENOMEM},
    Result,
};
use kernel::prelude::*;
use kernel::sync::Arc;

/// A kernel socket for one family in the namespace `'net`, with its handler state `T`.
/// A kernel socket holds no reference on its namespace, so it must be released before the
/// namespace goes: registrations live only in a [`Sockets`], which never hands one out.
///
/// # Invariants
///
/// `sk` is a kernel netlink socket created by `__netlink_kernel_create` in a namespace
/// alive for `'net`, and not yet released; its `sk_user_data` is null or points to
/// `*state`, which outlives the socket.
pub(crate) struct Registration<'net, T: Handler> {
    sk: NonNull<bindings::sock>,
    state: Arc<T>,
    _net: PhantomData<Net<'net>>,
}

// SAFETY: The socket pointer is only used for thread-safe netlink calls; `T` is
// `Send + Sync` (required by `Handler`).
unsafe impl<T: Handler> Send for Registration<'_, T> {}
// SAFETY: As above: sending through the socket is thread-safe.
unsafe impl<T: Handler> Sync for Registration<'_, T> {}

impl<'net, T: Handler> Registration<'net, T> {
    /// Creates the kernel socket for `unit` in `net` with `groups` multicast groups.
    /// Fails with `EBUSY` when the unit is taken, `ENOMEM` otherwise (the C API returns
    /// NULL for both; a unit registered before the call tells them apart).
    ///
    /// `module` is the module whose code serves the socket: the core pins it while user
    /// sockets of the family exist.
    ///
    /// # Safety
    ///
    /// The registration must be dropped (not leaked) before `net`'s pernet exit returns.
    unsafe fn new(
        net: Net<'net>,
        module: &'static ThisModule,
        unit: u32,
        groups: u32,
        flags: u32,
        state: Arc<T>,
    ) -> Result<Self> {
        let mut cfg = bindings::netlink_kernel_cfg {
            groups,
            flags,
            input: Some(input_trampoline::<T>),
            ..Default::default()
        };
        let taken_before = net.is_init() && unit_registered(unit as usize);
        let unit = core::ffi::c_int::try_from(unit).map_err(|_| kernel::error::code::EINVAL)?;
        // SAFETY: `net` is alive (invariant of `Net`); `cfg` is valid for the call (the C
        // code copies what it keeps); `module` is a live module (a `ThisModule` is only
        // made for the module running this code) or null when built in.
        let sk = unsafe {
            bindings::__netlink_kernel_create(net.as_ptr(), unit, module.as_ptr(), &mut cfg)
        };
        let sk = NonNull::new(sk).ok_or(if taken_before { EBUSY } else { ENOMEM })?;
        let data: *const T = &*state;
        // What C's `rcu_assign_sk_user_data()` does (a macro, not callable from Rust): a
        // release store, so a reader that sees the pointer also sees `*state`.
        // SAFETY: `sk` is a live socket we just created, and `sk_user_data` is a
        // pointer-sized, aligned field. The input callback may already run on another CPU:
        // it reads the field with an acquire load and handles null.
        unsafe { AtomicPtr::from_ptr(&raw mut (*sk.as_ptr().cast::<local::sock>()).sk_user_data) }
            .store(data.cast_mut().cast(), Ordering::Release);
        // INVARIANT: `sk` is live, in `net` (alive for `'net`), and `sk_user_data` points
        // to `*state`, kept by `self`.
        let reg = Self {
            sk,
            state,
            _net: PhantomData,
        };
        if let Some(p) = reg.state.periodic() {
            // SAFETY: `drop` stops the sender before it releases the socket, and `state`
            // (which owns the sender) outlives `reg`.
            unsafe { p.attach(reg.socket()) };
        }
        reg.state.attached(reg.socket());
        Ok(reg)
    }

    /// A handle for sending through this socket.
    pub(crate) fn socket(&self) -> SocketRef<'_> {
        // SAFETY: `sk` is live while `self` is (type invariant), and the handle borrows
        // `self`.
        unsafe { SocketRef::from_non_null(self.sk) }
    }
}

impl<T: Handler> Drop for Registration<'_, T> {
    fn drop(&mut self) {
        // Event sources that send through the socket stop first.
        self.state.shutdown();
        if let Some(p) = self.state.periodic() {
            p.stop();
        }
        // SAFETY: `sk` is live (type invariant) and released exactly once, here. The core
        // can still run the input callback after the release for a sender that found the
        // socket before it, so `state` (dropped after this returns) must have no user
        // socket left to send: for module unload, user sockets pin the module so none
        // exist (except one opened while another module held the protocol number, which
        // pins that module: a hazard of the core's, shared by every netlink module); for
        // a namespace, its user sockets are gone before its exit runs, and a
        // namespace being set up has none yet; and registering the pernet operations never
        // unwinds a namespace once a socket may be visible (see `pernet`).
        unsafe { bindings::netlink_kernel_release(self.sk.as_ptr()) };
    }
}

/// The kernel sockets of one network namespace. The pernet layer creates the list for a
/// namespace, lends it to the namespace's `init`, and drops it — releasing every socket —
/// when the namespace exits (after the namespace's state): a socket cannot be kept, or
/// leaked, past its namespace.
///
/// # Invariants
///
/// The list is dropped before `net`'s pernet exit returns.
pub(crate) struct Sockets<'net, T: Handler> {
    net: Net<'net>,
    module: &'static ThisModule,
    regs: KVec<Registration<'net, T>>,
}

impl<'net, T: Handler> Sockets<'net, T> {
    /// An empty list for `net`, whose sockets `module` serves.
    ///
    /// # Safety
    ///
    /// The list must be dropped (not leaked) before `net`'s pernet exit returns.
    pub(super) unsafe fn new(net: Net<'net>, module: &'static ThisModule) -> Self {
        // INVARIANT: guaranteed by the caller.
        Self {
            net,
            module,
            regs: KVec::new(),
        }
    }

    /// How many sockets the list holds.
    pub(crate) fn len(&self) -> usize {
        self.regs.len()
    }

    /// Makes room for `n` more sockets, so that adding them cannot fail for want of
    /// memory for the list.
    pub(crate) fn reserve(&mut self, n: usize) -> Result {
        self.regs.reserve(n, GFP_KERNEL)?;
        Ok(())
    }

    /// Creates the kernel socket for `unit` in the namespace, with `groups` multicast
    /// groups and the handler state `state` (see [`Registration`]'s errors).
    pub(crate) fn add(&mut self, unit: u32, groups: u32, flags: u32, state: Arc<T>) -> Result {
        // SAFETY: The registration goes into `self.regs`, dropped with `self` before the
        // namespace's exit returns (type invariant); if the push fails, it is dropped
        // right here.
        let reg = unsafe { Registration::new(self.net, self.module, unit, groups, flags, state) }?;
        self.regs.push(reg, GFP_KERNEL)?;
        Ok(())
    }
}

/// The references on `module` (the core's `module_refcount`: -1 while it is unloading).
/// User sockets of a family take one each on the module that registered it, for as long
/// as they are open.
/// Built into the kernel (a null `ThisModule`), nothing is counted: 0.
pub(crate) fn module_refcount(module: &'static ThisModule) -> i32 {
    let m = module.as_ptr();
    if m.is_null() {
        return 0;
    }
    // SAFETY: `m` is a live module: a non-null `ThisModule` is only made for the module
    // running this code, which is loaded while its code runs.
    unsafe { bindings::module_refcount(m) }
}
