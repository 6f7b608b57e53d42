// SPDX-License-Identifier: GPL-2.0

//! [`Handler`]: what a family implements, in safe Rust, to serve requests; the
//! registration calls it from the input path and around the socket's lifetime.

use super::error::Failure;
use super::periodic::Periodic;
use super::request::Request;
use super::socket::SocketRef;
use kernel::error::Result;
use kernel::sync::ArcBorrow;

/// What a handler did with a request that did not fail.
pub(crate) enum Outcome {
    /// Finished: ACK if the request asked for one.
    Done,
    /// A dump was started: the dump ends with `NLMSG_DONE`, so no ACK now.
    DumpStarted,
}

/// A family's request handler; the services implement it in safe Rust.
pub(crate) trait Handler: Send + Sync + Sized + 'static {
    /// Handles one request message. `this` is the state the registration holds, borrowed
    /// from its `Arc`, so a handler can hand out references that outlive the call (a
    /// dump keeps one).
    fn handle(this: ArcBorrow<'_, Self>, req: &Request<'_>) -> Result<Outcome, Failure>;

    /// The kernel socket exists (and the [`Periodic`] sender, if any, is attached to it):
    /// event sources may start.
    fn attached(&self, _sock: SocketRef<'_>) {}

    /// The kernel socket is about to be released (the registration stops the periodic
    /// sender right after this).
    fn shutdown(&self) {}

    /// A periodic sender the registration attaches to the kernel socket once it exists
    /// and stops before releasing it.
    fn periodic(&self) -> Option<&Periodic> {
        None
    }

    /// `n` skbs of answers were refused by a requester's full receive queue.
    fn replies_lost(&self, _n: u64) {}
}
