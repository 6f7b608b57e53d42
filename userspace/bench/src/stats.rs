//! The statistics: means with 95% Student t intervals, ratios of means with intervals by
//! the delta method on the log ratio (Welch–Satterthwaite degrees of freedom), and the
//! latency histogram that pools every round trip of a row.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::f64::consts::PI;

/// One sample: `ops` operations in `ns` nanoseconds, and the events not delivered (fan-out).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sample {
    pub ops: u64,
    pub ns: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drops: Option<u64>,
}

impl Sample {
    /// Operations per second.
    pub fn rate(&self) -> f64 {
        self.ops as f64 * 1e9 / self.ns.max(1) as f64
    }
}

/// `n` samples: mean, standard deviation (0 for one sample) and the half-width of the 95%
/// interval of the mean, `t(0.975, n-1) sd / sqrt(n)` (NaN for one sample).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Summary {
    pub n: usize,
    pub mean: f64,
    pub sd: f64,
    pub half: f64,
}

impl Summary {
    pub fn of(xs: &[f64]) -> Option<Summary> {
        let n = xs.len();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let squares: f64 = xs.iter().map(|x| (x - mean) * (x - mean)).sum();
        let sd = (squares / n.saturating_sub(1).max(1) as f64).sqrt();
        let half = match n {
            0 => return None,
            1 => f64::NAN,
            _ => t975((n - 1) as f64) * sd / (n as f64).sqrt(),
        };
        Some(Summary { n, mean, sd, half })
    }

    /// The summary of `k / x`, to first order: mean `k / mean`, spread and half-width in
    /// proportion. Costs per operation come from rates so: a mean of per-sample costs would
    /// be dominated by one stalled sample, and this way costs, rates and ratios agree.
    pub fn reciprocal(&self, k: f64) -> Summary {
        let mean = k / self.mean;
        let scale = |x: f64| mean * x / self.mean;
        Summary {
            mean,
            sd: scale(self.sd),
            half: scale(self.half),
            ..*self
        }
    }
}

/// A ratio of two means with its 95% interval (`lo`, `hi`; NaN: none) and the degrees of
/// freedom of the log ratio's standard error.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Ratio {
    pub ratio: f64,
    pub lo: f64,
    pub hi: f64,
    pub df: f64,
}

/// `mean(a) / mean(b)` with a 95% interval by the delta method on the log ratio:
/// `ln(a/b) ± t(0.975, df) · se`, `se² = sd_a²/(n_a·mean_a²) + sd_b²/(n_b·mean_b²)`, `df`
/// by Welch–Satterthwaite; asymmetric and always positive. `None` when a mean is not
/// positive or a side has fewer than two samples.
pub fn ratio(a: &Summary, b: &Summary) -> Option<Ratio> {
    if a.n < 2 || b.n < 2 || a.mean <= 0.0 || b.mean <= 0.0 {
        return None;
    }
    // The squared standard errors relative to the means: the variances of the logs.
    let rel_var = |s: &Summary| s.sd * s.sd / (s.n as f64 * s.mean * s.mean);
    let (va, vb, ratio) = (rel_var(a), rel_var(b), a.mean / b.mean);
    let df = (va + vb).powi(2) / (va * va / (a.n - 1) as f64 + vb * vb / (b.n - 1) as f64);
    // Without spread (df is NaN) there is no interval to compute.
    let t = if va + vb == 0.0 { 0.0 } else { t975(df) };
    let t_se = t * (va + vb).sqrt();
    let (lo, hi) = (ratio * (-t_se).exp(), ratio * t_se.exp());
    Some(Ratio { ratio, lo, hi, df })
}

/// `ln Γ(x)` for `x > 0`: Stirling's series (error < 1e-11 from 7 on), below 7 through
/// `Γ(x) = Γ(x + 1) / x`.
fn ln_gamma(mut x: f64) -> f64 {
    let mut shift = 0.0;
    while x < 7.0 {
        (shift, x) = (shift - x.ln(), x + 1.0);
    }
    let z = 1.0 / (x * x);
    let series = (1.0 / 12.0 - z * (1.0 / 360.0 - z * (1.0 / 1260.0 - z / 1680.0))) / x;
    shift + (x - 0.5) * x.ln() - x + 0.5 * (2.0 * PI).ln() + series
}

