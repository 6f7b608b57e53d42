//! A latency histogram with < 0.8% relative resolution (exact below 256 ns, then 128
//! buckets per power of two up to 2^32 ns), so the percentiles of every round trip of a
//! row can be pooled across samples and module loads without storing each latency.

use serde_json::{json, Value};

const EXACT: u32 = 256;
const SUB: u32 = 128;
const BUCKETS: usize = (EXACT + (32 - 8) * SUB) as usize;

/// Counts of latencies (nanoseconds) per bucket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hist(Vec<u64>);

impl Default for Hist {
    fn default() -> Self {
        Hist(vec![0; BUCKETS])
    }
}

fn bucket(ns: u32) -> usize {
    if ns < EXACT {
        return ns as usize;
    }
    let e = 31 - ns.leading_zeros(); // 8..=31
    let top = ns >> (e - 7); // 128..=255
    (EXACT + (e - 8) * SUB + (top - SUB)) as usize
}

/// The middle of bucket `b` in nanoseconds.
fn value(b: usize) -> f64 {
    let b = b as u32;
    if b < EXACT {
        return f64::from(b);
    }
    let e = (b - EXACT) / SUB + 8;
    let top = (b - EXACT) % SUB + SUB;
    let width = 1u64 << (e - 7);
    (u64::from(top) * width) as f64 + width as f64 / 2.0
}

impl Hist {
    /// Counts one latency.
    pub fn record(&mut self, ns: u32) {
        self.0[bucket(ns)] += 1;
    }

    /// Adds every count of `other`.
    pub fn add(&mut self, other: &Hist) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a += b;
        }
    }

    /// Number of latencies counted.
    pub fn count(&self) -> u64 {
        self.0.iter().sum()
    }

    /// Nearest-rank percentile `p` (0-100) in nanoseconds (bucket middle); `None` when empty.
    pub fn percentile(&self, p: f64) -> Option<f64> {
        let n = self.count();
        if n == 0 {
            return None;
        }
        let rank = ((p / 100.0) * n as f64).ceil().clamp(1.0, n as f64) as u64;
        let mut seen = 0;
        for (b, c) in self.0.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return Some(value(b));
            }
        }
        None
    }

    /// Sparse JSON: one string `"bucket:count bucket:count ..."` of the non-empty buckets
    /// (one line in the pretty-printed raw file).
    pub fn to_json(&self) -> Value {
        let pairs: Vec<String> = self
            .0
            .iter()
            .enumerate()
            .filter(|(_, c)| **c > 0)
            .map(|(b, c)| format!("{b}:{c}"))
            .collect();
        json!(pairs.join(" "))
    }

    /// Reads [`Hist::to_json`]; malformed pairs and unknown buckets are ignored.
    pub fn from_json(v: &Value) -> Hist {
        let mut h = Hist::default();
        for pair in v.as_str().unwrap_or("").split_whitespace() {
            let parsed = pair
                .split_once(':')
                .and_then(|(b, c)| Some((b.parse::<usize>().ok()?, c.parse::<u64>().ok()?)));
            if let Some((b, c)) = parsed {
                if let Some(slot) = h.0.get_mut(b) {
                    *slot += c;
                }
            }
        }
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_monotonic_and_fine() {
        let mut last = 0;
        for ns in (0..5000).chain([65_535, 1 << 20, u32::MAX - 1, u32::MAX]) {
            let b = bucket(ns);
            assert!(b >= last, "bucket({ns}) went down");
            assert!(b < BUCKETS);
            last = b;
            let mid = value(b);
            assert!(
                (mid - f64::from(ns)).abs() <= f64::from(ns) / 128.0 + 0.5,
                "{ns} -> {mid}"
            );
        }
    }

    #[test]
    fn percentiles_and_round_trip_through_json() {
        let mut h = Hist::default();
        for ns in 1..=100u32 {
            h.record(ns);
        }
        assert_eq!(h.percentile(50.0), Some(50.0));
        assert_eq!(h.percentile(99.0), Some(99.0));
        let mut big = Hist::default();
        big.record(10_000);
        big.record(1_000_000);
        h.add(&big);
        assert_eq!(h.count(), 102);
        let p100 = h.percentile(100.0).unwrap();
        assert!((p100 - 1e6).abs() / 1e6 < 0.008);
        assert_eq!(Hist::from_json(&h.to_json()), h);
        assert_eq!(big.to_json(), json!("924:1 1780:1"));
        assert_eq!(Hist::default().percentile(50.0), None);
    }
}
