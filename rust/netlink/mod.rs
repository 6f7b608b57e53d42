// SPDX-License-Identifier: GPL-2.0

//! A safe model of classic (raw) netlink for kernel families: kernel sockets, socket
//! buffers, the input walk with ACKs and extended ACKs, unicast and multicast.
//!
//! This directory and `compat/` are the only places with `unsafe`. The services above
//! implement [`Handler`] and never see a raw pointer.
//!
//! Each file depends only on the ones listed before it (`scripts/import-layers` checks
//! that there is no cycle):
//!
//! - `core_internals` (bindings of the kernel's netlink and namespace internals, their
//!   layouts checked against the C compiler's at build time);
//! - `error` (why a request failed), `net` (a namespace), `table` (the core's protocol
//!   table), `skb` (socket buffers);
//! - `socket` (a kernel socket, borrowed: unicast and multicast);
//! - `membership` (subscriber counts), `periodic` (timer-driven multicast), `reply` (the
//!   batch of answers to one datagram), `dump` (resumable dumps);
//! - `request` (one request, as a handler sees it), then `handler` (the trait families
//!   implement);
//! - `input` (the input callback: the walk over a datagram, ACKs);
//! - `registration` (a family's kernel sockets in a namespace), then `pernet`
//!   (per-namespace state, which owns those sockets).

mod core_internals;
mod dump;
mod error;
mod handler;
mod input;
mod membership;
mod net;
mod periodic;
mod pernet;
mod registration;
mod reply;
mod request;
mod skb;
mod socket;
mod table;

pub(crate) use dump::{DumpSink, Dumper};
pub(crate) use error::{err, errno, Failure};
pub(crate) use handler::{Handler, Outcome};
pub(crate) use net::Net;
pub(crate) use periodic::Periodic;
pub(crate) use pernet::{PerNet, PernetId, PernetRegistration};
pub(crate) use registration::{module_refcount, Sockets};
pub(crate) use request::Request;
pub(crate) use skb::{Gfp, SkBuff, SkbWriter};
pub(crate) use socket::SocketRef;
pub(crate) use table::unit_registered;

/// Wall-clock time in nanoseconds since the epoch, for event timestamps.
pub(crate) fn realtime_ns() -> u64 {
    // SAFETY: A lock-free read of the kernel's clock, callable from any context.
    unsafe { kernel::bindings::ktime_get_real_fast_ns() }
}
