"""Tests for inclusion.stats, checked against independently computed values.

Independent references used here:
* statsmodels ``proportion_confint(method="wilson")`` and Newcombe RG, "Two-sided
  confidence intervals for the single proportion", Stat Med 1998;17:857-872 (Table I,
  method 3, score interval without continuity correction);
* scipy.stats.chi2 with the formulas of PHEindicatormethods ``phe_rate`` and the
  standard table of exact Poisson 95% limits (Garwood 1936);
* Byar's formula written out here with ``statistics.NormalDist`` for z;
* weighted least squares with ``numpy.linalg.lstsq`` and statsmodels WLS, and the
  analytic normal sampling distribution of a linear estimator, for the SII;
* PHEindicatormethods' own expected funnel output,
  tests/testthat/testdata_funnel_prop_outputs.csv (github.com/ukhsa-collaboration/
  PHEindicatormethods), and a numerical inversion of statsmodels' Wilson interval.
"""

from __future__ import annotations

import math
import time
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest
from scipy import optimize
from scipy.stats import chi2
from statsmodels.regression.linear_model import WLS
from statsmodels.stats.proportion import proportion_confint

from inclusion.stats import (
    funnel_limits,
    rate_ci,
    round_to_5,
    sii,
    sii_batch,
    suppress_count,
    wilson_ci,
)


def z_of(confidence: float) -> float:
    return NormalDist().inv_cdf(confidence + (1 - confidence) / 2)


# ======================================================================================
# wilson_ci
# ======================================================================================


