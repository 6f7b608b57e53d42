//! `nlfam bench`: the benchmark's rows against the module loaded now (see `nlfam-bench`).

use nlfam::Error;
use nlfam_bench::{report, run, runner, usage, PlanArgs, RunArgs};
use serde_json::Value;

/// `nlfam bench`: the plan's rows against the loaded module, `samples` each (the floor
/// too), entries added to the store deleted afterwards; returns the raw result.
pub fn bench_loaded(family: u32, samples: usize, plan: &PlanArgs) -> Result<Value, Error> {
    let loaded = runner::loaded_modules();
    let label = if let [m] = loaded[..] { m } else { "module" };
    let raw = run(&RunArgs {
        modules: vec![(label.to_string(), family)],
        samples,
        cleanup: true,
        plan: plan.clone(),
    })?;
    // SAFETY: a zeroed `tm` is valid (its zone pointer null); time(NULL) only returns the
    // time, gmtime_r only writes the struct it is given.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    unsafe { libc::gmtime_r(&libc::time(std::ptr::null_mut()), &mut tm) };
    let (y, mo, d) = (tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    let (h, mi, s) = (tm.tm_hour, tm.tm_min, tm.tm_sec);
    let meta = serde_json::json!({
        "accelerator": report::accelerator_of(&runner::hypervisor_signature()),
        "commit": "-",
        "date": format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z"),
        "config": {"samples": samples, "sample_ms": plan.sample().as_millis() as u64,
            "quick": plan.quick, "params": "(as loaded)", "family": family},
    });
    report::with_meta(raw, meta).map_err(usage)
}

/// `nlfam bench` end to end on the host: the floor needs no module, and NETLINK_USERSOCK lets
/// any user send to a port.
#[cfg(test)]
#[test]
fn nlfam_bench_of_the_floor_on_the_hosts_kernel() {
    let plan = PlanArgs {
        quick: true,
        sample_ms: Some(5),
        rows: vec!["floor".into()],
    };
    let raw = bench_loaded(libc::NETLINK_USERSOCK as u32, 2, &plan).unwrap();
    for row in raw["rows"].as_array().unwrap() {
        let samples = row["samples"][nlfam_bench::rows::FLOOR].as_array().unwrap();
        let ops: u64 = samples.iter().map(|s| s["ops"].as_u64().unwrap()).sum();
        let hist =
            nlfam_bench::stats::Hist::from_json(&row["latency_hist"][nlfam_bench::rows::FLOOR]);
        assert_eq!(samples.len(), 2, "{row}");
        assert!(ops > 0 && hist.count() == ops, "{row}");
    }
    let md = report::Data::parse(&raw).unwrap().markdown();
    let config = "\n- 2 samples per row and series, 5 ms per sample, QUICK sizes; ";
    assert!(md.contains(config), "{md}");
}
