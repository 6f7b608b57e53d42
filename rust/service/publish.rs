// SPDX-License-Identifier: GPL-2.0

//! PUBLISH: a user hands the kernel a payload for group G; the kernel stamps it with the
//! sender's port id and uid and the time, and multicasts it to G's subscribers.

use super::{required, Attrs, Family};
use crate::netlink::errno::{EMSGSIZE, ERANGE};
use crate::netlink::{err, Failure, Gfp, Outcome, Request, SkBuff};
use crate::proto::attr::{attr_space, NoSpace};
use crate::proto::family::{attr, group, msg, GROUPS};
use crate::proto::wire::nlmsg_space;
use kernel::sync::ArcBorrow;

pub(crate) fn handle(
    this: ArcBorrow<'_, Family>,
    req: &Request<'_>,
    p: &Attrs<'_>,
) -> Result<Outcome, Failure> {
    let g = required(p.u32(attr::GROUP), attr::GROUP)?;
    if !(group::PUBLISH_MIN..=GROUPS).contains(&g) {
        return Err(Failure::new(
            err(ERANGE),
            "GROUP must be 3-32 (1 and 2 belong to the kernel)",
        )
        .at(p.offset(attr::GROUP)));
    }
    let payload = required(p.bytes(attr::PAYLOAD), attr::PAYLOAD)?;
    if !req.has_listeners(g) {
        return Ok(Outcome::Done);
    }
    let size = nlmsg_space(attr_space(payload.len()) + 3 * attr_space(4) + attr_space(8));
    let mut skb = SkBuff::alloc(size, Gfp::Kernel)?;
    skb.append(size, |w| {
        let m = w.begin_msg(msg::PUBLISH, 0, 0, 0)?;
        w.put_u32(attr::GROUP, g)?;
        w.put_attr(attr::PAYLOAD, payload)?;
        w.put_u32(attr::PORTID, req.portid())?;
        w.put_u32(attr::UID, req.uid())?;
        w.put_u64(attr::TIMESTAMP_NS, crate::netlink::realtime_ns())?;
        w.end_msg(m)
    })
    .map_err(|NoSpace| Failure::new(err(EMSGSIZE), "event does not fit its buffer"))?;
    this.count_broadcast(req.broadcast(skb, g));
    Ok(Outcome::Done)
}
