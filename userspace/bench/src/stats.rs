//! The statistics of the reports: sample mean with a Student-t confidence interval, the
//! ratio of two means with an interval from the delta method on the log ratio
//! (Welch–Satterthwaite degrees of freedom), and nearest-rank percentiles.
//!
//! No dependencies: the t quantile comes from the regularized incomplete beta function
//! (continued fraction, as in Numerical Recipes) inverted by bisection.

/// Confidence level of every interval in the reports.
pub const LEVEL: f64 = 0.95;

/// Mean, spread and interval of one set of samples.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summary {
    /// Number of samples.
    pub n: usize,
    /// Arithmetic mean.
    pub mean: f64,
    /// Sample standard deviation (n - 1 in the denominator); 0 for one sample.
    pub sd: f64,
    /// Half-width of the 95% interval of the mean (`t(0.975, n-1) * sd / sqrt(n)`); NaN
    /// with fewer than two samples.
    pub half: f64,
}

impl Summary {
    /// Summarises `xs`; `None` when empty.
    pub fn of(xs: &[f64]) -> Option<Summary> {
        let n = xs.len();
        if n == 0 {
            return None;
        }
        let mean = xs.iter().sum::<f64>() / n as f64;
        if n == 1 {
            return Some(Summary {
                n,
                mean,
                sd: 0.0,
                half: f64::NAN,
            });
        }
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1) as f64;
        let sd = var.sqrt();
        let half = t_quantile(0.5 + LEVEL / 2.0, (n - 1) as f64) * sd / (n as f64).sqrt();
        Some(Summary { n, mean, sd, half })
    }

    /// Lower end of the interval.
    pub fn lo(&self) -> f64 {
        self.mean - self.half
    }

    /// Upper end of the interval.
    pub fn hi(&self) -> f64 {
        self.mean + self.half
    }

    /// Squared standard error of the mean, relative to the mean: `sd^2 / (n mean^2)`, the
    /// variance of `ln(mean)` to first order.
    fn rel_var(&self) -> f64 {
        self.sd * self.sd / (self.n as f64 * self.mean * self.mean)
    }
}

/// A ratio of two means with its interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ratio {
    /// `mean(a) / mean(b)`.
    pub ratio: f64,
    /// Lower end of the 95% interval.
    pub lo: f64,
    /// Upper end of the 95% interval.
    pub hi: f64,
    /// Standard error of `ln(ratio)`.
    pub se_log: f64,
    /// Welch–Satterthwaite degrees of freedom of that standard error.
    pub df: f64,
}

/// How [`ratio`] computes its interval, for the reports' footnotes.
pub const RATIO_METHOD: &str = "delta method on the log ratio: se(ln(a/b))^2 = sd_a^2/(n_a mean_a^2) + sd_b^2/(n_b mean_b^2), \
Welch-Satterthwaite degrees of freedom, interval exp(ln(a/b) +- t * se)";

/// The ratio `mean(a) / mean(b)` with a 95% interval by the delta method on the log ratio:
/// `ln(a/b) ± t(0.975, df) · se`, `se² = sd_a²/(n_a·mean_a²) + sd_b²/(n_b·mean_b²)`, `df`
/// by Welch–Satterthwaite. The interval is asymmetric around the ratio and always
/// positive. `None` when a mean is not positive or a side has fewer than two samples.
pub fn ratio(a: &Summary, b: &Summary) -> Option<Ratio> {
    if a.n < 2 || b.n < 2 || a.mean <= 0.0 || b.mean <= 0.0 {
        return None;
    }
    let (va, vb) = (a.rel_var(), b.rel_var());
    let se2 = va + vb;
    let r = a.mean / b.mean;
    if se2 == 0.0 {
        return Some(Ratio {
            ratio: r,
            lo: r,
            hi: r,
            se_log: 0.0,
            df: f64::INFINITY,
        });
    }
    let df = se2 * se2 / (va * va / (a.n - 1) as f64 + vb * vb / (b.n - 1) as f64);
    let se = se2.sqrt();
    let t = t_quantile(0.5 + LEVEL / 2.0, df);
    Some(Ratio {
        ratio: r,
        lo: r * (-t * se).exp(),
        hi: r * (t * se).exp(),
        se_log: se,
        df,
    })
}

/// Nearest-rank percentile `p` (0-100) of `xs`, which it reorders; 0 when empty.
pub fn percentile(xs: &mut [u32], p: f64) -> u32 {
    if xs.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * xs.len() as f64).ceil() as usize;
    let idx = rank.clamp(1, xs.len()) - 1;
    *xs.select_nth_unstable(idx).1
}

