// SPDX-License-Identifier: GPL-2.0

//! Everything specific to the kernel version nlfam is built against (6.12 LTS): C symbols
//! its `bindings` crate lacks, and module parameters, which its `module!` macro cannot
//! declare. A second target (7.x) replaces this directory, not the code above it.

pub(crate) mod ffi;
pub(crate) mod local;
#[macro_use]
pub(crate) mod param;
