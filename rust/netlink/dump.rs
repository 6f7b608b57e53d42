// SPDX-License-Identifier: GPL-2.0

//! Resumable dumps through the core's `__netlink_dump_start`: the core calls our `dump`
//! callback once per `recvmsg` with a fresh skb, sends what we wrote, and ends the dump
//! with `NLMSG_DONE` when we report that nothing is left. A [`Dumper`] keeps its position
//! in a per-dump cursor that lives in the core's scratch space for the dump (`cb->ctx`).

use super::error::errno::EMSGSIZE;
use super::error::Failure;
use super::skb::{SkBuffMut, SkbWriter};
use super::socket::SocketRef;
use crate::compat;
use crate::proto::attr::NoSpace;
use crate::proto::wire::{NLM_F_DUMP_INTR, NLM_F_MULTI};
use core::ffi::c_int;
use core::mem::{align_of, size_of};
use core::num::NonZeroU32;
use core::ptr::NonNull;
use kernel::bindings;
use kernel::error::code::{EINTR, EINVAL};
use kernel::prelude::*;
use kernel::sync::{Arc, ArcBorrow};
use kernel::types::ForeignOwnable;

/// A family that can dump a table. Each dump in flight holds a reference to it (see
/// [`start`]).
pub(crate) trait Dumper: Send + Sync + Sized + 'static {
    /// The position of one dump between `recvmsg` calls; at most 48 bytes (it lives in
    /// the core's per-dump scratch space; a larger one fails the build).
    type Cursor: Default + Send;

    /// Writes entries after `cursor` into `sink` until it is full or the table ends;
    /// returns `true` when entries remain.
    fn dump(&self, cursor: &mut Self::Cursor, sink: &mut DumpSink<'_>) -> Result<bool, Failure>;
}

/// Where a [`Dumper`] writes one skb's worth of entries.
///
/// It borrows only the two fields of the core's `netlink_callback` it updates (the
/// generations for `NLM_F_DUMP_INTR`), never the whole structure: the dump's cursor lives
/// in the same structure's scratch space and is borrowed by the dumper at the same time.
pub(crate) struct DumpSink<'a> {
    skb: NonNull<bindings::sk_buff>,
    /// `cb->seq`: the generation of the table as last seen.
    generation: &'a mut core::ffi::c_uint,
    /// `cb->prev_seq`: the generation when the previous entry was written.
    prev_generation: &'a mut core::ffi::c_uint,
    portid: u32,
    seq: u32,
    written: usize,
}

impl DumpSink<'_> {
    /// Records the table's generation (a change counter: any write gives a new value).
    /// When it differs from the one seen for the previous entry, the next entry carries
    /// `NLM_F_DUMP_INTR`, as the kernel's `nl_dump_check_consistent` does. Non-zero: the
    /// core reads a zero `prev_seq` as "not tracked".
    pub(crate) fn set_generation(&mut self, generation: NonZeroU32) {
        *self.generation = generation.get();
    }

    /// Appends one multipart message of type `ty`; `Err(NoSpace)` when the skb is full
    /// (the entry is then written into the next one).
    pub(crate) fn entry(
        &mut self,
        ty: u16,
        max: usize,
        f: impl FnOnce(&mut SkbWriter<'_>) -> Result<(), NoSpace>,
    ) -> Result<(), NoSpace> {
        let mut flags = NLM_F_MULTI;
        if *self.prev_generation != 0 && *self.generation != *self.prev_generation {
            flags |= NLM_F_DUMP_INTR;
        }
        let (portid, seq) = (self.portid, self.seq);
        // SAFETY: `skb` is the core's dump skb, ours to fill during this callback.
        let mut skb = unsafe { SkBuffMut::from_raw(self.skb) };
        skb.append(max, |w| {
            let m = w.begin_msg(ty, flags, seq, portid)?;
            f(w)?;
            w.end_msg(m)
        })?;
        *self.prev_generation = *self.generation;
        self.written += 1;
        Ok(())
    }
}