@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99, 0.998])
def test_wilson_matches_statsmodels_grid(confidence):
    xs, ns = [], []
    for n in (1, 2, 7, 20, 263, 10_000):
        for x in sorted({0, 1, n // 3, n // 2, n - 1, n}):
            if 0 <= x <= n:
                xs.append(x)
                ns.append(n)
    lo, hi = wilson_ci(np.array(xs), np.array(ns), confidence)
    ref_lo, ref_hi = proportion_confint(
        np.array(xs), np.array(ns), alpha=1 - confidence, method="wilson"
    )
    np.testing.assert_allclose(lo, ref_lo, rtol=0, atol=1e-12)
    np.testing.assert_allclose(hi, ref_hi, rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    ("x", "n", "lower", "upper"),
    [
        # Newcombe 1998, Table I, method 3 (Wilson score, no continuity correction)
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0000, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_published_examples(x, n, lower, upper):
    lo, hi = wilson_ci(x, n)
    assert lo == pytest.approx(lower, abs=5e-5)
    assert hi == pytest.approx(upper, abs=5e-5)


def test_wilson_formula_by_hand():
    x, n, z = 37, 120, z_of(0.95)
    centre = 2 * x + z**2
    spread = z * math.sqrt(z**2 + 4 * x * (1 - x / n))
    lo, hi = wilson_ci(x, n)
    assert lo == pytest.approx((centre - spread) / (2 * (n + z**2)), rel=1e-12)
    assert hi == pytest.approx((centre + spread) / (2 * (n + z**2)), rel=1e-12)


def test_wilson_edges_zero_and_all():
    lo0, hi0 = wilson_ci(0, 50)
    assert lo0 == 0.0 and 0 < hi0 < 1
    lon, hin = wilson_ci(50, 50)
    assert hin == 1.0 and 0 < lon < 1
    # symmetry: interval for x is the mirror of the interval for n - x
    assert lo0 == pytest.approx(1 - hin) and hi0 == pytest.approx(1 - lon)


def test_wilson_tiny_denominator():
    lo, hi = wilson_ci(1, 1)
    assert 0 < lo < 1 and hi == 1.0


def test_wilson_types():
    lo, hi = wilson_ci(3, 10)
    assert type(lo) is float and type(hi) is float
    lo, hi = wilson_ci([1, 2, 3], [10, 10, 10])
    assert isinstance(lo, np.ndarray) and lo.shape == (3,)
    s = pd.Series([1, 5], index=["x", "y"])
    lo, hi = wilson_ci(s, pd.Series([10, 10], index=["x", "y"]))
    assert isinstance(lo, pd.Series) and list(lo.index) == ["x", "y"]
    assert lo["y"] == pytest.approx(wilson_ci(5, 10)[0])
    # broadcasting a scalar denominator
    lo, _ = wilson_ci(np.array([0, 10]), 10)
    assert lo.shape == (2,)


@pytest.mark.parametrize(
    ("x", "n", "message"),
    [
        (11, 10, "exceed"),
        (-1, 10, ">= 0"),
        (0, 0, "> 0"),
        (1, -5, "> 0"),
        (float("nan"), 10, "finite"),
        (1, float("inf"), "finite"),
        ([1, None], [10, 10], "finite"),
    ],
)
def test_wilson_invalid(x, n, message):
    with pytest.raises(ValueError, match=message):
        wilson_ci(x, n)


@pytest.mark.parametrize("confidence", [0, 1, 95, -0.5, float("nan")])
def test_wilson_invalid_confidence(confidence):
    with pytest.raises(ValueError, match="confidence"):
        wilson_ci(1, 10, confidence)


# ======================================================================================
# rate_ci
# ======================================================================================


@pytest.mark.parametrize("confidence", [0.95, 0.998])
def test_rate_exact_below_ten_matches_chi2(confidence):
    x = np.arange(0, 10, dtype=float)
    n = np.array([1, 3, 10, 50, 100, 1e3, 1e4, 2.5e4, 1e5, 7.0])
    lo, hi = rate_ci(x, n, confidence)
    with np.errstate(invalid="ignore"):
        ref_lo = chi2.ppf((1 - confidence) / 2, 2 * x) / 2 / n
    ref_lo = np.where(x == 0, 0.0, ref_lo)  # R's qchisq(p, df = 0) is 0
    ref_hi = chi2.ppf(confidence + (1 - confidence) / 2, 2 * x + 2) / 2 / n
    np.testing.assert_allclose(lo, ref_lo, rtol=1e-10, atol=0)
    np.testing.assert_allclose(hi, ref_hi, rtol=1e-10, atol=0)


@pytest.mark.parametrize(
    ("x", "lower", "upper"),
    [  # standard table of exact 95% Poisson limits for a count (Garwood 1936)
        (0, 0.0, 3.689),
        (1, 0.0253, 5.572),
        (2, 0.242, 7.225),
        (5, 1.624, 11.668),
        (9, 4.115, 17.085),
    ],
)
def test_rate_exact_published_table(x, lower, upper):
    lo, hi = rate_ci(x, 1)
    assert lo == pytest.approx(lower, abs=6e-4)
    assert hi == pytest.approx(upper, abs=6e-4)


@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.998])
@pytest.mark.parametrize("x", [10, 11, 57, 1234, 98765])
def test_rate_byars_at_and_above_ten(x, confidence):
    n = 54_321.0
    z = z_of(confidence)
    byar_lo = x * (1 - 1 / (9 * x) - z / (3 * math.sqrt(x))) ** 3
    byar_hi = (x + 1) * (1 - 1 / (9 * (x + 1)) + z / (3 * math.sqrt(x + 1))) ** 3
    lo, hi = rate_ci(x, n, confidence)
    assert lo == pytest.approx(byar_lo / n, rel=1e-10)
    assert hi == pytest.approx(byar_hi / n, rel=1e-10)


def test_rate_method_switch_and_vectorised():
    lo, hi = rate_ci(pd.Series([9, 10], index=["a", "b"]), 1000)
    assert isinstance(lo, pd.Series)
    assert lo["a"] == pytest.approx(chi2.ppf(0.025, 18) / 2 / 1000, rel=1e-10)
    z = z_of(0.95)
    assert lo["b"] == pytest.approx(10 * (1 - 1 / 90 - z / (3 * math.sqrt(10))) ** 3 / 1000)


def test_rate_limits_bracket_the_rate_and_allow_rates_above_one():
    lo, hi = rate_ci(30, 10)  # 3 events per person: a rate, not a proportion
    assert lo < 3.0 < hi
    lo, hi = rate_ci(0, 0.5)
    assert lo == 0.0 and hi == pytest.approx(chi2.ppf(0.975, 2) / 2 / 0.5)


def test_rate_types():
    lo, hi = rate_ci(12, 1000)
    assert type(lo) is float and type(hi) is float
    lo, _ = rate_ci([1, 12], [100, 100])
    assert isinstance(lo, np.ndarray)


@pytest.mark.parametrize(
    ("x", "n", "message"),
    [
        (-1, 10, ">= 0"),
        (3, 0, "> 0"),
        (3, -1, "> 0"),
        (float("nan"), 10, "finite"),
        (3, float("inf"), "finite"),
        ([1, 2], [10, None], "finite"),
    ],
)
def test_rate_invalid(x, n, message):
    with pytest.raises(ValueError, match=message):
        rate_ci(x, n)


# ======================================================================================
# sii
# ======================================================================================

# Independent worked example: deciles of one area (populations from the phe_sii help
# page, Area 2), with values made up for the test.
POP = np.array([21675, 20065, 19750, 24713, 20112, 19618, 22408, 19752, 18939, 19312], float)
VAL = np.array([70.5, 71.6, 72.5, 73.5, 73.1, 76.2, 78.7, 80.6, 80.9, 80.0])
LOW = np.array([70.1, 71.1, 72.0, 73.1, 72.7, 75.7, 78.2, 80.1, 80.4, 79.5])
UPP = np.array([71.0, 72.1, 73.2, 73.7, 75.8, 78.8, 79.8, 81.2, 81.3, 80.9])
SE = np.array([0.23, 0.26, 0.3, 0.16, 0.79, 0.78, 0.4, 0.28, 0.23, 0.35])

RATE = np.array([0.0123, 0.0118, 0.0101, 0.0097, 0.0090, 0.0081, 0.0077, 0.0069, 0.0064, 0.0060])
RATE_LO = RATE * 0.85
RATE_HI = RATE * 1.17
PROP = np.array([0.41, 0.45, 0.48, 0.52, 0.55, 0.58, 0.60, 0.64, 0.66, 0.70])
PROP_LO = PROP - 0.03
PROP_HI = PROP + 0.035


def design(pop):
    """Relative ranks and the sqrt(a)-scaled design, built here from the definition."""
    a = pop / pop.sum()
    ranks = []
    cum = 0.0
    for share in a:
        ranks.append(cum + share / 2)
        cum += share
    b = np.array(ranks)
    x = np.column_stack([np.sqrt(a), b * np.sqrt(a)])
    return a, b, x


def lstsq_fit(values, pop):
    a, _, x = design(pop)
    coef, *_ = np.linalg.lstsq(x, values * np.sqrt(a), rcond=None)
    return coef  # intercept (rank 0 = most deprived), slope


def slope_weights(pop):
    """Weights w with slope = w @ y (the slope is linear in the values)."""
    a, _, x = design(pop)
    return np.linalg.pinv(x)[1] * np.sqrt(a)


def test_sii_point_estimate_matches_lstsq_and_statsmodels():
    b0, b1 = lstsq_fit(VAL, POP)
    res = sii(VAL, POP)
    assert res["sii"] == pytest.approx(b1, rel=1e-10)
    assert res["intercept"] == pytest.approx(b0, rel=1e-10)
    assert res["rii"] == pytest.approx((b0 + b1) / b0, rel=1e-10)
    # same fit as WLS of value on rank with population weights
    _, b, _ = design(POP)
    wls = WLS(VAL, np.column_stack([np.ones_like(b), b]), weights=POP).fit()
    assert res["sii"] == pytest.approx(wls.params[1], rel=1e-9)
    assert res["intercept"] == pytest.approx(wls.params[0], rel=1e-9)
    # life expectancy rises away from deprivation: positive SII by the package's convention
    assert res["sii"] > 0
    assert res["sii_lower"] is None and res["rii_upper"] is None
    assert set(res) == {
        "sii",
        "rii",
        "intercept",
        "sii_lower",
        "sii_upper",
        "rii_lower",
        "rii_upper",
    }


def test_sii_relative_rank_is_midpoint_of_cumulative_share():
    # phe_sii help: a quantile with 12% of the population has rank 0.06, the next with
    # 10% has rank 0.12 + 0.10/2 = 0.17.  Values exactly linear in those ranks must give
    # back the line's slope and intercept.
    shares = np.array([12, 10, 8, 20, 15, 35], float)
    ranks = np.array([0.06, 0.17, 0.26, 0.40, 0.575, 0.825])
    values = 3.0 + 2.0 * ranks
    res = sii(values, shares * 1000)
    assert res["sii"] == pytest.approx(2.0, rel=1e-12)
    assert res["intercept"] == pytest.approx(3.0, rel=1e-12)
    assert res["rii"] == pytest.approx(5.0 / 3.0, rel=1e-12)


def test_sii_order_matters_and_sign_flips_when_reversed():
    forward = sii(VAL, POP)["sii"]
    backward = sii(VAL[::-1], POP[::-1])["sii"]
    assert forward > 0 > backward


def test_sii_multiplier():
    base = sii(VAL, POP, se=SE, seed=3, reps=20_000)
    scaled = sii(VAL, POP, se=SE, seed=3, reps=20_000, multiplier=-100)
    assert scaled["sii"] == pytest.approx(-100 * base["sii"])
    assert scaled["rii"] == pytest.approx(1 / base["rii"])
    assert scaled["intercept"] == pytest.approx(base["intercept"])  # unscaled, as phe_sii
    # phe_sii scales the draws, then sorts and picks the same positions, so the limits
    # swap and land on the neighbouring order statistic: equal to Monte Carlo precision
    assert scaled["sii_lower"] == pytest.approx(-100 * base["sii_upper"], rel=1e-3)
    assert scaled["sii_upper"] == pytest.approx(-100 * base["sii_lower"], rel=1e-3)
    assert scaled["rii_lower"] == pytest.approx(1 / base["rii_upper"], rel=1e-3)
    assert scaled["rii_upper"] == pytest.approx(1 / base["rii_lower"], rel=1e-3)
    assert scaled["sii_lower"] < scaled["sii"] < scaled["sii_upper"]
    assert scaled["rii_lower"] < scaled["rii"] < scaled["rii_upper"]


@pytest.mark.parametrize("confidence", [0.95, 0.99])
def test_sii_confidence_limits_match_analytic_normal(confidence):
    # For value_type "other" the slope is linear in the values, so its Monte Carlo
    # distribution is exactly Normal(sii, sd) with sd from the weights and SEs.
    res = sii(VAL, POP, se=SE, seed=11, reps=100_000, confidence=confidence)
    sd = math.sqrt(np.sum((slope_weights(POP) * SE) ** 2))
    z = z_of(confidence)
    # Monte Carlo error of a 0.5%-2.5% quantile with 1e5 draws is < 0.02 sd
    assert res["sii_lower"] == pytest.approx(res["sii"] - z * sd, abs=0.06 * sd)
    assert res["sii_upper"] == pytest.approx(res["sii"] + z * sd, abs=0.06 * sd)


def test_sii_limits_derived_from_95_percent_cls_whatever_confidence():
    z95 = NormalDist().inv_cdf(0.975)
    se_by_hand = (UPP - LOW) / (2 * z95)
    for conf in (0.95, 0.99):
        from_cls = sii(VAL, POP, lower=LOW, upper=UPP, seed=5, reps=5000, confidence=conf)
        from_se = sii(VAL, POP, se=se_by_hand, seed=5, reps=5000, confidence=conf)
        for key in from_cls:
            assert from_cls[key] == pytest.approx(from_se[key], rel=1e-9), key


def test_sii_rate_se_derived_on_log_scale():
    z95 = NormalDist().inv_cdf(0.975)
    se_log = (np.log(RATE_HI) - np.log(RATE_LO)) / (2 * z95)
    a = sii(RATE, POP, lower=RATE_LO, upper=RATE_HI, value_type="rate", seed=8, reps=5000)
    b = sii(RATE, POP, se=se_log, value_type="rate", seed=8, reps=5000)
    for key in a:
        assert a[key] == pytest.approx(b[key], rel=1e-9), key


def test_sii_proportion_se_derived_on_logit_scale():
    z95 = NormalDist().inv_cdf(0.975)

    def logit(p):
        return np.log(p / (1 - p))

    se_logit = (logit(PROP_HI) - logit(PROP_LO)) / (2 * z95)
    a = sii(PROP, POP, lower=PROP_LO, upper=PROP_HI, value_type="proportion", seed=8, reps=5000)
    b = sii(PROP, POP, se=se_logit, value_type="proportion", seed=8, reps=5000)
    for key in a:
        assert a[key] == pytest.approx(b[key], rel=1e-9), key


def _slow_reference_limits(values, pop, se, back, confidence, draws, seed):
    """Independent simulation: loop over draws, fit each with lstsq, take quantiles."""
    rng = np.random.default_rng(seed)
    a, _, x = design(pop)
    slopes, riis = [], []
    for _ in range(draws):
        y = back(rng.normal(values, se))
        (c0, c1), *_ = np.linalg.lstsq(x, y * np.sqrt(a), rcond=None)
        slopes.append(c1)
        riis.append((c0 + c1) / c0)
    q = [(1 - confidence) / 2, 1 - (1 - confidence) / 2]
    return np.quantile(slopes, q), np.quantile(riis, q)


def test_sii_rate_untransformed_limits_match_slow_reference():
    z95 = NormalDist().inv_cdf(0.975)
    mu = np.log(RATE)
    se_log = (np.log(RATE_HI) - np.log(RATE_LO)) / (2 * z95)
    ref_sii, ref_rii = _slow_reference_limits(mu, POP, se_log, np.exp, 0.95, 6000, seed=999)
    res = sii(RATE, POP, lower=RATE_LO, upper=RATE_HI, value_type="rate", seed=1, reps=100_000)
    b0, b1 = lstsq_fit(RATE, POP)
    assert res["sii"] == pytest.approx(b1, rel=1e-10)
    width = ref_sii[1] - ref_sii[0]
    assert res["sii_lower"] == pytest.approx(ref_sii[0], abs=0.08 * width)
    assert res["sii_upper"] == pytest.approx(ref_sii[1], abs=0.08 * width)
    rwidth = ref_rii[1] - ref_rii[0]
    assert res["rii_lower"] == pytest.approx(ref_rii[0], abs=0.08 * rwidth)
    assert res["rii_upper"] == pytest.approx(ref_rii[1], abs=0.08 * rwidth)
    assert res["sii_lower"] < res["sii"] < res["sii_upper"] < 0  # rate falls with affluence


def test_sii_rate_transformed_point_and_limits():
    z95 = NormalDist().inv_cdf(0.975)
    log_se = (np.log(RATE_HI) - np.log(RATE_LO)) / (2 * z95)
    b0, b1 = lstsq_fit(np.log(RATE), POP)
    res = sii(
        RATE,
        POP,
        lower=RATE_LO,
        upper=RATE_HI,
        value_type="rate",
        transform=True,
        seed=2,
        reps=100_000,
    )
    assert res["sii"] == pytest.approx(math.exp(b0 + b1) - math.exp(b0), rel=1e-10)
    assert res["rii"] == pytest.approx(math.exp(b1), rel=1e-10)
    assert res["intercept"] == pytest.approx(math.exp(b0), rel=1e-10)
    # on the log scale the slope is linear in the draws: Normal(b1, sd)
    sd = math.sqrt(np.sum((slope_weights(POP) * log_se) ** 2))
    s_lo, s_hi = b1 - z95 * sd, b1 + z95 * sd
    assert res["rii_lower"] == pytest.approx(math.exp(s_lo), rel=0.05 * sd)
    assert res["rii_upper"] == pytest.approx(math.exp(s_hi), rel=0.05 * sd)
    h = b0 + b1 / 2  # limits are re-centred on the fitted midpoint
    expected_lo = math.exp(h + s_lo / 2) - math.exp(h - s_lo / 2)
    expected_hi = math.exp(h + s_hi / 2) - math.exp(h - s_hi / 2)
    tol = 0.05 * abs(expected_hi - expected_lo)
    assert res["sii_lower"] == pytest.approx(expected_lo, abs=tol)
    assert res["sii_upper"] == pytest.approx(expected_hi, abs=tol)


def test_sii_rate_transformed_negative_multiplier_swaps_limits():
    kw = dict(lower=RATE_LO, upper=RATE_HI, value_type="rate", transform=True, seed=4, reps=5000)
    pos = sii(RATE, POP, multiplier=100_000, **kw)
    neg = sii(RATE, POP, multiplier=-100_000, **kw)
    assert neg["sii"] == pytest.approx(-pos["sii"])
    assert neg["sii_lower"] == pytest.approx(-pos["sii_upper"])
    assert neg["sii_upper"] == pytest.approx(-pos["sii_lower"])
    assert neg["rii"] == pytest.approx(1 / pos["rii"])
    assert neg["rii_lower"] == pytest.approx(1 / pos["rii_upper"])
    assert neg["rii_upper"] == pytest.approx(1 / pos["rii_lower"])
    assert pos["intercept"] == pytest.approx(neg["intercept"])  # scaled by |multiplier|
    assert pos["intercept"] == pytest.approx(math.exp(lstsq_fit(np.log(RATE), POP)[0]) * 1e5)
    assert neg["sii_lower"] < neg["sii"] < neg["sii_upper"]


def test_sii_proportion_transformed_point():
    def logit(p):
        return math.log(p / (1 - p))

    def expit(t):
        return 1 / (1 + math.exp(-t))

    b0, b1 = lstsq_fit(np.log(PROP / (1 - PROP)), POP)
    res = sii(
        PROP,
        POP,
        lower=PROP_LO,
        upper=PROP_HI,
        value_type="proportion",
        transform=True,
        seed=6,
        reps=20_000,
        multiplier=100,
    )
    assert res["sii"] == pytest.approx(100 * (expit(b0 + b1) - expit(b0)), rel=1e-10)
    assert res["rii"] == pytest.approx(expit(b0 + b1) / expit(b0), rel=1e-10)
    assert res["intercept"] == pytest.approx(100 * expit(b0), rel=1e-10)
    assert logit(expit(b0)) == pytest.approx(b0)
    assert res["sii_lower"] < res["sii"] < res["sii_upper"]
    assert res["rii_lower"] < res["rii"] < res["rii_upper"]


def test_sii_untransformed_proportion_uses_values_as_given():
    b0, b1 = lstsq_fit(PROP, POP)
    res = sii(PROP, POP, lower=PROP_LO, upper=PROP_HI, value_type="proportion", seed=1, reps=5000)
    assert res["sii"] == pytest.approx(b1, rel=1e-10)
    assert res["sii_lower"] < res["sii"] < res["sii_upper"]


def test_sii_reproducible_with_seed_and_wider_at_higher_confidence():
    a = sii(VAL, POP, se=SE, seed=42, reps=10_000)
    b = sii(VAL, POP, se=SE, seed=42, reps=10_000)
    c = sii(VAL, POP, se=SE, seed=43, reps=10_000)
    d = sii(VAL, POP, se=SE, seed=42, reps=10_000, confidence=0.998)
    assert a == b
    assert a["sii_lower"] != c["sii_lower"]
    assert d["sii_lower"] < a["sii_lower"] and d["sii_upper"] > a["sii_upper"]


def test_sii_accepts_pandas_and_quintiles_and_tiny_populations():
    res = sii(pd.Series(VAL[:5]), pd.Series(POP[:5]), se=pd.Series(SE[:5]), seed=1, reps=1000)
    assert all(v is not None and math.isfinite(v) for v in res.values())
    tiny = sii([1.0, 2.0, 2.5, 3.5, 5.0], [1, 1, 2, 1, 1], se=[0.5] * 5, seed=1, reps=1000)
    assert all(v is not None and math.isfinite(v) for v in tiny.values())


def test_sii_zero_se_gives_degenerate_limits():
    res = sii(VAL, POP, se=np.zeros(10), seed=1, reps=1000)
    assert res["sii_lower"] == pytest.approx(res["sii"])
    assert res["sii_upper"] == pytest.approx(res["sii"])


def test_sii_rii_undefined_when_fitted_value_at_rank_zero_is_zero():
    _, b, _ = design(POP)
    res = sii(5 * b, POP, se=np.full(10, 0.1), seed=1, reps=1000)
    assert res["intercept"] == pytest.approx(0, abs=1e-12)
    assert res["sii"] == pytest.approx(5)
    assert res["sii_lower"] is not None
    assert res["rii"] is None and res["rii_lower"] is None and res["rii_upper"] is None


@pytest.mark.parametrize("value_type", ["proportion", "rate"])
def test_sii_back_transformed_draws_in_single_precision_match_double(value_type):
    # the same draws, back-transformed and regressed in double precision here: the limits
    # of sii (exponentiated in float32) agree far inside the Monte Carlo error
    z95 = NormalDist().inv_cdf(0.975)
    if value_type == "proportion":
        values, lower, upper = PROP, PROP_LO, PROP_HI

        def fwd(p):
            return np.log(p / (1 - p))

        def back(t):
            return 1 / (1 + np.exp(-t))
    else:
        values, lower, upper, fwd, back = RATE, RATE_LO, RATE_HI, np.log, np.exp
    reps, seed = 20_000, 17
    res = sii(values, POP, lower=lower, upper=upper, value_type=value_type, reps=reps,
              seed=seed)
    se = (fwd(upper) - fwd(lower)) / (2 * z95)
    draws = back(np.random.default_rng(seed).normal(fwd(values), se, size=(reps, 10)))
    a, _, x = design(POP)
    weights = np.linalg.pinv(x) * np.sqrt(a)  # rows: intercept and slope weights
    b0, b1 = draws @ weights[0], draws @ weights[1]
    lo, hi = round(reps * 0.025) - 1, round(reps * 0.975) - 1
    for name, sim in (("sii", b1), ("rii", (b0 + b1) / b0)):
        ordered = np.sort(sim)
        width = ordered[hi] - ordered[lo]
        assert res[f"{name}_lower"] == pytest.approx(ordered[lo], abs=1e-4 * width)
        assert res[f"{name}_upper"] == pytest.approx(ordered[hi], abs=1e-4 * width)


def test_sii_benchmark_shape_is_fast():
    start = time.perf_counter()
    for month in range(24):
        sii(RATE, POP, lower=RATE_LO, upper=RATE_HI, value_type="rate", reps=10_000, seed=month)
    assert time.perf_counter() - start < 5.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(values=VAL[:4], populations=POP[:4]), "between 5 and 100"),
        (dict(values=np.ones(101), populations=np.ones(101)), "between 5 and 100"),
        (dict(values=VAL, populations=POP[:9]), "same length"),
        (dict(values=VAL, populations=np.r_[POP[:9], 0]), "population"),
        (dict(values=np.r_[VAL[:9], np.nan], populations=POP), "finite"),
        (dict(values=list(VAL[:9]) + [None], populations=POP), "finite"),
        (dict(values=VAL, populations=POP, se=-SE), "se must be >= 0"),
        (dict(values=VAL, populations=POP, se=SE[:9]), "one entry per quantile"),
        (dict(values=VAL, populations=POP, lower=LOW), "both lower and upper"),
        (dict(values=VAL, populations=POP, lower=UPP, upper=LOW), ">= its lower"),
        (dict(values=VAL, populations=POP, value_type="ratio"), "value_type"),
        (dict(values=VAL, populations=POP, transform=True), "transform"),
        (
            dict(values=RATE, populations=POP, se=SE, value_type="rate", transform=True),
            "se cannot",
        ),
        (dict(values=np.r_[RATE[:9], 0], populations=POP, value_type="rate"), "> 0"),
        (
            dict(values=np.r_[PROP[:9], 1.0], populations=POP, value_type="proportion"),
            "between 0 and 1",
        ),
        (
            dict(
                values=PROP,
                populations=POP,
                value_type="proportion",
                lower=np.r_[0.0, PROP_LO[1:]],
                upper=PROP_HI,
            ),
            "between 0 and 1",
        ),
        (dict(values=VAL, populations=POP, se=SE, reps=999), "reps"),
        (dict(values=VAL, populations=POP, se=SE, reps=2000.5), "reps"),
        (dict(values=VAL, populations=POP, confidence=1.0), "confidence"),
        (dict(values=VAL, populations=POP, multiplier=float("inf")), "multiplier"),
    ],
)
def test_sii_invalid(kwargs, message):
    with pytest.raises(ValueError, match=message):
        sii(**kwargs)


