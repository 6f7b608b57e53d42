// SPDX-License-Identifier: GPL-2.0

//! KV_SET, KV_GET (one key, or the whole store with `NLM_F_DUMP`) and KV_DEL, with change
//! notifications on the KV group. Permission, policy and required attributes are checked
//! before these run (see [`super::OPS`]).

use super::store::{copy, Key, Walk};
use super::{required, Attrs, Family};
use crate::netlink::errno::{EMSGSIZE, ENOENT};
use crate::netlink::{err, DumpSink, Dumper, Failure, Gfp, Outcome, Request, SkBuff, SkbWriter};
use crate::proto::attr::{attr_space, NoSpace};
use crate::proto::family::{attr, group, msg};
use crate::proto::wire::nlmsg_space;
use kernel::prelude::*;
use kernel::sync::ArcBorrow;

/// Space for one entry message with a key of `k` and a value of `v` bytes.
pub(crate) fn entry_space(k: usize, v: usize) -> usize {
    nlmsg_space(attr_space(k + 1) + attr_space(v) + 2 * attr_space(4))
}

fn put_entry(w: &mut SkbWriter<'_>, key: &[u8], value: Option<&[u8]>) -> Result<(), NoSpace> {
    w.put_str(attr::KEY, key)?;
    if let Some(v) = value {
        w.put_attr(attr::VALUE, v)?;
    }
    Ok(())
}

/// The required KEY, checked against the family's key length limit.
fn key<'a>(f: &Family, p: &Attrs<'a>) -> Result<&'a [u8], Failure> {
    let k = required(p.str(attr::KEY), attr::KEY)?;
    if k.len() > f.limits.max_key_len {
        return Err(
            Failure::new(err(EMSGSIZE), "key longer than max_key_len").at(p.offset(attr::KEY))
        );
    }
    Ok(k)
}

/// Multicasts a change to the KV group, if anyone listens. Called with the store locked,
/// so subscribers see changes in the order they were made.
fn notify(f: &Family, req: &Request<'_>, ty: u16, key: &[u8], value: Option<&[u8]>) {
    if !req.has_listeners(group::KV) {
        return;
    }
    let size = entry_space(key.len(), value.map_or(0, |v| v.len()));
    let built = SkBuff::alloc(size, Gfp::Kernel).and_then(|mut skb| {
        skb.append(size, |w| {
            let m = w.begin_msg(ty, 0, 0, 0)?;
            put_entry(w, key, value)?;
            w.put_u32(attr::PORTID, req.portid())?;
            w.put_u32(attr::SEQ, req.hdr().seq)?;
            w.end_msg(m)
        })
        .map_err(|NoSpace| err(EMSGSIZE))?;
        Ok(skb)
    });
    f.count_broadcast(built.and_then(|skb| req.broadcast(skb, group::KV)));
}

pub(crate) fn set(
    this: ArcBorrow<'_, Family>,
    req: &Request<'_>,
    p: &Attrs<'_>,
) -> Result<Outcome, Failure> {
    let f = &*this;
    let k = key(f, p)?;
    let v = required(p.bytes(attr::VALUE), attr::VALUE)?;
    if v.len() > f.limits.max_value_len {
        return Err(
            Failure::new(err(EMSGSIZE), "value longer than max_value_len")
                .at(p.offset(attr::VALUE)),
        );
    }
    // Copy before taking the lock (the tree node, needed only for a new key, is allocated
    // under it: a replace allocates none).
    let (key_buf, value_buf) = (Key::new(k)?, copy(v)?);
    let mut store = f.store.lock();
    store.set(key_buf, value_buf, req.hdr().flags, f.quota())?;
    notify(f, req, msg::KV_SET, k, Some(v));
    Ok(Outcome::Done)
}

pub(crate) fn del(
    this: ArcBorrow<'_, Family>,
    req: &Request<'_>,
    p: &Attrs<'_>,
) -> Result<Outcome, Failure> {
    let f = &*this;
    let k = key(f, p)?;
    let key_buf = Key::new(k)?;
    let mut store = f.store.lock();
    store.del(&key_buf)?;
    notify(f, req, msg::KV_DEL, k, None);
    Ok(Outcome::Done)
}

pub(crate) fn get(
    this: ArcBorrow<'_, Family>,
    req: &Request<'_>,
    p: &Attrs<'_>,
) -> Result<Outcome, Failure> {
    let f = &*this;
    let k = key(f, p)?;
    let key_buf = Key::new(k)?;
    let store = f.store.lock();
    let v = store
        .get(&key_buf)
        .ok_or_else(|| Failure::new(err(ENOENT), "no such key"))?;
    req.reply(msg::KV_SET, 0, entry_space(k.len(), v.len()), |w| {
        put_entry(w, k, Some(v))
    })?;
    Ok(Outcome::Done)
}

/// KV_GET with `NLM_F_DUMP`: the whole store, in key order.
pub(crate) fn dump(
    this: ArcBorrow<'_, Family>,
    req: &Request<'_>,
    p: &Attrs<'_>,
) -> Result<Outcome, Failure> {
    if let Some(at) = p.offset(attr::KEY) {
        // Filtering is not supported: say so rather than silently dumping everything.
        return Err(Failure::new(
            kernel::error::code::EINVAL,
            "KEY is not allowed in a dump request",
        )
        .at(Some(at)));
    }
    let min = entry_space(this.limits.max_key_len, this.limits.max_value_len);
    req.start_dump(this, u32::try_from(min).unwrap_or(u32::MAX))?;
    Ok(Outcome::DumpStarted)
}

/// Where a dump of the store stands: the last key sent.
#[derive(Default)]
pub(crate) struct StoreCursor {
    last: Option<Key>,
}

impl Dumper for Family {
    type Cursor = StoreCursor;

    fn dump(&self, cursor: &mut StoreCursor, sink: &mut DumpSink<'_>) -> Result<bool, Failure> {
        let mut store = self.store.lock();
        sink.set_generation(store.generation());
        let walk = store.walk_from(cursor.last.as_ref(), |k, v| {
            sink.entry(msg::KV_SET, entry_space(k.len(), v.len()), |w| {
                put_entry(w, k, Some(v))
            })
            .is_ok()
        })?;
        drop(store);
        match walk {
            Walk::Finished => Ok(false),
            Walk::Stopped(last) => {
                if last.is_some() {
                    cursor.last = last;
                }
                Ok(true)
            }
        }
    }
}