/// Quantile 0.975 of Student's t with `df` ≥ 1 (maybe fractional) degrees of freedom, as 95%
/// intervals need (n ≥ 2 samples give df ≥ 1, and Welch's df is at least the smaller side's):
/// Newton's method on `1/2 + ∫₀ᵗ density` (Simpson's rule, 1000 panels). The distribution
/// function is concave on t > 0, so the iterates from 0 rise monotonically to the root.
pub fn t975(df: f64) -> f64 {
    assert!(df > 0.0, "t quantile of df = {df}");
    // Welch's df falls below 1 only by rounding. Beyond 1e7 degrees of freedom t is normal
    // to 1e-7; more would only cost precision in the log-gamma differences.
    let df = df.clamp(1.0, 1e7);
    let ln_c = ln_gamma((df + 1.0) / 2.0) - ln_gamma(df / 2.0) - 0.5 * (df * PI).ln();
    let density = |x: f64| (ln_c - (df + 1.0) / 2.0 * (x * x / df).ln_1p()).exp();
    let (mut t, mut step) = (0.0, f64::INFINITY);
    while step > 1e-12 * t {
        let h = t / 1000.0;
        let inner = (1..1000).map(|i| density(i as f64 * h) * (2 + 2 * (i % 2)) as f64);
        let area = (density(0.0) + inner.sum::<f64>() + density(t)) * h / 3.0;
        step = (0.475 - area) / density(t);
        t += step;
    }
    t
}

/// `1234567.8, 2345.6` -> "1,234,600 ± 2,300": both rounded to two significant digits
/// of the interval (four of the value without an interval); "–" when not finite.
pub fn fmt_rate(mean: f64, half: f64) -> String {
    let digits = match (half.is_finite() && half > 0.0, mean != 0.0) {
        (true, _) => half.log10().floor() as i32 - 1,
        (false, true) => mean.abs().log10().floor() as i32 - 3,
        _ => 0,
    };
    let num = |x: f64| {
        if digits < 0 {
            return format!("{:.*}", (-digits) as usize, x);
        }
        let x = (x / 10f64.powi(digits)).round() * 10f64.powi(digits);
        let int = format!("{:.0}", x.abs()).into_bytes();
        let groups: Vec<_> = int.rchunks(3).rev().map(String::from_utf8_lossy).collect();
        format!("{}{}", if x < 0.0 { "-" } else { "" }, groups.join(","))
    };
    match (mean.is_finite(), half.is_finite()) {
        (false, _) => "–".into(),
        (true, true) => format!("{} ± {}", num(mean), num(half)),
        (true, false) => num(mean),
    }
}

/// Latency histogram in nanoseconds, bucket to count: exact below 256 ns, then 128 buckets
/// per power of two up to 2^32 ns (< 0.8% apart), so that the percentiles of every round
/// trip of a row pool across its samples without storing each latency.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Hist(BTreeMap<usize, u64>);

impl Hist {
    /// The bucket of `ns`: its top 8 significant bits and how far they were shifted.
    fn bucket(ns: u32) -> usize {
        let shift = (32 - ns.leading_zeros()).saturating_sub(8);
        ((shift << 7) + (ns >> shift)) as usize
    }

    /// The middle of bucket `b` in nanoseconds.
    fn value(b: usize) -> f64 {
        if b < 256 {
            return b as f64;
        }
        let width = (1u64 << (b / 128 - 1)) as f64;
        (b % 128 + 128) as f64 * width + width / 2.0
    }

    pub fn record(&mut self, ns: u32) {
        *self.0.entry(Self::bucket(ns)).or_default() += 1;
    }

    pub fn count(&self) -> u64 {
        self.0.values().sum()
    }

    /// Nearest-rank percentile `p` (0-100) in nanoseconds (bucket middle).
    pub fn percentile(&self, p: f64) -> Option<f64> {
        let rank = ((p / 100.0) * self.count() as f64).ceil().max(1.0) as u64;
        let mut cumulative = self.0.iter().scan(0, |seen, (b, c)| {
            *seen += c;
            Some((*b, *seen))
        });
        let (b, _) = cumulative.find(|&(_, seen)| seen >= rank)?;
        Some(Self::value(b))
    }

    /// As one string "bucket:count bucket:count ..." (one line in the pretty-printed file).
    pub fn to_json(&self) -> serde_json::Value {
        let pairs: Vec<_> = self.0.iter().map(|(b, c)| format!("{b}:{c}")).collect();
        pairs.join(" ").into()
    }