# --------------------------------------------------------------------------------------
# sii_batch: many areas at once, the same as sii row by row


def batch_rows(value_type, rows=6, seed=12):
    """(values, populations, lower, upper) for ``rows`` areas around the module's examples."""
    rng = np.random.default_rng(seed)
    pop = POP * rng.uniform(0.5, 1.5, (rows, 10))
    wiggle = rng.uniform(0.9, 1.1, (rows, 10))
    if value_type == "proportion":
        values = np.clip(PROP * wiggle, 0.05, 0.9)
        return values, pop, values - 0.03, values + 0.035
    if value_type == "rate":
        values = RATE * wiggle
        return values, pop, values * 0.85, values * 1.17
    values = VAL * wiggle
    return values, pop, values - 0.4, values + 0.5


@pytest.mark.parametrize(
    ("value_type", "transform", "multiplier"),
    [
        ("other", False, 1),
        ("other", False, -100),
        ("rate", False, 100_000),
        ("rate", True, -100_000),
        ("proportion", False, 100),
        ("proportion", True, 1),
    ],
)
def test_sii_batch_equals_sii_row_by_row(value_type, transform, multiplier):
    values, pop, lower, upper = batch_rows(value_type)
    kw = dict(value_type=value_type, transform=transform, multiplier=multiplier, reps=2000,
              seed=21)
    got = sii_batch(values, pop, lower=lower, upper=upper, **kw)
    assert set(got) == {"sii", "rii", "intercept", "sii_lower", "sii_upper", "rii_lower",
                        "rii_upper"}
    for i in range(len(values)):
        one = sii(values[i], pop[i], lower=lower[i], upper=upper[i], **kw)
        for key, value in one.items():
            # the same code and, with one seed, the same draws: identical, not just close
            assert got[key][i] == value, (i, key)


