//! nlfam's wire protocol for userspace: netlink framing, attributes, policies and the
//! family's message types, attributes and limits.
//!
//! The code lives in `proto.rs` and its submodules, which the kernel module compiles as a
//! module of its own crate (`#[path]`), so both sides share one definition. This file only
//! makes it a `no_std` crate for the host.
#![no_std]
#![forbid(unsafe_code)]

#[cfg(test)]
extern crate std;

#[path = "proto.rs"]
mod proto;
pub use proto::*;

/// Parser invariants for fuzzing (userspace only: it panics by design).
pub mod fuzzing;
