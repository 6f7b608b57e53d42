//! Client library for nlfam's custom netlink families.
//!
//! A [`Socket`] is one `AF_NETLINK` socket on a family number (23–31). It tracks its port
//! id and sequence numbers, turns `NLMSG_ERROR` into [`Error::Kernel`] with the extended
//! ACK's message and attribute offset, never truncates a datagram, and reports a receive
//! queue overflow (`ENOBUFS`) as [`Error::Overrun`] so an event listener can resync.
//! Framing comes from `nlfam-proto`, the same code the kernel module runs. A missing or
//! malformed attribute in an answer or event is an [`Error::Protocol`] naming it.
//!
//! # Requests, answers and events on one socket
//!
//! The typed requests ([`Socket::set`], [`Socket::get`], [`Socket::dump`], ...) send one
//! message and collect the answers carrying its sequence number ([`Socket::collect`]).
//! Nothing else received meanwhile is dropped: multicast events and answers to other
//! requests are queued, in arrival order, for [`Socket::recv`], which returns the next
//! message of either kind — the one place to wait on replies and events together:
//!
//! ```no_run
//! use nlfam::proto::family::group;
//! use nlfam::{Event, Incoming, SetMode, Socket};
//!
//! # fn main() -> Result<(), nlfam::Error> {
//! let mut sock = Socket::open(25)?;
//! sock.add_membership(group::KV)?;
//! // Our own change notification arrives while `set` waits for its ACK: it is queued.
//! sock.set(b"color", b"blue", SetMode::Upsert)?;
//! // A request sent without waiting: its answers come back through `recv`.
//! sock.send(nlfam::proto::family::msg::STATS, 0, |_| Ok(()))?;
//! loop {
//!     match sock.recv() {
//!         Ok(Incoming::Event(Event::KvSet { key, value, .. })) => println!("{key:?}={value:?}"),
//!         Ok(Incoming::Event(other)) => println!("event {other:?}"),
//!         Ok(Incoming::Reply(m)) => println!("answer of type {:#x}", m.hdr.ty),
//!         Err(nlfam::Error::Overrun) => println!("events were lost: dump to resync"),
//!         Err(e) => return Err(e),
//!     }
//! }
//! # }
//! ```
//!
//! With an event loop, register the socket's descriptor ([`Socket`] is `AsFd`) with
//! `poll` or `epoll`, and when it is readable drain with [`Socket::try_recv`] until it
//! returns `Ok(None)`. Drain before waiting, too: messages a request queued do not make
//! the descriptor readable ([`Socket::pending`] counts them; [`Socket::wait_readable`]
//! accounts for them).
//!
//! ```no_run
//! # fn handle(_: nlfam::Incoming) {}
//! # fn main() -> Result<(), nlfam::Error> {
//! # let mut sock = nlfam::Socket::open(25)?;
//! loop {
//!     while let Some(m) = sock.try_recv()? {
//!         handle(m);
//!     }
//!     // poll(2)/epoll on sock.as_fd() with the program's other descriptors, or:
//!     sock.wait_readable(std::time::Duration::from_secs(1))?;
//! }
//! # }
//! ```
//!
//! # Low level
//!
//! For request loops that must not allocate (the benchmark's): frame messages with
//! [`proto::attr::Writer`] into your own buffer, send them with [`Socket::send_raw`]
//! (several per datagram if you like, sequence numbers from [`Socket::next_seq`]), and
//! read answers borrowed from the receive buffer, either routed
//! ([`Socket::collect_each`]) or a datagram at a time ([`Socket::recv_datagram`], which
//! reads the socket directly and bypasses the queue).

// Layers, bottom up: error, message, sys; attrs, event; socket; family (typed requests).
// No module imports one above it (scripts/import-layers checks that).
mod attrs;
mod error;
mod event;
mod family;
mod message;
#[cfg(test)]
mod ops_tests;
mod socket;
mod sys;

pub use error::Error;
pub use event::Event;
pub use family::{Dump, SetMode, Stats};
pub use message::Message;
pub use nlfam_proto as proto;
pub use socket::{Datagram, Incoming, Socket};
