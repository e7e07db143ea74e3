//! Sample-ratio mismatch: did the arms get the visitors their weights promise?
//! Pearson's chi-square goodness of fit (GrowthBook's check, flagged below p = 0.001):
//! `χ² = Σ (o_i − e_i)² / e_i` with `e_i = N w_i / Σw`, `k − 1` degrees of freedom.
//!
//! The p-value is the chi-square survival function in closed form for whole degrees of
//! freedom, which SQL can write too (`sql::chi2_sf`): for even `k`,
//! `Q = e^{−x/2} Σ_{i<k/2} (x/2)^i / i!`; for odd `k`, `Q = 2Φ(−√x) + √(2x/π) e^{−x/2}
//! Σ_{i<(k−1)/2} x^i / (3·5···(2i+1))`, both from `Q(x; k+2) = Q(x; k) + term_k`.

use super::stats::normal_cdf;

/// GrowthBook's threshold.
pub const SRM_P: f64 = 0.001;

#[derive(Debug, Clone, PartialEq)]
pub struct SrmTest {
    pub chi2: f64,
    pub df: u32,
    pub p_value: f64,
}

/// The test for `observed` counts against `weights` (same order, any positive scale).
/// `None` with fewer than two arms or no visitors.
pub fn test(observed: &[u64], weights: &[f64]) -> Option<SrmTest> {
    let total: f64 = observed.iter().map(|&o| o as f64).sum();
    let weight_sum: f64 = weights.iter().sum();
    if observed.len() < 2 || observed.len() != weights.len() || total <= 0.0 || weight_sum <= 0.0 {
        return None;
    }
    let chi2 = observed
        .iter()
        .zip(weights)
        .map(|(&o, &w)| {
            let expected = total * w / weight_sum;
            (o as f64 - expected).powi(2) / expected
        })
        .sum::<f64>();
    let df = (observed.len() - 1) as u32;
    Some(SrmTest { chi2, df, p_value: chi2_sf(chi2, df) })
}

/// `P(X > x)` for a chi-square variable with `df ≥ 1` degrees of freedom.
pub fn chi2_sf(x: f64, df: u32) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    let half = (-x / 2.0).exp();
    let (mut q, mut term, mut k) = if df.is_multiple_of(2) {
        (half, half * x / 2.0, 2)
    } else {
        (2.0 * normal_cdf(-x.sqrt()), (2.0 * x / std::f64::consts::PI).sqrt() * half, 1)
    };
    while k < df {
        q += term;
        term *= x / f64::from(k + 2);
        k += 2;
    }
    q.min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn survival_function_at_known_points() {
        // scipy.stats.chi2.sf
        assert!((chi2_sf(3.841458820694124, 1) - 0.05).abs() < 1e-12);
        assert!((chi2_sf(5.991464547107979, 2) - 0.05).abs() < 1e-12);
        assert!((chi2_sf(7.814727903251178, 3) - 0.05).abs() < 1e-12);
        assert!((chi2_sf(10.0, 4) - 0.04042768199451279).abs() < 1e-12);
        assert_eq!(chi2_sf(0.0, 3), 1.0);
    }

    #[test]
    fn a_45_55_split_of_10000_is_a_mismatch() {
        let srm = test(&[4500, 5500], &[1.0, 1.0]).unwrap();
        assert!((srm.chi2 - 100.0).abs() < 1e-9);
        assert!(srm.p_value < SRM_P);
        let fine = test(&[4980, 5020], &[50.0, 50.0]).unwrap();
        assert!(fine.p_value > 0.5);
        assert_eq!(test(&[10], &[1.0]), None);
    }
}
