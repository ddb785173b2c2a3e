"""inclusion.analysis: uptake by community, checked against values computed independently.

Independent references: apportionment worked by hand on tiny examples; Wilson limits from
statsmodels ``proportion_confint``; the SII from a separate weighted least-squares fit
(statsmodels ``WLS``) of the deciles' rates on their relative rank; trends from statsmodels
``WLS``; rate ratios and differences from statsmodels ``confint_proportions_2indep``
(``log`` and ``newcomb``); funnel limits from the normal-approximation formula written out.
No Django, no database.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from statsmodels.regression.linear_model import WLS
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from inclusion import analysis as A
from inclusion import stats

# ---------------------------------------------------------------------------------------
# a tiny ICS: two practices, three LSOAs


@pytest.fixture
def tiny():
    obs = pd.DataFrame({
        "practice": ["P1", "P2", "P1", "P2"],
        "service": "nhs-app",
        "period": ["2024-01", "2024-01", "2024-02", "2024-02"],
        "value": [50, 40, 60, 50],
    })
    population = pd.DataFrame({
        "practice": ["P1", "P2"], "population": [100, 200], "pcn": ["N1", "N1"],
        "place": ["North", "South"], "name": ["First Practice", "Second Practice"],
    })
    practice_lsoa = pd.DataFrame({
        "practice": ["P1", "P1", "P2", "P2"],
        "lsoa": ["L1", "L3", "L2", "L3"],
        "patients": [60, 40, 30, 70],
    })
    lsoa_imd = pd.DataFrame({"lsoa": ["L1", "L2", "L3"], "imd_decile": [1, 1, 10]})
    return obs, population, practice_lsoa, lsoa_imd


def row(frame, **where):
    mask = np.ones(len(frame), dtype=bool)
    for key, value in where.items():
        mask &= (frame[key] == value).to_numpy()
    found = frame.loc[mask]
    assert len(found) == 1, f"{len(found)} rows for {where}"
    return found.iloc[0]


# ---------------------------------------------------------------------------------------
# uptake_rates


def test_uptake_rates_every_level(tiny):
    obs, population, *_ = tiny
    rates = A.uptake_rates(obs, population)
    assert set(rates["breakdown"]) == {"practice", "pcn", "place", "ics"}
    p1 = row(rates, breakdown="practice", group="P1", period="2024-01")
    assert (p1["numerator"], p1["denominator"], p1["rate"]) == (50, 100, 0.5)
    assert p1["name"] == "First Practice"
    lo, up = proportion_confint(50, 100, alpha=0.05, method="wilson")
    assert (p1["lower"], p1["upper"]) == pytest.approx((lo, up), rel=1e-12)
    ics = row(rates, breakdown="ics", group="ICS", period="2024-02")
    assert (ics["numerator"], ics["denominator"], ics["practices"]) == (110, 300, 2)
    assert ics["rate"] == pytest.approx(110 / 300)
    assert row(rates, breakdown="pcn", group="N1", period="2024-01")["numerator"] == 90
    assert row(rates, breakdown="place", group="South", period="2024-01")["denominator"] == 200
    assert not rates["capped"].any()


def test_uptake_rates_missing_month_is_missing_not_zero(tiny):
    obs, population, *_ = tiny
    obs = obs.iloc[:3]  # P2 has no February figure
    ics = A.uptake_rates(obs, population, levels=("ics",))
    feb = row(ics, period="2024-02")
    assert (feb["numerator"], feb["denominator"], feb["practices"]) == (60, 100, 1)


def test_uptake_rates_unmatched_and_capped(tiny):
    obs, population, *_ = tiny
    obs = pd.concat([obs, pd.DataFrame({"practice": ["P9"], "service": "nhs-app",
                                        "period": ["2024-01"], "value": [5]})])
    obs.loc[obs["practice"].eq("P1") & obs["period"].eq("2024-02"), "value"] = 130
    rates = A.uptake_rates(obs, population, levels=("practice", "ics"))
    assert rates.attrs["unmatched_practices"] == ["P9"]
    capped = row(rates, breakdown="practice", group="P1", period="2024-02")
    assert capped["capped"] and capped["rate"] == 1.3 and capped["upper"] == 1.0


def test_uptake_rates_with_monthly_population(tiny):
    obs, _, *_ = tiny
    population = pd.DataFrame({
        "practice": ["P1", "P2", "P1", "P2"], "period": ["2024-01", "2024-01", "2024-02", "2024-02"],
        "population": [100, 200, 110, 190],
    })
    ics = A.uptake_rates(obs, population, levels=("ics",))
    assert row(ics, period="2024-02")["denominator"] == 300
    assert row(ics, period="2024-01")["denominator"] == 300
    p = A.uptake_rates(obs, population, levels=("practice",))
    assert row(p, group="P1", period="2024-02")["denominator"] == 110


def test_uptake_rates_zero_counts_and_tiny_populations():
    obs = pd.DataFrame({"practice": ["A", "B", "C"], "period": "2024-01", "value": [0, 1, 0]})
    population = pd.DataFrame({"practice": ["A", "B", "C"], "population": [1, 2, 0]})
    rates = A.uptake_rates(obs, population, levels=("practice", "ics"))
    a = row(rates, breakdown="practice", group="A")
    assert (a["rate"], a["lower"]) == (0.0, 0.0)
    assert a["upper"] == pytest.approx(proportion_confint(0, 1, method="wilson")[1])
    assert "C" not in set(rates["group"])  # no one to divide by
    assert row(rates, breakdown="ics")["denominator"] == 3


def test_uptake_rates_rejects_bad_input(tiny):
    obs, population, *_ = tiny
    with pytest.raises(ValueError, match="obs value must be >= 0"):
        A.uptake_rates(obs.assign(value=-1), population)
    with pytest.raises(ValueError, match="needs the column"):
        A.uptake_rates(obs.drop(columns="value"), population)
    with pytest.raises(ValueError, match="levels are"):
        A.uptake_rates(obs, population, levels=("county",))


# ---------------------------------------------------------------------------------------
# by_deprivation


def test_by_deprivation_hand_computed(tiny):
    obs, population, practice_lsoa, lsoa_imd = tiny
    result = A.by_deprivation(obs, practice_lsoa, lsoa_imd, population=population)
    jan = result[result["period"] == "2024-01"]
    # P1: 60% of patients in decile 1, 40% in decile 10; P2: 30% and 70%.
    # decile 1: 50*.6 + 40*.3 = 42 of 100*.6 + 200*.3 = 120
    # decile 10: 50*.4 + 40*.7 = 48 of 100*.4 + 200*.7 = 180
    d1 = row(jan, breakdown="imd_decile", group=1)
    d10 = row(jan, breakdown="imd_decile", group=10)
    assert (d1["numerator"], d1["denominator"]) == pytest.approx((42, 120))
    assert (d10["numerator"], d10["denominator"]) == pytest.approx((48, 180))
    assert (d1["lower"], d1["upper"]) == pytest.approx(
        proportion_confint(42, 120, method="wilson"), rel=1e-12)
    assert set(jan.loc[jan["breakdown"] == "imd_decile", "group"]) == {1, 10}
    q1 = row(jan, breakdown="imd_quintile", group=1)
    q5 = row(jan, breakdown="imd_quintile", group=5)
    assert (q1["numerator"], q5["denominator"]) == pytest.approx((42, 180))
    assert (d1["method"], d1["lsoa_share"], d1["practices"]) == ("lsoa", 1.0, 2)
    assert result.attrs["method"] == "lsoa"
    # the shares add up to the ICS
    assert jan.loc[jan["breakdown"] == "imd_decile", "numerator"].sum() == pytest.approx(90)


def test_by_deprivation_without_population_uses_lsoa_patients(tiny):
    obs, _, practice_lsoa, lsoa_imd = tiny
    result = A.by_deprivation(obs, practice_lsoa, lsoa_imd)
    d1 = row(result, breakdown="imd_decile", group=1, period="2024-01")
    # the LSOA file's patients: P1 100 (60 in decile 1), P2 100 (30 in decile 1)
    assert (d1["numerator"], d1["denominator"]) == pytest.approx((42, 90))


def test_by_deprivation_unattributed_patients_are_left_out_of_the_shares(tiny):
    obs, population, practice_lsoa, lsoa_imd = tiny
    welsh = pd.concat([practice_lsoa, pd.DataFrame(
        {"practice": ["P1"], "lsoa": ["W01000001"], "patients": [100]})])
    result = A.by_deprivation(obs, welsh, lsoa_imd, population=population)
    d1 = row(result, breakdown="imd_decile", group=1, period="2024-01")
    assert d1["numerator"] == pytest.approx(42)
    assert result.attrs["unattributed_share"]["P1"] == pytest.approx(0.5)


def test_practice_deciles_population_weighted():
    scores = pd.DataFrame({"practice": ["A", "B", "C", "D"], "imd_score": [40, 30, 20, 10],
                           "population": [10, 20, 30, 40]})
    # most deprived first; midpoints of cumulative shares .05, .20, .45, .80
    assert A.practice_deciles(scores).to_dict() == {"A": 1, "B": 3, "C": 5, "D": 9}
    assert A.practice_deciles(scores, 5).to_dict() == {"A": 1, "B": 2, "C": 3, "D": 5}
    equal = A.practice_deciles(scores.drop(columns="population"), 4)
    assert equal.to_dict() == {"A": 1, "B": 2, "C": 3, "D": 4}


def test_by_deprivation_falls_back_to_the_practice_score_and_says_so(tiny):
    obs, population, practice_lsoa, lsoa_imd = tiny
    obs = pd.concat([obs, pd.DataFrame({"practice": ["P3", "P4"], "service": "nhs-app",
                                        "period": "2024-01", "value": [10, 20]})])
    population = pd.concat([population, pd.DataFrame(
        {"practice": ["P3", "P4"], "population": [100, 100]})])
    scores = pd.DataFrame({"practice": ["P3", "P4", "X1", "X2"], "imd_score": [50, 5, 30, 20],
                           "imd_decile": [1, 9, 4, 6]})
    result = A.by_deprivation(obs, practice_lsoa, lsoa_imd, scores, population=population)
    jan = result[result["period"] == "2024-01"]
    d1 = row(jan, breakdown="imd_decile", group=1)
    assert (d1["numerator"], d1["denominator"]) == pytest.approx((52, 220))
    assert d1["method"] == "mixed" and d1["lsoa_share"] == pytest.approx(120 / 220)
    d9 = row(jan, breakdown="imd_decile", group=9)
    assert (d9["numerator"], d9["method"], d9["lsoa_share"]) == (20, "practice_score", 0.0)
    assert row(jan, breakdown="imd_decile", group=10)["method"] == "lsoa"
    assert result.attrs["practice_method"].to_dict() == {
        "P1": "lsoa", "P2": "lsoa", "P3": "practice_score", "P4": "practice_score"}
    assert result.attrs["method"] == "mixed"
    # February has no P3/P4 figures: pure LSOA
    assert set(result.loc[result["period"] == "2024-02", "method"]) == {"lsoa"}


def test_by_deprivation_practice_score_only(tiny):
    obs, population, *_ = tiny
    scores = pd.DataFrame({"practice": ["P1", "P2"], "imd_score": [30.0, 10.0]})
    result = A.by_deprivation(obs, None, None, scores, population=population)
    # weights from population: P1 (100 of 300) midpoint 1/6 -> decile 2; P2 midpoint 2/3 -> 7
    deciles = result[(result["breakdown"] == "imd_decile") & (result["period"] == "2024-01")]
    assert dict(zip(deciles["group"], deciles["numerator"], strict=True)) == {2: 50, 7: 40}
    assert set(result["method"]) == {"practice_score"}


def test_by_deprivation_refuses_mismatched_geography(tiny):
    obs, population, practice_lsoa, lsoa_imd = tiny
    lsoa_2021 = practice_lsoa.assign(
        lsoa=["E01035001", "E01035002", "E01000003", "E01000004"],
        geography_version="2021",
    )
    imd = pd.DataFrame({"lsoa": ["E01000003", "E01000004"], "imd_decile": [2, 3],
                        "geography_version": "2011"})
    with pytest.raises(A.LSOAGeographyError) as info:
        A.by_deprivation(obs, lsoa_2021, imd, population=population)
    message = str(info.value)
    assert "2 of the 4 English LSOA codes" in message
    assert "LSOA 2021" in message and "lsoa_lookup" in message


def test_translate_lsoa_shares_merged_codes_equally():
    frame = pd.DataFrame({"practice": ["P1", "P1"], "lsoa": ["N21", "S21a"], "patients": [90, 10]})
    lookup = pd.DataFrame({"lsoa11": ["M11a", "M11b", "M11c", "S11"],
                           "lsoa21": ["N21", "N21", "N21", "S21a"]})
    out = A.translate_lsoa(frame, lookup, to="2011")
    assert dict(zip(out["lsoa"], out["patients"], strict=True)) == {
        "M11a": 30.0, "M11b": 30.0, "M11c": 30.0, "S11": 10.0}


# ---------------------------------------------------------------------------------------
# age


def test_eligible_population_trims_the_straddling_band():
    ages = pd.DataFrame({"practice": ["P1"] * 4 + ["P2"] * 3,
                         "age_band": ["0-4", "5-9", "10-14", "15+", "12", "13", "14"],
                         "patients": [50, 50, 50, 400, 7, 8, 9]})
    eligible = A.eligible_population(ages, 13).set_index("practice")["population"]
    assert eligible["P1"] == pytest.approx(400 + 50 * 2 / 5)
    assert eligible["P2"] == pytest.approx(17)
    adults = A.eligible_population(ages, 13, 64).set_index("practice")["population"]
    assert adults["P1"] == pytest.approx(420)  # an open band counts wholly where it starts
    older = A.eligible_population(ages, 16).set_index("practice")["population"]
    assert older["P1"] == 0  # ... and not at all when it starts below the range


def test_by_age_band_ecological_hand_computed(tiny):
    obs, *_ = tiny
    ages = pd.DataFrame({
        "practice": ["P1", "P1", "P2", "P2"], "age_band": ["13-64", "65+", "13-64", "65+"],
        "patients": [80, 20, 100, 100],
    })
    result = A.by_age_band(obs, ages)
    jan = result[result["period"] == "2024-01"]
    young = row(jan, group="13-64")
    old = row(jan, group="65+")
    # P1's 50 shared 80:20 -> 40 / 10; P2's 40 shared 100:100 -> 20 / 20
    assert (young["numerator"], young["denominator"]) == pytest.approx((60, 180))
    assert (old["numerator"], old["denominator"]) == pytest.approx((30, 120))
    assert set(result["method"]) == {"ecological"}


def test_by_age_band_regroups_and_trims():
    obs = pd.DataFrame({"practice": ["P1"], "period": "2024-01", "value": [30]})
    ages = pd.DataFrame({"practice": "P1", "age_band": ["10-14", "15-19", "20-24", "25+"],
                         "patients": [50, 50, 50, 50]})
    result = A.by_age_band(obs, ages, bands=[13, 20], min_age=13)
    # eligible 13-19: 20 (2/5 of 10-14) + 50; 20+: 100 -> shares 70/170 and 100/170
    assert row(result, group="13-19")["denominator"] == pytest.approx(70)
    assert row(result, group="20+")["numerator"] == pytest.approx(30 * 100 / 170)


def test_by_age_band_observed(tiny):
    _, _, *_ = tiny
    obs = pd.DataFrame({"practice": ["P1", "P1", "P2"], "period": "2024-01",
                        "age_band": ["13-64", "65+", "13-64"], "value": [45, 5, 40]})
    ages = pd.DataFrame({"practice": ["P1", "P1", "P2", "P2"],
                         "age_band": ["13-64", "65+", "13-64", "65+"],
                         "patients": [80, 20, 100, 100]})
    result = A.by_age_band(obs, ages)
    young = row(result, group="13-64")
    old = row(result, group="65+")
    assert (young["numerator"], young["denominator"], young["method"]) == (85, 180, "observed")
    assert (old["numerator"], old["denominator"]) == (5, 20)  # only P1 reported 65+


# ---------------------------------------------------------------------------------------
# by_breakdown


def test_by_breakdown_hand_computed(tiny):
    obs, population, practice_lsoa, _ = tiny
    breakdown = pd.DataFrame({"lsoa": ["L1", "L1", "L2", "L3", "L3"],
                              "category": ["A", "B", "A", "A", "B"],
                              "count": [90, 10, 100, 50, 50], "dataset": "ethnicity"})
    result = A.by_breakdown(obs, practice_lsoa, breakdown, population=population)
    jan = result[result["period"] == "2024-01"]
    # P1: A = (60*.9 + 40*.5)/100 = .74; P2: A = (30*1 + 70*.5)/100 = .65
    a = row(jan, group="A")
    b = row(jan, group="B")
    assert a["numerator"] == pytest.approx(50 * .74 + 40 * .65)
    assert a["denominator"] == pytest.approx(100 * .74 + 200 * .65)
    assert b["numerator"] == pytest.approx(50 * .26 + 40 * .35)
    assert (a["breakdown"], a["method"]) == ("ethnicity", "ecological")


# ---------------------------------------------------------------------------------------
# gaps: SII


def decile_frame(rates, populations, periods=("2024-01",)):
    rows = []
    for period in periods:
        for decile, (p, n) in enumerate(zip(rates, populations, strict=True), start=1):
            rows.append({"breakdown": "imd_decile", "group": decile, "period": period,
                         "numerator": p * n, "denominator": n})
    return pd.DataFrame(rows)


def test_sii_matches_an_independent_weighted_least_squares_fit():
    rates = np.array([0.20, 0.24, 0.27, 0.31, 0.33, 0.36, 0.40, 0.41, 0.45, 0.47])
    pops = np.array([900, 1100, 1000, 1200, 800, 1000, 950, 1050, 1000, 1000], dtype=float)
    result = A.sii_by_period(decile_frame(rates, pops), reps=10_000, seed=1)
    # independent: WLS of rate on the midpoint of the cumulative population share
    share = pops / pops.sum()
    rank = np.cumsum(share) - share / 2
    fit = WLS(rates, np.column_stack([np.ones(10), rank]), weights=share).fit()
    got = result.iloc[0]
    assert got["sii"] == pytest.approx(fit.params[1], rel=1e-10)
    assert got["intercept"] == pytest.approx(fit.params[0], rel=1e-10)
    assert got["rii"] == pytest.approx((fit.params[0] + fit.params[1]) / fit.params[0], rel=1e-10)
    assert got["sii_lower"] < got["sii"] < got["sii_upper"]
    assert (got["value_type"], got["deciles_used"]) == ("proportion", 10)
    # the Monte Carlo limits agree with the analytic ones of a linear estimator: the SII is
    # a fixed combination of the decile values, each with se from its Wilson limits
    lo, up = stats.wilson_ci(rates * pops, pops)
    logit_se = (np.log(up / (1 - up)) - np.log(lo / (1 - lo))) / (2 * 1.959964)
    se_rate = logit_se * rates * (1 - rates)  # delta method back to the rate scale
    X = np.column_stack([np.ones(10), rank])
    coef = np.linalg.solve(X.T @ (share[:, None] * X), (share[:, None] * X).T)[1]
    se_sii = math.sqrt(np.sum((coef * se_rate) ** 2))
    assert got["sii_upper"] - got["sii_lower"] == pytest.approx(2 * 1.959964 * se_sii, rel=0.05)


def test_sii_edge_cases():
    pops = np.full(10, 1000.0)
    rates = np.linspace(0.1, 0.5, 10)
    frame = decile_frame(rates, pops)
    missing = frame[frame["group"] != 4]
    result = A.sii_by_period(missing, reps=1000)
    assert result.iloc[0]["deciles_used"] == 9 and result.iloc[0]["sii"] is not None
    too_few = frame[frame["group"] <= 4]
    assert pd.isna(A.sii_by_period(too_few, reps=1000).iloc[0]["sii"])
    zero = frame.copy()
    zero.loc[zero["group"] == 1, "numerator"] = 0
    result = A.sii_by_period(zero, reps=1000).iloc[0]
    assert result["value_type"] == "other" and np.isfinite(result["sii"])
    # reproducible with a seed
    a = A.sii_by_period(frame, reps=2000, seed=7).iloc[0]
    b = A.sii_by_period(frame, reps=2000, seed=7).iloc[0]
    assert a["sii_lower"] == b["sii_lower"]


def test_sii_by_period_equals_stats_sii_month_by_month():
    # several months and services at once, computed together (stats.sii_batch, threads),
    # against stats.sii called month by month on limits computed here
    rng = np.random.default_rng(8)
    pops = rng.uniform(800, 1500, 10)
    rows = []
    for service in ("nhs-app", "111-online"):
        for m, period in enumerate(["2024-01", "2024-02", "2024-03", "2024-04"]):
            rates = np.sort(rng.uniform(0.15, 0.5, 10))
            if (service, m) == ("nhs-app", 1):
                rates[0] = 0.0  # a logit cannot be taken: value_type "other"
            for decile in range(1, 11):
                if (service, m) == ("nhs-app", 2) and decile == 3:
                    continue  # 9 deciles
                if (service, m) == ("111-online", 3) and decile > 4:
                    continue  # 4 deciles: no SII
                n = pops[decile - 1]
                rows.append({"breakdown": "imd_decile", "group": decile, "service": service,
                             "period": period, "numerator": round(rates[decile - 1] * n),
                             "denominator": n})
    frame = pd.DataFrame(rows).sample(frac=1, random_state=1)  # any row order
    got = A.sii_by_period(frame, reps=3000, seed=5, workers=1)
    threaded = A.sii_by_period(frame, reps=3000, seed=5, workers=3)
    pd.testing.assert_frame_equal(got, threaded)
    z95 = 1.959963984540054
    names = ["sii", "rii", "intercept", "sii_lower", "sii_upper", "rii_lower", "rii_upper"]
    for _, result in got.iterrows():
        month = frame[(frame["service"] == result["service"])
                      & (frame["period"] == result["period"])].sort_values("group")
        x = month["numerator"].to_numpy(float)
        n = month["denominator"].to_numpy(float)
        assert result["deciles_used"] == len(n)
        if len(n) < 5:
            assert pd.isna(result["value_type"]) and np.isnan(result[names].to_numpy(float)).all()
            continue
        lo, up = stats.wilson_ci(x, n)
        if np.all((x > 0) & (x < n)):
            want = stats.sii(x / n, n, lower=lo, upper=up, value_type="proportion", reps=3000,
                             seed=5)
            assert result["value_type"] == "proportion"
        else:
            want = stats.sii(x / n, n, se=(up - lo) / (2 * z95), reps=3000, seed=5)
            assert result["value_type"] == "other"
        for name in names:
            assert result[name] == pytest.approx(want[name], rel=1e-12, abs=1e-15), name
    assert set(got["value_type"].dropna()) == {"proportion", "other"}


def test_fast_paths_agree_with_the_plain_computations():
    rng = np.random.default_rng(4)
    # factorizing values that come in runs (rows grouped by practice)
    values = np.repeat(np.array(["b", "a", None, "c", "a", np.nan], dtype=object),
                       rng.integers(1, 9000, 6))
    codes, uniques = A._factorize_runs(values)
    want_codes, want_uniques = pd.factorize(values)
    assert np.array_equal(codes, want_codes) and list(uniques) == list(want_uniques)
    # a stable argsort of floats with ties and NaNs
    key = rng.integers(0, 30, 5000).astype(float)
    key[rng.random(5000) < 0.05] = np.nan
    assert np.array_equal(A._argsort_stable(key), np.argsort(key, kind="stable"))
    # one group per practice: bincount gives exactly the sparse products
    obs = pd.DataFrame({"practice": rng.choice([f"P{i}" for i in range(30)], 400),
                        "period": rng.choice(["2024-01", "2024-02", "2024-03"], 400),
                        "value": rng.integers(0, 50, 400)})
    population = pd.DataFrame({"practice": [f"P{i}" for i in range(30)],
                               "population": rng.integers(100, 1000, 30)})
    panel = A.Panel(obs, population)
    membership = rng.integers(-1, 4, len(panel.practices))
    rows = np.flatnonzero(membership >= 0)
    from scipy import sparse
    W = sparse.csr_matrix((np.ones(len(rows)), (rows, membership[rows])),
                          shape=(len(panel.practices), 4))
    for fast, plain in zip(panel.by_membership(membership, 4), panel.apply(W), strict=True):
        assert np.array_equal(fast, plain)
    assert np.array_equal(panel.count_practices(W > 0), (panel.M @ W).toarray())
    # the latest month from the categories of a categorical column
    rates = A.uptake_rates(panel, population, levels=("practice", "ics"))
    assert A.latest_period(rates) == "2024-03"
    assert A.latest_period(rates.astype({"period": object})) == "2024-03"


def test_trend_matches_statsmodels_wls():
    months = pd.period_range("2023-01", periods=12, freq="M").astype(str)
    rng = np.random.default_rng(3)
    sii = 0.20 - 0.004 * np.arange(12) + rng.normal(0, 0.003, 12)
    se = rng.uniform(0.005, 0.01, 12)
    frame = pd.DataFrame({"service": "nhs-app", "period": months, "sii": sii,
                          "sii_lower": sii - 1.959964 * se, "sii_upper": sii + 1.959964 * se})
    got = A.trend(frame, "sii", lower="sii_lower", upper="sii_upper", by=["service"]).iloc[0]
    fit = WLS(sii, np.column_stack([np.ones(12), np.arange(12)]), weights=1 / se**2).fit()
    assert got["slope"] == pytest.approx(fit.params[1], rel=1e-9)
    lo, up = fit.conf_int(0.05)[1]
    assert (got["slope_lower"], got["slope_upper"]) == pytest.approx((lo, up), rel=1e-7)
    assert got["p_value"] == pytest.approx(fit.pvalues[1], rel=1e-6)
    assert got["slope_per_year"] == pytest.approx(12 * fit.params[1])
    assert got["months"] == 12
    short = A.trend(frame.iloc[:2], "sii", lower="sii_lower", upper="sii_upper", by=["service"])
    assert pd.isna(short.iloc[0]["slope"])


# ---------------------------------------------------------------------------------------
# gaps: comparisons, funnel


def test_compare_communities_against_ics_and_best_fifth():
    rates = pd.DataFrame({
        "breakdown": ["ics", "pcn", "pcn", "pcn", "pcn", "pcn"],
        "group": ["ICS", "A", "B", "C", "D", "E"],
        "period": "2024-01",
        "numerator": [900, 300, 200, 150, 150, 100],
        "denominator": [2500, 500, 500, 500, 500, 500],
    })
    rates = A._with_rates(rates, 0.95)
    out = A.compare_communities(rates, rates)
    e = row(out, group="E")
    p0 = 900 / 2500
    assert e["ratio_ics"] == pytest.approx(0.2 / p0)
    assert e["difference_ics_lower"] == pytest.approx(e["lower"] - p0)
    assert e["vs_ics"] == "lower"
    # best fifth: A alone holds 500 of 2,500 = 20%
    assert e["best_rate"] == pytest.approx(0.6) and e["best_groups"] == 1
    assert row(out, group="A")["in_best"] and not e["in_best"]
    lo, up = confint_proportions_2indep(100, 500, 300, 500, method="log", compare="ratio")
    assert (e["ratio_best_lower"], e["ratio_best_upper"]) == pytest.approx((lo, up), rel=1e-6)
    lo, up = confint_proportions_2indep(100, 500, 300, 500, method="newcomb", compare="diff")
    assert (e["difference_best_lower"], e["difference_best_upper"]) == pytest.approx(
        (lo, up), rel=1e-6)
    assert e["vs_best"] == "lower"


def test_best_fifth_pools_until_a_fifth_of_the_population():
    rates = pd.DataFrame({
        "breakdown": ["ics"] + ["imd_decile"] * 10, "group": ["ICS"] + list(range(1, 11)),
        "numerator": [0] + [10 * d for d in range(1, 11)], "denominator": [1000] + [100] * 10,
    })
    rates["numerator"] = rates["numerator"].astype(float)
    rates.loc[0, "numerator"] = rates["numerator"].sum()
    rates = A._with_rates(rates, 0.95)
    out = A.compare_communities(rates, rates)
    assert sorted(out.loc[out["in_best"], "group"]) == [9, 10]
    assert row(out, group=1)["best_rate"] == pytest.approx((90 + 100) / 200)


def test_funnel_names_the_low_outliers():
    n = np.array([1000, 1000, 1000, 1000, 1000, 200, 5000])
    x = np.array([400, 410, 390, 420, 380, 40, 1850])
    rates = pd.DataFrame({"breakdown": "practice", "group": [f"P{i}" for i in range(7)],
                          "name": [f"Practice {i}" for i in range(7)], "period": "2024-01",
                          "numerator": x, "denominator": n})
    ics = pd.DataFrame({"breakdown": ["ics"], "group": ["ICS"], "period": ["2024-01"],
                        "numerator": [x.sum()], "denominator": [n.sum()]})
    rates = A._with_rates(pd.concat([rates, ics], ignore_index=True), 0.95)
    fun = A.funnel(rates)
    p0 = x.sum() / n.sum()
    for _, r in fun.iterrows():
        sd = math.sqrt(p0 * (1 - p0) / r["denominator"])
        assert r["lower_99_8"] == pytest.approx(p0 - 3.090232 * sd, rel=1e-6)
        assert r["upper_95"] == pytest.approx(p0 + 1.959964 * sd, rel=1e-6)
    outliers = fun[fun["outlier"] == "low_99_8"]
    assert list(outliers["name"]) == ["Practice 5"]  # 20% of 200 against ~37%
    assert row(fun, group="P6")["outlier"] == "within"
    assert row(fun, group="P3")["outlier"] == "high_95"
    lowest = A.lowest_relative(fun, top_n=2)
    assert list(lowest["group"])[0] == fun.sort_values("z").iloc[0]["group"]
    assert len(lowest) == 2
    p5 = row(fun, group="P5")
    assert p5["expected"] == pytest.approx(p0 * 200)
    assert p5["oe_ratio"] == pytest.approx(40 / (p0 * 200))


def test_gaps_end_to_end(tiny):
    rng = np.random.default_rng(11)
    practices = [f"P{i:02d}" for i in range(40)]
    lsoas = [f"E01{i:06d}" for i in range(1, 201)]
    lsoa_imd = pd.DataFrame({"lsoa": lsoas, "imd_decile": np.repeat(np.arange(1, 11), 20)})
    pl_rows = []
    for i, p in enumerate(practices):
        for lsoa in rng.choice(lsoas[(i * 5) % 150:(i * 5) % 150 + 50], 10, replace=False):
            pl_rows.append((p, lsoa, int(rng.integers(50, 500))))
    practice_lsoa = pd.DataFrame(pl_rows, columns=["practice", "lsoa", "patients"])
    population = practice_lsoa.groupby("practice", as_index=False)["patients"].sum().rename(
        columns={"patients": "population"})
    population["pcn"] = [f"N{i // 8}" for i in range(40)]
    population["place"] = [f"Place {i // 20}" for i in range(40)]
    population["name"] = [f"Practice {p}" for p in practices]
    periods = pd.period_range("2023-01", periods=6, freq="M").astype(str)
    obs_rows = []
    for p, pop in zip(population["practice"], population["population"], strict=True):
        base = 0.3 + 0.1 * rng.random()
        for m, period in enumerate(periods):
            obs_rows.append((p, "nhs-app", period, int(pop * (base + 0.01 * m))))
    obs_rows[5] = ("P00", "nhs-app", periods[5], 1)  # far below expectation in the last month
    obs = pd.DataFrame(obs_rows, columns=["practice", "service", "period", "value"])
    rates = A.uptake_rates(obs, population)
    deciles = A.by_deprivation(obs, practice_lsoa, lsoa_imd, population=population)
    result = A.gaps(rates, deciles, reps=1000, seed=2)
    assert set(result) == {"compare", "sii", "sii_trend", "rate_trend", "funnel", "outliers",
                           "lowest"}
    assert len(result["sii"]) == 6 and result["sii"]["sii"].notna().all()
    assert result["sii_trend"].iloc[0]["months"] == 6
    assert "Practice P00" in set(result["outliers"]["name"])
    assert result["lowest"].iloc[0]["group"] == "P00"
    assert set(result["funnel"]["period"]) == {periods[-1]}  # a funnel is a cross-section
    every_month = A.gaps(rates, deciles, reps=1000, seed=2, funnel_period=None)
    assert set(every_month["funnel"]["period"]) == set(periods)
    assert len(every_month["lowest"]) == 6 * 10
    assert {"pcn", "place", "imd_decile", "imd_quintile"} == set(
        result["compare"]["breakdown"])
    ics_trend = result["rate_trend"]
    assert row(ics_trend, breakdown="ics")["slope"] > 0


# ---------------------------------------------------------------------------------------
# disclosure control


def test_disclose_applies_the_rule():
    frame = pd.DataFrame({
        "group": ["a", "b", "c", "d", "e", "f"],
        "numerator": [0, 1, 7, 8, 12.5, np.nan],
        "denominator": [100, 100, 100, 100, 1002, 50],
        "rate": [0.0, 0.01, 0.07, 0.08, 12.5 / 1002, np.nan],
        "lower": [0, 0.001, 0.03, 0.04, 0.007, np.nan],
        "ratio_ics": [0, 0.1, 0.7, 0.8, 0.9, np.nan],
        "practices": [3, 3, 3, 3, 3, 3],
    })
    shown = A.disclose(frame, exact=False)
    assert list(shown["numerator"]) == [0, "*", "*", 10, 15, None]  # halves round up
    assert list(shown["denominator"]) == [100, 100, 100, 100, 1000, 50]
    assert list(shown["rate"])[:4] == [0.0, "*", "*", 0.08]  # computed from unrounded values
    assert shown["rate"].iloc[4] == round(12.5 / 1002, 3) != round(15 / 1000, 3)
    assert list(shown["lower"])[1:3] == ["*", "*"]
    assert list(shown["ratio_ics"])[1:3] == ["*", "*"]
    assert list(shown["practices"]) == [3] * 6  # not a count of people
    exact = A.disclose(frame, exact=True)
    pd.testing.assert_frame_equal(exact, frame)
    assert exact is not frame


def test_published_figures_give_back_the_exact_counts_for_few_rows():
    """The attack a reader could make on an export: try every count that rounds to the
    published one and keep those that reproduce every published figure. At full precision
    it pins every row; as published (rates and limits to 3 decimals, z to 1), only the odd
    row where the figures' rounding happens to intersect (DESIGN publishes rates worked
    out from the unrounded counts, so some inference is inherent)."""
    from inclusion import stats

    rng = np.random.default_rng(7)
    rows = 200
    den = rng.integers(2_000, 12_000, size=rows).astype(float)
    num = np.floor(den * rng.uniform(0.3, 0.7, size=rows))
    p0 = num.sum() / den.sum()

    def figures(x, n):
        lower, upper = stats.wilson_ci(np.asarray(x, float), np.asarray(n, float))
        return x / n, lower, upper, (x / n - p0) / np.sqrt(p0 * (1 - p0) / n)

    rate, lower, upper, z = figures(num, den)
    frame = pd.DataFrame({"numerator": num, "denominator": den, "rate": rate,
                          "lower": lower, "upper": upper, "z": z})
    shown = A.disclose(frame, exact=False)
    grid_n, grid_x = np.meshgrid(np.arange(-2, 3), np.arange(-2, 3))
    pinned = 0
    for i, row in shown.iterrows():
        xs = row["numerator"] + grid_x.ravel()
        ns = row["denominator"] + grid_n.ravel()
        r, lo, hi, zz = figures(xs, ns)
        fits = ((np.round(r, 3) == row["rate"]) & (np.round(lo, 3) == row["lower"])
                & (np.round(hi, 3) == row["upper"]) & (np.round(zz, 1) == row["z"]))
        assert fits[(xs == num[i]) & (ns == den[i])].all()  # the figures are still right
        pinned += int(fits.sum() == 1)
        # at full precision the same search always finds exactly the true pair
        assert ((xs / ns) == rate[i]).sum() == 1
    assert pinned < 0.1 * rows, f"{pinned} of {rows} rows give back their exact counts"


def test_disclose_small_denominators_and_custom_columns():
    frame = pd.DataFrame({"count": [3, 0, 23], "patients": [5, 6, 2000], "share": [.1, .2, .3]})
    shown = A.disclose(frame, False, numerator="count", rates=["share"])
    assert list(shown["count"]) == ["*", 0, 25]
    assert list(shown["patients"]) == ["*", "*", 2000]
    assert list(shown["share"]) == ["*", 0.2, 0.3]