/// Starts a dump of `dumper` in answer to the request `nlh` of the input skb `skb` that
/// `sock` received.
///
/// The dump keeps its own reference to `dumper` from the moment the core accepts it (the
/// `start` callback) until the core ends it (`done`, when the dump finishes or the
/// requester's socket closes): the dumper outlives every dump in flight by ownership.
/// Every skb the core allocates for the dump holds at least `min_alloc` bytes.
///
/// # Safety
///
/// `skb` must be the input skb of the input callback running now on `sock`, and `nlh` a
/// message header inside it.
pub(super) unsafe fn start<D: Dumper>(
    sock: SocketRef<'_>,
    skb: *mut bindings::sk_buff,
    nlh: *mut bindings::nlmsghdr,
    dumper: ArcBorrow<'_, D>,
    min_alloc: u32,
) -> Result<(), Failure> {
    const { assert_cursor_fits::<D>() };
    let borrowed: *const D = &*dumper;
    let mut control = bindings::netlink_dump_control {
        start: Some(start_trampoline::<D>),
        dump: Some(dump_trampoline::<D>),
        done: Some(done_trampoline::<D>),
        // Borrowed for the call only: `start` turns it into the dump's own reference.
        data: borrowed.cast_mut().cast(),
        // The dump's callbacks are this module's code, so this module is their owner
        // (C passes THIS_MODULE). A kernel socket does not record its module (the core
        // keeps it in the protocol table only), so it cannot come from `sock`.
        // SAFETY: Only our own `struct module`'s address is taken.
        module: unsafe { crate::compat::param::__this_module.get() },
        min_dump_alloc: min_alloc,
        ..Default::default()
    };
    // SAFETY: `sock` is a live kernel socket (invariant of `SocketRef`), `skb` the live
    // input skb and `nlh` a message inside it (our precondition); `control` is read during
    // the call only, and `data` (borrowed from `dumper`) is alive during the call. The
    // core holds a module reference while the dump exists, so the callbacks stay loaded.
    let r = unsafe { bindings::__netlink_dump_start(sock.as_ptr(), skb, nlh, &mut control) };
    // -EINTR means "started": the answer is the dump itself, not an ACK.
    if r == EINTR.to_errno() || r == 0 {
        Ok(())
    } else {
        Err(kernel::error::Error::from_errno(r).into())
    }
}

/// The cursor lives in the callback's scratch space (`cb->ctx`, 48 bytes, zeroed by the
/// core when the dump starts): no allocation per dump. Checked at build time.
const fn assert_cursor_fits<D: Dumper>() {
    assert!(size_of::<D::Cursor>() <= CTX_SIZE);
    assert!(align_of::<D::Cursor>() <= align_of::<bindings::netlink_callback__bindgen_ty_1>());
}

const CTX_SIZE: usize = size_of::<bindings::netlink_callback__bindgen_ty_1>();

fn cursor_ptr<D: Dumper>(cb: *mut bindings::netlink_callback) -> *mut D::Cursor {
    // `args` and `ctx` overlay the same scratch bytes, which the core never touches after
    // starting the dump; `assert_cursor_fits` (checked in `start`) guarantees room and
    // alignment for a cursor. Only the address is computed: no reference is made.
    cb.wrapping_byte_add(core::mem::offset_of!(
        bindings::netlink_callback,
        __bindgen_anon_1
    ))
    .cast::<D::Cursor>()
}

