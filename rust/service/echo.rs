// SPDX-License-Identifier: GPL-2.0

//! ECHO: the payload comes back verbatim to the sender's port, in a message of the same
//! type and sequence number.

use super::{Attrs, Family};
use crate::netlink::{Failure, Outcome, Request};
use crate::proto::family::msg;
use kernel::sync::ArcBorrow;

pub(crate) fn handle(
    _: ArcBorrow<'_, Family>,
    req: &Request<'_>,
    _: &Attrs<'_>,
) -> Result<Outcome, Failure> {
    let payload = req.payload();
    req.reply(msg::ECHO, 0, payload.len(), |w| w.put_bytes(payload))?;
    Ok(Outcome::Done)
}
