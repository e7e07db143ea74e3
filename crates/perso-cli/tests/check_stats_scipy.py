"""Recomputes the report's interval maths with scipy, independently of perso: for
every arm with a lift in arms.csv (the native report's table), GrowthBook's
frequentist formula (delta-method variance of the relative lift, Welch-Satterthwaite
degrees of freedom, scipy's exact t quantile), the chance to win (normal CDF) and the
sample-ratio test (scipy.stats.chisquare) from the arm's sufficient statistics.

Usage: python3 check_stats_scipy.py ARMS.csv CAMPAIGNS.csv CONFIDENCE
Prints how many values it checked; exits 1 on the first disagreement.
"""
import csv
import math
import sys

import numpy as np
from scipy import stats


def close(name, ours, theirs, rel=1e-7, absolute=1e-12):
    if not math.isclose(ours, theirs, rel_tol=rel, abs_tol=absolute):
        print(f"{name}: perso {ours!r}, scipy {theirs!r}", file=sys.stderr)
        sys.exit(1)


def moments(row, metric):
    n = float(row["visitors"])
    if metric == "cr":
        mean = float(row["conversions"]) / n
        return n, mean, mean * (1 - mean)
    total, squares = float(row["revenue_cents"]), float(row["revenue_cents_squared"])
    return n, total / n, (squares - total * total / n) / (n - 1)


def main():
    arms_path, campaigns_path, confidence = sys.argv[1], sys.argv[2], float(sys.argv[3])
    alpha = 1 - confidence
    arms = list(csv.DictReader(open(arms_path, encoding="utf-8")))
    checked = 0
    for control in (a for a in arms if a["is_control"] == "1"):
        for arm in (a for a in arms if a["campaign"] == control["campaign"] and a["is_control"] == "0"):
            for metric in ("cr", "rpv"):
                if not arm[f"{metric}_lift"]:
                    continue
                na, ma, va = moments(control, metric)
                nb, mb, vb = moments(arm, metric)
                variance = vb / (ma**2 * nb) + va * mb**2 / (ma**4 * na)
                lift = (mb - ma) / ma
                dof = (vb / nb + va / na) ** 2 / (vb**2 / (nb**2 * (nb - 1)) + va**2 / (na**2 * (na - 1)))
                # The expansion perso uses is exact to 2e-8 from 30 degrees of freedom.
                rel = 1e-7 if dof >= 30 else 1e-3
                width = stats.t.ppf(1 - alpha / 2, dof) * np.sqrt(variance)
                where = f"{arm['campaign']}/{arm['variant']} {metric}"
                close(f"{where} lift", float(arm[f"{metric}_lift"]), lift, 1e-12)
                close(f"{where} ci_low", float(arm[f"{metric}_ci_low"]), lift - width, rel, 1e-9)
                close(f"{where} ci_high", float(arm[f"{metric}_ci_high"]), lift + width, rel, 1e-9)
                ctw = stats.norm.cdf(lift / np.sqrt(variance))
                close(f"{where} chance_to_win", float(arm[f"{metric}_chance_to_win"]), ctw, 1e-9, 1e-12)
                checked += 4
    for c in csv.DictReader(open(campaigns_path, encoding="utf-8")):
        if not c["srm_chi2"]:
            continue
        rows = [a for a in arms if a["campaign"] == c["campaign"]]
        observed = np.array([float(a["visitors"]) for a in rows])
        expected = observed.sum() * np.array([float(a["expected_share"]) for a in rows])
        result = stats.chisquare(observed, f_exp=expected)
        close(f"{c['campaign']} srm chi2", float(c["srm_chi2"]), result.statistic, 1e-9)
        close(f"{c['campaign']} srm p", float(c["srm_p_value"]), result.pvalue, 1e-6, 1e-300)
        checked += 2
    if checked == 0:
        print("nothing to check", file=sys.stderr)
        sys.exit(1)
    print(f"scipy {__import__('scipy').__version__}: {checked} values agree")


if __name__ == "__main__":
    main()