def test_sii_batch_with_se_and_undefined_rii():
    _, b, _ = design(POP)
    values = np.vstack([VAL, 5 * b, VAL[::-1]])  # the second: fitted value 0 at rank 0
    pop = np.vstack([POP, POP, POP[::-1]])
    se = np.vstack([SE, np.full(10, 0.1), SE[::-1]])
    got = sii_batch(values, pop, se=se, reps=3000, seed=4)
    for i in range(3):
        one = sii(values[i], pop[i], se=se[i], reps=3000, seed=4)
        for key, value in one.items():
            if value is None:
                assert math.isnan(got[key][i]), (i, key)
            else:
                assert got[key][i] == value, (i, key)
    assert math.isnan(got["rii"][1]) and math.isnan(got["rii_lower"][1])
    assert got["sii_lower"][1] < got["sii"][1] < got["sii_upper"][1]
    # point estimates only without se or limits
    bare = sii_batch(values, pop)
    assert np.array_equal(bare["sii"], got["sii"]) and np.isnan(bare["sii_lower"]).all()


def test_sii_batch_limits_match_analytic_normal_with_independent_draws():
    # value_type "other": the slope is linear in the values, so its Monte Carlo
    # distribution is exactly Normal(sii, sd); with seed=None each row draws afresh
    values = np.vstack([VAL, VAL + 1.0, VAL * 1.01])
    pop = np.vstack([POP, POP, POP])
    se = np.vstack([SE, SE, SE])
    got = sii_batch(values, pop, se=se, reps=100_000, seed=None)
    sd = math.sqrt(np.sum((slope_weights(POP) * SE) ** 2))
    z = z_of(0.95)
    for i in range(3):
        b1 = lstsq_fit(values[i], POP)[1]
        assert got["sii"][i] == pytest.approx(b1, rel=1e-10)
        assert got["sii_lower"][i] == pytest.approx(b1 - z * sd, abs=0.06 * sd)
        assert got["sii_upper"][i] == pytest.approx(b1 + z * sd, abs=0.06 * sd)
    # rows 0 and 1 differ by a constant: the same slope draws with one seed, not without
    assert got["sii_lower"][0] != got["sii_lower"][1]
    seeded = sii_batch(values, pop, se=se, reps=2000, seed=9)
    assert seeded["sii_lower"][0] == pytest.approx(seeded["sii_lower"][1], rel=1e-9)


