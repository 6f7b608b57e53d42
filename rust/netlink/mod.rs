// SPDX-License-Identifier: GPL-2.0

//! A safe model of classic (raw) netlink for kernel families: kernel sockets, socket
//! buffers, the input walk with ACKs and extended ACKs, unicast and multicast.
//!
//! This directory and `compat/` are the only places with `unsafe`. The services above
//! implement [`Handler`] and never see a raw pointer.

mod dump;
mod error;
mod input;
mod membership;
mod periodic;
mod pernet;
mod reply;
mod skb;
mod socket;
mod table;

pub(crate) use dump::{DumpSink, Dumper};
pub(crate) use error::{err, errno, Failure};
pub(crate) use input::{Handler, Outcome, Request};
pub(crate) use periodic::Periodic;
pub(crate) use pernet::{PerNet, PernetId, PernetRegistration};
pub(crate) use skb::SkBuff;
pub(crate) use socket::{Net, Registration, SocketRef};
pub(crate) use table::unit_registered;

/// Wall-clock time in nanoseconds since the epoch, for event timestamps.
pub(crate) fn realtime_ns() -> u64 {
    // SAFETY: A lock-free read of the kernel's clock, callable from any context.
    unsafe { kernel::bindings::ktime_get_real_fast_ns() }
}
