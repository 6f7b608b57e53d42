// SPDX-License-Identifier: GPL-2.0

//! The family's services, in safe Rust over the netlink layer: one [`Family`] per
//! registered family number, dispatching each request by message type.

mod echo;

use crate::netlink::err;
use crate::netlink::{Failure, Handler, Outcome, Request};
use crate::proto::errno::EOPNOTSUPP;
use crate::proto::family::msg;

/// The state of one registered family.
pub(crate) struct Family {
    number: u32,
}

impl Family {
    pub(crate) fn new(number: u32) -> Self {
        Self { number }
    }

    /// The family number (23–31).
    pub(crate) fn number(&self) -> u32 {
        self.number
    }
}

impl Handler for Family {
    fn handle(&self, req: &Request<'_>) -> Result<Outcome, Failure> {
        match req.hdr().ty {
            msg::ECHO => echo::handle(req),
            _ => Err(Failure::new(
                err(EOPNOTSUPP),
                "unknown message type for this family",
            )),
        }
    }
}
