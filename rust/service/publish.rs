// SPDX-License-Identifier: GPL-2.0

//! PUBLISH: a user hands the kernel a payload for group G; the kernel stamps it with the
//! sender's port id and uid and the time, and multicasts it to G's subscribers.

use super::Family;
use crate::netlink::errno::{EMSGSIZE, ERANGE};
use crate::netlink::{err, Failure, Outcome, Request, SkBuff};
use crate::proto::attr::{attr_space, NoSpace};
use crate::proto::family::{attr, group, msg, GROUPS, POLICY_PUBLISH};
use crate::proto::policy::parse;
use crate::proto::wire::{nlmsg_space, NLMSG_HDRLEN};

pub(crate) fn handle(f: &Family, req: &Request<'_>) -> Result<Outcome, Failure> {
    f.require_admin(req, "CAP_NET_ADMIN is required to publish")?;
    let p = parse(&POLICY_PUBLISH, req.payload(), NLMSG_HDRLEN)?;
    let g = p
        .u32(attr::GROUP)
        .ok_or_else(|| Failure::missing(attr::GROUP, "GROUP attribute is required"))?;
    if !(group::PUBLISH_MIN..=GROUPS).contains(&g) {
        let at = p.get(attr::GROUP).map_or(0, |a| NLMSG_HDRLEN + a.offset);
        return Err(Failure::new(
            err(ERANGE),
            "GROUP must be 3-32 (1 and 2 belong to the kernel)",
        )
        .at(at));
    }
    let payload = p
        .bytes(attr::PAYLOAD)
        .ok_or_else(|| Failure::missing(attr::PAYLOAD, "PAYLOAD attribute is required"))?;
    if !req.has_listeners(g) {
        return Ok(Outcome::Done);
    }
    let size = nlmsg_space(attr_space(payload.len()) + 3 * attr_space(4) + attr_space(8));
    let mut skb = SkBuff::alloc(size)?;
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
    f.count_broadcast(req.broadcast(skb, g));
    Ok(Outcome::Done)
}