def test_sii_batch_proportion_limits_match_slow_reference():
    values, pop, lower, upper = batch_rows("proportion", rows=2, seed=5)
    got = sii_batch(values, pop, lower=lower, upper=upper, value_type="proportion",
                    reps=50_000, seed=3)
    z95 = NormalDist().inv_cdf(0.975)
    for i in range(2):
        logit_se = (np.log(upper[i] / (1 - upper[i])) - np.log(lower[i] / (1 - lower[i]))) / (
            2 * z95)
        mu = np.log(values[i] / (1 - values[i]))
        ref_sii, ref_rii = _slow_reference_limits(mu, pop[i], logit_se,
                                                  lambda t: 1 / (1 + np.exp(-t)), 0.95, 4000,
                                                  seed=100 + i)
        width = ref_sii[1] - ref_sii[0]
        assert got["sii_lower"][i] == pytest.approx(ref_sii[0], abs=0.1 * width)
        assert got["sii_upper"][i] == pytest.approx(ref_sii[1], abs=0.1 * width)
        rwidth = ref_rii[1] - ref_rii[0]
        assert got["rii_lower"][i] == pytest.approx(ref_rii[0], abs=0.1 * rwidth)
        assert got["rii_upper"][i] == pytest.approx(ref_rii[1], abs=0.1 * rwidth)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(values=np.ones((2, 4)), populations=np.ones((2, 4))), "between 5 and 100"),
        (dict(values=np.ones((2, 10)), populations=np.ones((3, 10))), "same shape"),
        (dict(values=np.ones((2, 10)), populations=np.ones((2, 10)), se=np.ones((2, 9))),
         "shape of values"),
        (dict(values=np.ones((2, 10)), populations=np.zeros((2, 10))), "population"),
        (dict(values=np.ones((2, 10)), populations=np.ones((2, 10)), se=-np.ones((2, 10))),
         "se must be >= 0"),
        (dict(values=np.ones((2, 10)), populations=np.ones((2, 10)), value_type="proportion"),
         "between 0 and 1"),
        (dict(values=np.ones((2, 10)), populations=np.ones((2, 10)), reps=10), "reps"),
        (dict(values=np.ones((2, 2, 10)), populations=np.ones((2, 2, 10))), "2-D"),
    ],
)
def test_sii_batch_invalid(kwargs, message):
    with pytest.raises(ValueError, match=message):
        sii_batch(**kwargs)