/// The `start` callback of a dump [`start`]ed: the core has accepted the dump and
/// will call `done` exactly once when it ends. Takes the dump's own reference to the
/// dumper and puts a fresh cursor in place.
///
/// # Safety
///
/// Called by the netlink core only, with the callback state of a dump started by
/// `start::<D>`, whose `data` points to a `D` inside a live `Arc`.
unsafe extern "C" fn start_trampoline<D: Dumper>(cb: *mut bindings::netlink_callback) -> c_int {
    // SAFETY: The core passes a valid callback structure, exclusively ours during the call.
    let cb = unsafe { &mut *cb };
    // SAFETY: `data` is the `ArcBorrow` given to `start`, alive during that call,
    // which this callback runs inside.
    let dumper = unsafe { ArcBorrow::<D>::from_raw(cb.data.cast_const().cast::<D>()) };
    cb.data = compat::into_foreign_mut(Arc::from(dumper));
    // SAFETY: The scratch space has room and alignment for a cursor (`cursor_ptr`) and
    // holds no live value yet: it is written once, here, and dropped in `done`.
    unsafe { cursor_ptr::<D>(cb).write(D::Cursor::default()) };
    0
}

/// The `dump` callback of a dump [`start`]ed.
///
/// # Safety
///
/// Called by the netlink core only, with the skb to fill and the callback state of a dump
/// whose `start` callback ran.
unsafe extern "C" fn dump_trampoline<D: Dumper>(
    skb: *mut bindings::sk_buff,
    cb: *mut bindings::netlink_callback,
) -> c_int {
    // The callback structure is used through raw places only, so the borrows below
    // (the cursor in the scratch space, the two generations) are of disjoint fields.
    // SAFETY: The core passes a valid callback structure, exclusively ours during the call;
    // `start` stored an `Arc<D>` in `data`, released only in `done`.
    let dumper = unsafe { <Arc<D> as ForeignOwnable>::borrow((*cb).data) };
    // SAFETY: `start` put a cursor there; it is dropped only in `done`, and nothing else
    // uses it while this callback runs (the core serialises a dump's callbacks).
    let cursor = unsafe { &mut *cursor_ptr::<D>(cb) };
    // SAFETY: `cb->skb` is the request skb the core keeps referenced during the dump; its
    // control block holds the requester's `netlink_skb_parms`; `cb->nlh` points into it.
    let (portid, seq) = unsafe {
        let parms = (*(*cb).skb)
            .cb
            .as_ptr()
            .cast::<bindings::netlink_skb_parms>();
        ((*parms).portid, (*(*cb).nlh).nlmsg_seq)
    };
    let Some(skb) = NonNull::new(skb) else {
        return EINVAL.to_errno();
    };
    // SAFETY: `cb` is valid and ours (above); `seq` and `prev_seq` are not part of the
    // scratch space the cursor occupies.
    let (generation, prev_generation) = unsafe { (&mut (*cb).seq, &mut (*cb).prev_seq) };
    let mut sink = DumpSink {
        skb,
        generation,
        prev_generation,
        portid,
        seq,
        written: 0,
    };
    match dumper.dump(cursor, &mut sink) {
        // An entry larger than a whole skb would loop forever: fail instead.
        Ok(true) if sink.written == 0 => -(EMSGSIZE as c_int),
        // SAFETY: `skb` is valid during the callback.
        Ok(true) => unsafe { (*skb.as_ptr()).len as c_int },
        Ok(false) => 0,
        Err(f) => f.error.to_errno(),
    }
}

/// The `done` callback of a dump [`start`]ed: drops the cursor and the dump's
/// reference to the dumper.
///
/// # Safety
///
/// Called by the netlink core only, once, when a dump whose `start` callback ran ends
/// or its socket closes.
unsafe extern "C" fn done_trampoline<D: Dumper>(cb: *mut bindings::netlink_callback) -> c_int {
    // SAFETY: The core passes a valid callback structure, exclusively ours during the call.
    let cb = unsafe { &mut *cb };
    // SAFETY: `start` put a cursor there; this is its only drop.
    unsafe { core::ptr::drop_in_place(cursor_ptr::<D>(cb)) };
    // SAFETY: `start` stored an `Arc<D>` in `data` with `into_foreign`; this is its only
    // release, and no callback of this dump runs after `done`.
    drop(unsafe { <Arc<D> as ForeignOwnable>::from_foreign(cb.data) });
    0
}