    /// Reads [`Hist::to_json`]; malformed pairs are ignored.
    pub fn from_json(v: &serde_json::Value) -> Hist {
        let pairs = v.as_str().unwrap_or("").split_whitespace();
        let parse = |(b, c): (&str, &str)| Some((b.parse().ok()?, c.parse().ok()?));
        Hist(pairs.filter_map(|p| parse(p.split_once(':')?)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(got: f64, want: f64, tol: f64) {
        assert!((got - want).abs() <= tol, "got {got}, want {want}");
    }

    fn of(xs: &[f64]) -> Summary {
        Summary::of(xs).unwrap()
    }

    #[test]
    fn t_quantiles_intervals_and_ratios_match_known_values() {
        // Two-sided 95% critical values, qt(0.975, df) in R, fractional df (Welch) too.
        for (df, want) in [
            (1.0, 12.7062047),
            (1.0 - 1e-15, 12.7062047),
            (1.5, 6.0166631),
            (2.0, 4.3026527),
            (2.5, 3.5746548),
            (4.0, 2.7764451),
            (8.0, 2.3060041),
            (12.5, 2.1691859),
            (29.25, 2.0444706),
            (39.0, 2.0226909),
            (1e9, 1.959964),
        ] {
            close(t975(df), want, 1e-6);
        }

        // Mean 12, sd sqrt(2.5), half-width t(0.975, 4) sqrt(2.5) / sqrt(5).
        let a = of(&[10.0, 11.0, 12.0, 13.0, 14.0]);
        assert_eq!((a.n, a.mean, a.sd), (5, 12.0, 2.5f64.sqrt()));
        close(a.half, 1.963_243_161, 1e-8);
        let c = a.reciprocal(1e9);
        close(c.mean, 1e9 / 12.0, 1e-6);
        close(c.half / c.mean, a.half / a.mean, 1e-15);
        assert!(of(&[3.0]).half.is_nan() && Summary::of(&[]).is_none());
        // Equal relative variances and sizes: df = 2 (n - 1) = 8, se² = 2.5/(5·144) +
        // 0.625/(5·36) = 2/288, interval 2 · exp(∓ 2.306004135 · se).
        let r = ratio(&a, &of(&[5.0, 5.5, 6.0, 6.5, 7.0])).unwrap();
        assert_eq!(r.ratio, 2.0);
        close(r.df, 8.0, 1e-9);
        close(r.lo, 1.650_338_089, 1e-6);
        close(r.hi, 2.423_745_793, 1e-6);
        // a: mean 100, sd 10, n 40; b: mean 80, sd 4, n 10: relative variances 2.5e-4 each,
        // df = 4 / (1/39 + 1/9) = 29.25, interval 1.25 · exp(∓ 2.04447061 · sqrt(5e-4)).
        let summary = |n, mean, sd, half| Summary { n, mean, sd, half };
        let (a, b) = (summary(40, 100.0, 10.0, 0.0), summary(10, 80.0, 4.0, 0.0));
        let r = ratio(&a, &b).unwrap();
        close(r.df, 29.25, 1e-9);
        close(r.hi, 1.25 * (2.044_470_61 * 5e-4f64.sqrt()).exp(), 1e-8);
        // No interval without two samples or with a zero mean; none needed without spread.
        assert!(ratio(&of(&[1.0]), &b).is_none() && ratio(&a, &of(&[0.0, 0.0])).is_none());
        let r = ratio(&of(&[2.0; 5]), &of(&[4.0; 5]));
        assert_eq!(r.map(|r| (r.ratio, r.lo, r.hi)), Some((0.5, 0.5, 0.5)));
    }

    #[test]
    fn numbers_and_histograms() {
        assert_eq!(fmt_rate(1_234_567.8, 2_345.6), "1,234,600 ± 2,300");
        assert_eq!(fmt_rate(12.345, 0.0123), "12.345 ± 0.012");
        assert_eq!(fmt_rate(-123_456.0, f64::NAN), "-123,500");
        for ns in (0..5000).chain([65_535, 1 << 20, u32::MAX]) {
            let (b, before) = (Hist::bucket(ns), Hist::bucket(ns.saturating_sub(1)));
            assert!(b >= before && b < 3328, "bucket({ns}) = {b}");
            close(Hist::value(b), f64::from(ns), f64::from(ns) / 128.0 + 0.5);
        }
        let mut h = Hist::default();
        for ns in [10_000, 1_000_000, 1_000_000] {
            h.record(ns);
        }
        // The bucket numbers of the raw files written so far.
        assert_eq!(h.to_json(), "924:1 1780:2");
        assert_eq!(h.percentile(50.0), Some(1_001_472.0));
        assert_eq!(Hist::from_json(&h.to_json()), h);
    }
}
