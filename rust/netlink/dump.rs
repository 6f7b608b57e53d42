// SPDX-License-Identifier: GPL-2.0

//! Resumable dumps through the core's `__netlink_dump_start`: the core calls our `dump`
//! callback once per `recvmsg` with a fresh skb, sends what we wrote, and ends the dump
//! with `NLMSG_DONE` when we report that nothing is left. A [`Dumper`] keeps its position
//! in a per-dump cursor that we allocate on the first call and free in `done`.

use super::error::Failure;
use super::input::Request;
use crate::proto::attr::{NoSpace, Writer};
use crate::proto::errno::EMSGSIZE;
use crate::proto::wire::{NLM_F_DUMP_INTR, NLM_F_MULTI};
use core::ffi::c_int;
use kernel::bindings;
use kernel::error::code::{EINTR, ENOMEM};
use kernel::prelude::*;

/// A family that can dump a table. Its state must outlive every dump in flight, which
/// holds because a dump lives in a user socket and user sockets pin the module and their
/// network namespace.
pub(crate) trait Dumper: Send + Sync + Sized {
    /// The position of one dump between `recvmsg` calls.
    type Cursor: Default + Send;

    /// Writes entries after `cursor` into `sink` until it is full or the table ends;
    /// returns `true` when entries remain.
    fn dump(&self, cursor: &mut Self::Cursor, sink: &mut DumpSink<'_>) -> Result<bool, Failure>;
}

/// Where a [`Dumper`] writes one skb's worth of entries.
pub(crate) struct DumpSink<'a> {
    skb: *mut bindings::sk_buff,
    cb: &'a mut bindings::netlink_callback,
    portid: u32,
    seq: u32,
    written: usize,
}

impl DumpSink<'_> {
    /// Records the table's generation (change counter). When it differs from the one seen
    /// for the previous entry, the next entry carries `NLM_F_DUMP_INTR`, as the kernel's
    /// `nl_dump_check_consistent` does.
    pub(crate) fn set_generation(&mut self, generation: u64) {
        // Never 0: the core treats a zero `prev_seq` as "not tracked".
        self.cb.seq = (generation as u32) | 1;
    }

    /// Appends one multipart message of type `ty`; `Err(NoSpace)` when the skb is full
    /// (the entry is then written into the next one).
    pub(crate) fn entry(
        &mut self,
        ty: u16,
        max: usize,
        f: impl FnOnce(&mut Writer<'_>) -> Result<(), NoSpace>,
    ) -> Result<(), NoSpace> {
        let mut flags = NLM_F_MULTI;
        if self.cb.prev_seq != 0 && self.cb.seq != self.cb.prev_seq {
            flags |= NLM_F_DUMP_INTR;
        }
        let (portid, seq) = (self.portid, self.seq);
        // SAFETY: `skb` is the core's dump skb, ours to fill during this callback.
        let mut skb = unsafe { super::skb::SkBuffMut::from_raw(self.skb) };
        skb.append(max, |w| {
            let m = w.begin_msg(ty, flags, seq, portid)?;
            f(w)?;
            w.end_msg(m)
        })?;
        self.cb.prev_seq = self.cb.seq;
        self.written += 1;
        Ok(())
    }
}

impl Request<'_> {
    /// Starts a dump answered by `dumper`. Every skb the core allocates for it holds at
    /// least `min_alloc` bytes, so one entry of that size always fits.
    pub(crate) fn start_dump<D: Dumper>(&self, dumper: &D, min_alloc: u32) -> Result<(), Failure> {
        let mut control = bindings::netlink_dump_control {
            dump: Some(dump_trampoline::<D>),
            done: Some(done_trampoline::<D>),
            data: (dumper as *const D).cast_mut().cast(),
            // SAFETY: Only our own `struct module`'s address is taken.
            module: unsafe { crate::compat::param::__this_module.get() },
            min_dump_alloc: min_alloc,
            ..Default::default()
        };
        let (sock, skb, nlh) = self.raw_parts();
        // SAFETY: `sock` is our live kernel socket, `skb` the live input skb and `nlh` a
        // message inside it; `control` is read during the call only; `data` outlives the
        // dump (see `Dumper`). The core holds a module reference while the dump exists.
        let r = unsafe { bindings::__netlink_dump_start(sock.as_ptr(), skb, nlh, &mut control) };
        // -EINTR means "started": the answer is the dump itself, not an ACK.
        if r == EINTR.to_errno() || r == 0 {
            Ok(())
        } else {
            Err(kernel::error::Error::from_errno(r).into())
        }
    }
}

fn cursor_slot(cb: &mut bindings::netlink_callback) -> &mut isize {
    // SAFETY: `args` and `ctx` overlay the same scratch bytes; the core zeroes them when
    // the dump starts and never touches them afterwards. We use `args[0]` only.
    unsafe { &mut cb.__bindgen_anon_1.args[0] }
}

/// The `dump` callback of [`Request::start_dump`].
///
/// # Safety
///
/// Called by the netlink core only, with the skb to fill and the dump's callback state,
/// whose `data` is the `&D` given to `start_dump`.
unsafe extern "C" fn dump_trampoline<D: Dumper>(
    skb: *mut bindings::sk_buff,
    cb: *mut bindings::netlink_callback,
) -> c_int {
    // SAFETY: The core passes a valid callback structure, exclusively ours during the call.
    let cb = unsafe { &mut *cb };
    // SAFETY: `data` is the `&D` given to `start_dump`, alive for the whole dump.
    let dumper = unsafe { &*cb.data.cast_const().cast::<D>() };
    if *cursor_slot(cb) == 0 {
        match KBox::new(D::Cursor::default(), GFP_KERNEL) {
            Ok(b) => *cursor_slot(cb) = KBox::into_raw(b) as isize,
            Err(_) => return ENOMEM.to_errno(),
        }
    }
    // SAFETY: Set just above or by an earlier call of this dump; freed only in `done`.
    let cursor = unsafe { &mut *(*cursor_slot(cb) as *mut D::Cursor) };
    // SAFETY: `cb->skb` is the request skb the core keeps referenced during the dump; its
    // control block holds the requester's `netlink_skb_parms`; `cb->nlh` points into it.
    let (portid, seq) = unsafe {
        let parms = (*cb.skb).cb.as_ptr().cast::<bindings::netlink_skb_parms>();
        ((*parms).portid, (*cb.nlh).nlmsg_seq)
    };
    let mut sink = DumpSink {
        skb,
        cb,
        portid,
        seq,
        written: 0,
    };
    match dumper.dump(cursor, &mut sink) {
        // An entry larger than a whole skb would loop forever: fail instead.
        Ok(true) if sink.written == 0 => -EMSGSIZE,
        // SAFETY: `skb` is valid during the callback.
        Ok(true) => unsafe { (*skb).len as c_int },
        Ok(false) => 0,
        Err(f) => f.error.to_errno(),
    }
}

/// The `done` callback of [`Request::start_dump`]: frees the cursor.
///
/// # Safety
///
/// Called by the netlink core only, once, when the dump ends or its socket closes.
unsafe extern "C" fn done_trampoline<D: Dumper>(cb: *mut bindings::netlink_callback) -> c_int {
    // SAFETY: The core passes a valid callback structure, exclusively ours during the call.
    let cb = unsafe { &mut *cb };
    let p = core::mem::replace(cursor_slot(cb), 0);
    if p != 0 {
        // SAFETY: `p` came from `KBox::into_raw` in `dump_trampoline` and is freed once.
        drop(unsafe { KBox::from_raw(p as *mut D::Cursor) });
    }
    0
}
