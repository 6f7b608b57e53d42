// SPDX-License-Identifier: GPL-2.0

//! The module's parameters (`modinfo nlfam.ko` lists them) and their validation.

use crate::proto::family::{family_in_range, FAMILIES_MAX, FAMILY_MAX, FAMILY_MIN};
use kernel::error::{code::EINVAL, Result};
use kernel::prelude::*;

module_param!(family: [i32; 9] = [crate::proto::family::FAMILY_DEFAULT as i32, 0, 0, 0, 0, 0, 0, 0, 0], count 1,
              "Netlink family numbers to register, 23-31, comma-separated (default 25)");

/// The family numbers to register, validated: in range and without duplicates.
pub(crate) fn families() -> Result<KVec<u32>> {
    let (values, count) = family::get();
    let mut out = KVec::with_capacity(FAMILIES_MAX, GFP_KERNEL)?;
    for &n in values.iter().take(count) {
        if !family_in_range(i64::from(n)) {
            pr_err!(
                "family={} is out of range: netlink families {}-{} are free for private use\n",
                n,
                FAMILY_MIN,
                FAMILY_MAX
            );
            return Err(EINVAL);
        }
        let n = n as u32;
        if out.iter().any(|&m| m == n) {
            pr_err!("family={} is given twice\n", n);
            return Err(EINVAL);
        }
        out.push(n, GFP_KERNEL)?;
    }
    Ok(out)
}
