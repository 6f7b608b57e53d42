//! The protocol, shared verbatim by the kernel module (`rust/nlfam.rs` includes this file
//! with `#[path]`) and by userspace (`nlfam-proto`). It must stay `core`-only, free of
//! `unsafe` and unable to panic on any input: the kernel runs it on user-supplied bytes.

pub mod attr;
pub mod errno;
pub mod family;
pub mod policy;
pub mod wire;