# ======================================================================================
# funnel_limits
# ======================================================================================

# From PHEindicatormethods tests/testthat/testdata_funnel_prop_outputs.csv (percentages):
# Population, Lower2s0025limit, Upper2s0025limit, Lower3s0001limit, Upper3s0001limit,
# with Baseline 80.642448.
PHE_FUNNEL_ROWS = [
    (1, 3.204264, 100, 0, 100),
    (18, 62.390093, 98.894803, 51.864359, 100),
    (41, 68.548635, 92.73626, 61.574398, 99.710497),
    (1008, 78.203374, 83.081521, 76.796814, 84.488082),
    (110000, 80.408963, 80.875933, 80.274317, 81.010578),
]


def test_funnel_matches_phe_published_test_data():
    n = [row[0] for row in PHE_FUNNEL_ROWS]
    df = funnel_limits(n, 0.80642448)
    assert list(df.columns) == ["n", "lower_95", "upper_95", "lower_99_8", "upper_99_8"]
    expected = np.array([row[1:] for row in PHE_FUNNEL_ROWS]) / 100
    got = df[["lower_95", "upper_95", "lower_99_8", "upper_99_8"]].to_numpy()
    np.testing.assert_allclose(got, expected, rtol=0, atol=2e-8)
    np.testing.assert_array_equal(df["n"].to_numpy(), n)


