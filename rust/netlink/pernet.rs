// SPDX-License-Identifier: GPL-2.0

//! Per-network-namespace state through pernet operations: every namespace, existing or
//! created later, gets its own [`PerNet::State`] (built by [`PerNet::init`]); it is dropped
//! when the namespace exits or the registration is dropped (module unload), whichever
//! comes first. Each namespace also gets a [`Sockets`] list for its kernel sockets, lent to
//! `init` and owned here: it is dropped after the state, so every socket is released when
//! the namespace exits, whatever the state did with its borrow.
//!
//! The state hangs off the namespace's generic-pointer array (`net_generic`): the core
//! allocates a pointer-sized slot per namespace for us, identified by the id it assigns
//! at registration.

use super::handler::Handler;
use super::net::Net;
use super::registration::Sockets;
use crate::compat::local;
use core::ffi::c_int;
use core::marker::PhantomData;
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use kernel::error::{code::EBUSY, to_result, Result};
use kernel::prelude::*;

/// The id the namespace core assigns to one registration of pernet operations, which
/// names the registration's slot in every namespace. The callbacks receive only the
/// namespace, so the id lives in a `static` that each [`PerNet`] type names as its own.
/// A registration claims its id: a second registration with the same id (two types
/// sharing a `static`, or one type registered twice) fails with `EBUSY` instead of
/// reading the other's slots as the wrong type.
pub(crate) struct PernetId {
    id: AtomicU32,
    claimed: AtomicBool,
}

impl PernetId {
    pub(crate) const fn new() -> Self {
        Self {
            id: AtomicU32::new(0),
            claimed: AtomicBool::new(false),
        }
    }
}

/// State kept per network namespace, implemented by a marker type that names the state.
pub(crate) trait PerNet {
    /// The handler of the namespace's kernel sockets.
    type Handler: Handler;

    /// The state of one namespace, which may borrow the namespace for `'net`.
    type State<'net>: Send + Sync;

    /// The id of this type's registration: a `static` of its own.
    fn id() -> &'static PernetId;

    /// Builds the state of `net`, creating its kernel sockets in `sockets`; an error fails
    /// the namespace's creation (or, for the namespaces that exist at registration, the
    /// registration), and the sockets created so far are released.
    fn init<'net>(
        net: Net<'net>,
        sockets: &mut Sockets<'net, Self::Handler>,
    ) -> Result<Self::State<'net>>;
}

/// What this layer keeps for one namespace. Fields drop in declaration order: the state
/// first, then the sockets.
struct Slot<'net, T: PerNet> {
    _state: T::State<'net>,
    _sockets: Sockets<'net, T::Handler>,
}

/// Registered pernet operations for `T`.
///
/// # Invariants
///
/// `ops` is registered with the core and stays at its heap address until `drop`
/// unregisters it.
pub(crate) struct PernetRegistration<T: PerNet> {
    ops: KBox<local::pernet_operations>,
    _p: PhantomData<T>,
}

// SAFETY: The operations table is only read by the core after registration; the states
// are `Send + Sync`, and `T` itself is only a name.
unsafe impl<T: PerNet> Send for PernetRegistration<T> {}
// SAFETY: As above; we never touch `ops` through a shared reference.
unsafe impl<T: PerNet> Sync for PernetRegistration<T> {}

impl<T: PerNet> PernetRegistration<T> {
    /// Registers the operations: `T::init` runs now for every existing namespace.
    pub(crate) fn new() -> Result<Self> {
        let id = T::id();
        if id
            .claimed
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return Err(EBUSY);
        }
        let ops = local::pernet_operations {
            init: Some(init_trampoline::<T>),
            exit: Some(exit_trampoline::<T>),
            id: id.id.as_ptr(),
            size: core::mem::size_of::<*mut core::ffi::c_void>(),
            ..Default::default()
        };
        let release_claim = || id.claimed.store(false, Ordering::Release);
        let mut ops = KBox::new(ops, GFP_KERNEL).inspect_err(|_| release_claim())?;
        // SAFETY: `ops` is a valid table at a stable heap address, kept until `drop`
        // unregisters it; `id` points to a static we claimed above, which the core writes
        // here only.
        to_result(unsafe { local::register_pernet_subsys(&mut *ops) })
            .inspect_err(|_| release_claim())?;
        // INVARIANT: registered above; the box is moved, its heap address is not.
        Ok(Self {
            ops,
            _p: PhantomData,
        })
    }
}

