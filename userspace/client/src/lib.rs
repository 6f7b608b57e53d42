//! Client library for nlfam's custom netlink families.
//!
//! A [`Socket`] is one `AF_NETLINK` socket on a family number (23–31). It tracks its port
//! id and sequence numbers, turns `NLMSG_ERROR` into [`Error::Kernel`] with the extended
//! ACK's message and attribute offset, never truncates a datagram, and reports a receive
//! queue overflow (`ENOBUFS`) as [`Error::Overrun`] so an event listener can resync.
//! Framing comes from `nlfam-proto`, the same code the kernel module runs.

mod error;
mod family;
mod socket;
pub mod sys;

pub use error::Error;
pub use family::{Dump, Event, SetMode, Stats};
pub use nlfam_proto as proto;
pub use socket::{Message, Socket};