@pytest.mark.parametrize("level", [0.95, 0.998])
@pytest.mark.parametrize("n", [25, 300, 5000])
def test_funnel_is_where_wilson_interval_touches_average(level, n):
    p0 = 0.23
    alpha = 1 - level

    def wilson_upper_minus_p0(prop):
        return proportion_confint(prop * n, n, alpha=alpha, method="wilson")[1] - p0

    def wilson_lower_minus_p0(prop):
        return proportion_confint(prop * n, n, alpha=alpha, method="wilson")[0] - p0

    # where even 0 observed events would not be significantly low, the limit is clipped to 0
    if wilson_upper_minus_p0(0.0) > 0:
        low = 0.0
    else:
        low = optimize.brentq(wilson_upper_minus_p0, 0.0, p0, xtol=1e-14)
    high = optimize.brentq(wilson_lower_minus_p0, p0, 1.0, xtol=1e-14)
    df = funnel_limits(n, p0, levels=(level,))
    label = "95" if level == 0.95 else "99_8"
    assert df[f"lower_{label}"].iloc[0] == pytest.approx(low, abs=1e-10)
    assert df[f"upper_{label}"].iloc[0] == pytest.approx(high, abs=1e-10)


def test_funnel_column_naming_and_clipping():
    df = funnel_limits(np.array([1, 4, 100]), 0.02, levels=(0.9, 0.99, 0.998))
    assert list(df.columns) == [
        "n",
        "lower_90",
        "upper_90",
        "lower_99",
        "upper_99",
        "lower_99_8",
        "upper_99_8",
    ]
    limits = df.drop(columns="n").to_numpy()
    assert np.all((limits >= 0) & (limits <= 1))
    assert df["lower_99_8"].iloc[0] == 0.0  # clipped at zero, as the package does
    # limits narrow as n grows
    assert np.all(np.diff(df["upper_99"].to_numpy()) < 0)