impl<T: PerNet> Drop for PernetRegistration<T> {
    fn drop(&mut self) {
        // SAFETY: `ops` is registered (type invariant). The core runs `exit` for every
        // namespace, dropping every `T`, before this returns.
        unsafe { local::unregister_pernet_subsys(&mut *self.ops) };
        T::id().claimed.store(false, Ordering::Release);
    }
}

/// The slot the core allocated for us in `net`: a pointer to the namespace's [`Slot`],
/// null until `init` fills it.
///
/// # Safety
///
/// `net` must be a live namespace on which our operations' `init` has started (the core
/// allocates the slot before calling `init`) and `exit` has not finished.
unsafe fn slot<T: PerNet>(net: *mut local::net) -> *mut *mut core::ffi::c_void {
    let id = T::id().id.load(Ordering::Relaxed) as usize;
    // SAFETY: `net->gen` holds at least `id + 1` pointers once our operations are
    // registered; entry `id` points to our `size`-byte (pointer-sized) zeroed area. The
    // array is only replaced under the pernet lock, which the core holds around `init`
    // and `exit`, the only callers.
    // `struct net_generic` is a union whose flexible `ptr[]` array starts at offset 0.
    unsafe {
        let ptrs = (*net).gen_.cast::<*mut core::ffi::c_void>();
        (*ptrs.add(id)).cast::<*mut core::ffi::c_void>()
    }
}

/// The pernet `init` callback.
///
/// # Safety
///
/// Called by the namespace core only, with a namespace being set up.
unsafe extern "C" fn init_trampoline<T: PerNet>(net: *mut local::net) -> c_int {
    // SAFETY: The core passes a live namespace being set up, alive until our `exit` for
    // it has run, which drops the state (and everything in it that borrows the
    // namespace) first.
    let Some(n) = (unsafe { Net::from_raw(net.cast()) }) else {
        return EINVAL.to_errno();
    };
    // SAFETY: The list goes into the namespace's slot, dropped by our `exit` while the
    // namespace is alive, or is dropped right here when `init` fails.
    let mut sockets = unsafe { Sockets::new(n) };
    let kept = match T::init(n, &mut sockets).and_then(|state| {
        KBox::new(
            Slot::<T> {
                _state: state,
                _sockets: sockets,
            },
            GFP_KERNEL,
        )
        .map_err(Into::into)
    }) {
        Ok(s) => s,
        Err(e) => return e.to_errno(),
    };
    // SAFETY: `init` of our operations is running on `net`; the slot is ours.
    unsafe { *slot::<T>(net) = KBox::into_raw(kept).cast() };
    0
}

/// The pernet `exit` callback.
///
/// # Safety
///
/// Called by the namespace core only, once per namespace whose `init` succeeded.
unsafe extern "C" fn exit_trampoline<T: PerNet>(net: *mut local::net) {
    // SAFETY: `exit` of our operations is running on `net`, whose `init` succeeded.
    let p = unsafe { core::ptr::replace(slot::<T>(net), core::ptr::null_mut()) };
    if !p.is_null() {
        // SAFETY: `p` came from `KBox::into_raw` of a `Slot<T>` in `init_trampoline` and
        // is freed once, here, while `net` is still alive (its `exit` is running). The
        // namespace lifetime the slot was built with is gone from the pointer; any
        // lifetime names the same type and layout, and nothing but this drop uses it.
        drop(unsafe { KBox::<Slot<'_, T>>::from_raw(p.cast()) });
    }
}