/// `ln Γ(x)` for `x > 0` (Lanczos, g = 7, n = 9).
fn ln_gamma(x: f64) -> f64 {
    const G: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Γ(x)Γ(1-x) = π / sin(πx).
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = G[0];
    let t = x + 7.5;
    for (i, g) in G.iter().enumerate().skip(1) {
        a += g / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// Continued fraction of the incomplete beta function (modified Lentz).
fn beta_cf(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..=1000 {
        let m = m as f64;
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < 1e-15 {
            break;
        }
    }
    h
}

/// Regularized incomplete beta function `I_x(a, b)`.
fn beta_inc(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_bt = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln();
    let bt = ln_bt.exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        bt * beta_cf(a, b, x) / a
    } else {
        1.0 - bt * beta_cf(b, a, 1.0 - x) / b
    }
}

/// Cumulative distribution function of Student's t with `df` degrees of freedom.
pub fn t_cdf(t: f64, df: f64) -> f64 {
    // Beyond 1e7 degrees of freedom t is normal to 1e-7; larger values would only cost
    // precision in the log-gamma differences.
    let df = df.min(1e7);
    let x = df / (df + t * t);
    let tail = 0.5 * beta_inc(df / 2.0, 0.5, x);
    if t > 0.0 {
        1.0 - tail
    } else {
        tail
    }
}

/// Quantile `p` (0 < p < 1) of Student's t with `df` (> 0, may be fractional) degrees of
/// freedom, by bisection on [`t_cdf`] to 1e-12.
pub fn t_quantile(p: f64, df: f64) -> f64 {
    assert!(p > 0.0 && p < 1.0, "quantile of p = {p}");
    assert!(df > 0.0, "t quantile with df = {df}");
    if p < 0.5 {
        return -t_quantile(1.0 - p, df);
    }
    let mut hi = 1.0;
    while t_cdf(hi, df) < p {
        hi *= 2.0;
        if hi > 1e12 {
            return hi;
        }
    }
    let mut lo = 0.0;
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if t_cdf(mid, df) < p {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo < 1e-12 * hi.max(1.0) {
            break;
        }
    }
    0.5 * (lo + hi)
}

/// `1234567.8, 2345.6` -> "1,234,600 ± 2,300": both rounded to two significant digits
/// of the interval (four of the value when there is no interval).
pub fn fmt_rate(mean: f64, half: f64) -> String {
    if !mean.is_finite() {
        return "–".into();
    }
    let digits = if half.is_finite() && half > 0.0 {
        half.log10().floor() as i32 - 1
    } else if mean != 0.0 {
        mean.abs().log10().floor() as i32 - 3
    } else {
        0
    };
    let num = |x: f64| {
        if digits >= 0 {
            let q = 10f64.powi(digits);
            group((x / q).round() * q)
        } else {
            format!("{:.*}", (-digits) as usize, x)
        }
    };
    if half.is_finite() {
        format!("{} ± {}", num(mean), num(half))
    } else {
        num(mean)
    }
}

fn group(x: f64) -> String {
    let s = format!("{:.0}", x.abs());
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if x < 0.0 {
        format!("-{out}")
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn t_quantiles_match_the_tables() {
        // Two-sided 95% critical values (qt(0.975, df) in R).
        for (df, want) in [
            (1.0, 12.706_204_736),
            (2.0, 4.302_652_730),
            (3.0, 3.182_446_305),
            (4.0, 2.776_445_105),
            (7.0, 2.364_624_252),
            (8.0, 2.306_004_135),
            (10.0, 2.228_138_852),
            (30.0, 2.042_272_456),
            (39.0, 2.022_690_901),
            (79.0, 1.990_450_177),
            (1e9, 1.959_963_985),
        ] {
            let got = t_quantile(0.975, df);
            assert!(
                close(got, want, 1e-6),
                "qt(0.975, {df}) = {got}, want {want}"
            );
        }
        // Other levels and the lower tail.
        assert!(close(t_quantile(0.95, 10.0), 1.812_461_123, 1e-6));
        assert!(close(t_quantile(0.995, 5.0), 4.032_142_984, 1e-6));
        assert!(close(t_quantile(0.025, 39.0), -2.022_690_901, 1e-6));
        // Fractional degrees of freedom (Welch): qt(0.975, 12.5) = 2.1691859...
        assert!(close(t_quantile(0.975, 12.5), 2.169_185_94, 1e-6));
    }

    #[test]
    fn t_cdf_is_a_distribution() {
        assert!(close(t_cdf(0.0, 5.0), 0.5, 1e-12));
        assert!(close(t_cdf(2.570_581_836, 5.0), 0.975, 1e-8));
        assert!(close(
            t_cdf(-2.570_581_836, 5.0) + t_cdf(2.570_581_836, 5.0),
            1.0,
            1e-12
        ));
    }

    #[test]
    fn mean_and_interval_of_known_samples() {
        let s = Summary::of(&[10.0, 11.0, 12.0, 13.0, 14.0]).unwrap();
        assert_eq!(s.n, 5);
        assert!(close(s.mean, 12.0, 1e-12));
        assert!(close(s.sd, 2.5f64.sqrt(), 1e-12));
        // t(0.975, 4) * sqrt(2.5) / sqrt(5) = 2.776445105 * 0.7071067812
        assert!(close(s.half, 1.963_243_161, 1e-8), "half {}", s.half);
        assert!(close(s.lo(), 10.036_756_839, 1e-8));
        assert!(close(s.hi(), 13.963_243_161, 1e-8));
        let one = Summary::of(&[3.0]).unwrap();
        assert!(one.half.is_nan() && one.mean == 3.0);
        assert!(Summary::of(&[]).is_none());
        let flat = Summary::of(&[7.0; 40]).unwrap();
        assert_eq!((flat.mean, flat.sd, flat.half), (7.0, 0.0, 0.0));
    }

    #[test]
    fn ratio_by_the_delta_method() {
        // Equal relative variances and sizes: df = 2 (n - 1) = 8 exactly.
        let a = Summary::of(&[10.0, 11.0, 12.0, 13.0, 14.0]).unwrap();
        let b = Summary::of(&[5.0, 5.5, 6.0, 6.5, 7.0]).unwrap();
        let r = ratio(&a, &b).unwrap();
        assert!(close(r.ratio, 2.0, 1e-12));
        // se² = 2.5/(5·144) + 0.625/(5·36) = 2/288, se = 0.0833333
        assert!(close(r.se_log, (2.0f64 / 288.0).sqrt(), 1e-12));
        assert!(close(r.df, 8.0, 1e-9));
        // 2 · exp(∓ 2.306004135 · 0.0833333)
        assert!(close(r.lo, 1.650_338_089, 1e-6), "lo {}", r.lo);
        assert!(close(r.hi, 2.423_745_793, 1e-6), "hi {}", r.hi);
        // The interval is symmetric on the log scale.
        assert!(close((r.hi / r.ratio).ln(), (r.ratio / r.lo).ln(), 1e-12));

        // Unequal sizes and spreads (values checked by hand):
        // a: mean 100, sd 10, n 40; b: mean 80, sd 4, n 10.
        // va = 100/(40·10000) = 2.5e-4, vb = 16/(10·6400) = 2.5e-4
        // df = (5e-4)² / ((2.5e-4)²/39 + (2.5e-4)²/9) = 4 / (1/39 + 1/9) = 29.25
        let a = Summary {
            n: 40,
            mean: 100.0,
            sd: 10.0,
            half: 0.0,
        };
        let b = Summary {
            n: 10,
            mean: 80.0,
            sd: 4.0,
            half: 0.0,
        };
        let r = ratio(&a, &b).unwrap();
        assert!(close(r.df, 29.25, 1e-9), "df {}", r.df);
        let t = t_quantile(0.975, 29.25);
        assert!(close(t, 2.044_470_61, 1e-6), "t {t}");
        assert!(close(r.lo, 1.25 * (-t * 5e-4f64.sqrt()).exp(), 1e-12));

        // No interval without two samples or with a zero mean.
        let one = Summary::of(&[1.0]).unwrap();
        assert!(ratio(&one, &b).is_none());
        let zero = Summary::of(&[0.0, 0.0]).unwrap();
        assert!(ratio(&a, &zero).is_none());
        // No spread: a degenerate interval.
        let c = Summary::of(&[2.0; 5]).unwrap();
        let d = Summary::of(&[4.0; 5]).unwrap();
        let r = ratio(&c, &d).unwrap();
        assert_eq!((r.ratio, r.lo, r.hi), (0.5, 0.5, 0.5));
    }

    #[test]
    fn nearest_rank_percentiles() {
        let mut xs: Vec<u32> = (1..=100).rev().collect();
        assert_eq!(percentile(&mut xs, 50.0), 50);
        assert_eq!(percentile(&mut xs, 99.0), 99);
        assert_eq!(percentile(&mut xs, 100.0), 100);
        assert_eq!(percentile(&mut xs, 0.0), 1);
        let mut few = vec![5, 1, 3];
        assert_eq!(percentile(&mut few, 50.0), 3);
        assert_eq!(percentile(&mut few, 99.0), 5);
        assert_eq!(percentile(&mut [], 50.0), 0);
    }
}