def test_funnel_degenerate_average():
    df = funnel_limits([10, 20], 0.0)
    assert np.all(df.drop(columns="n").to_numpy() == 0.0)
    df = funnel_limits(50, 1.0)
    assert len(df) == 1 and df["lower_95"].iloc[0] == 1.0


@pytest.mark.parametrize(
    ("n", "p0", "levels", "message"),
    [
        ([10, 0], 0.5, (0.95,), "> 0"),
        ([-5], 0.5, (0.95,), "> 0"),
        ([np.nan], 0.5, (0.95,), "finite"),
        ([10], 1.5, (0.95,), "between 0 and 1"),
        ([10], float("nan"), (0.95,), "finite"),
        ([10], 0.5, (95,), "confidence"),
        ([10], 0.5, (), "at least one"),
    ],
)
def test_funnel_invalid(n, p0, levels, message):
    with pytest.raises(ValueError, match=message):
        funnel_limits(n, p0, levels=levels)


# ======================================================================================
# disclosure control
# ======================================================================================


@pytest.mark.parametrize(
    ("count", "shown"),
    [
        (0, 0),
        (1, "*"),
        (2, "*"),
        (5, "*"),
        (7, "*"),
        (8, 10),
        (9, 10),
        (10, 10),
        (12, 10),
        (13, 15),
        (17, 15),
        (18, 20),
        (1234, 1235),
        (1232, 1230),
    ],
)
def test_suppress_count_scalar(count, shown):
    out = suppress_count(count)
    assert out == shown and type(out) is type(shown)


@pytest.mark.parametrize(
    ("count", "rounded"),
    [(0, 0), (1, 0), (2, 0), (3, 5), (7, 5), (8, 10), (22, 20), (23, 25), (1000, 1000)],
)
def test_round_to_5_scalar(count, rounded):
    out = round_to_5(count)
    assert out == rounded and type(out) is int


def test_disclosure_vectorised():
    arr = np.array([0, 3, 8, 12, 13, 250])
    assert suppress_count(arr).tolist() == [0, "*", 10, 10, 15, 250]
    assert round_to_5(arr).tolist() == [0, 5, 10, 10, 15, 250]
    s = pd.Series([7, 8, 0], index=["a", "b", "c"])
    out = suppress_count(s)
    assert isinstance(out, pd.Series) and out.to_dict() == {"a": "*", "b": 10, "c": 0}
    r = round_to_5(s)
    assert isinstance(r, pd.Series) and r.to_dict() == {"a": 5, "b": 10, "c": 0}


@pytest.mark.parametrize("bad", [-1, float("nan"), float("inf"), [3, -2]])
def test_disclosure_invalid(bad):
    with pytest.raises(ValueError):
        suppress_count(bad)
    with pytest.raises(ValueError):
        round_to_5(bad)
