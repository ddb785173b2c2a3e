"""Public-health statistics used by the digital-inclusion analysis.

Plain functions on numbers and numpy/pandas objects (no Django).  Every function is
vectorised where that makes sense: scalars in give floats out, arrays in give numpy
arrays out, and a pandas ``Series`` in gives a ``Series`` out on the same index.

The methods follow those used for Fingertips indicators, as implemented in OHID/UKHSA's
R package PHEindicatormethods (GPL-3, https://github.com/ukhsa-collaboration/PHEindicatormethods,
read at version 2.0.2.9001).  The code here is an independent Python implementation of the
published formulas; the docstrings name the R function each one mirrors and where it differs.

Invalid input (negative or non-finite counts, a zero denominator, a numerator above its
denominator where that is impossible, ...) raises ``ValueError``; no function returns a
silent NaN.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as _sps
from scipy.special import expit as _expit

__all__ = [
    "wilson_ci",
    "rate_ci",
    "sii",
    "funnel_limits",
    "round_to_5",
    "suppress_count",
]

# z for the 95% limits phe_sii assumes its input confidence limits to be
_Z_975 = float(_sps.norm.ppf(0.975))


# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------


def _to_float_array(name: str, value: Any) -> np.ndarray:
    """Convert ``value`` to a float ndarray, rejecting missing or non-finite entries."""
    if isinstance(value, pd.Series | pd.Index):
        arr = value.to_numpy(dtype=float, na_value=np.nan)
    else:
        try:
            arr = np.asarray(value, dtype=float)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name} must be numeric; got {value!r}") from exc
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite numbers (no NaN, None or infinity)")
    return arr


def _series_index(*values: Any) -> pd.Index | None:
    for v in values:
        if isinstance(v, pd.Series):
            return v.index
    return None


def _shape_output(result: np.ndarray, *inputs: Any) -> Any:
    """float for all-scalar inputs, Series if any input was a Series, else ndarray."""
    if all(np.ndim(v) == 0 and not isinstance(v, pd.Series) for v in inputs):
        return float(result)
    index = _series_index(*inputs)
    if index is not None and result.ndim == 1 and len(index) == len(result):
        return pd.Series(result, index=index)
    return result


def _check_confidence(confidence: float) -> float:
    try:
        c = float(confidence)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"confidence must be a number strictly between 0 and 1; got {confidence!r}"
        ) from exc
    if not (0.0 < c < 1.0):
        raise ValueError(
            f"confidence must be strictly between 0 and 1 (e.g. 0.95); got {confidence!r}"
        )
    return c


def _z(confidence: float) -> float:
    """Two-sided normal critical value: qnorm(confidence + (1 - confidence) / 2)."""
    return float(_sps.norm.ppf(confidence + (1.0 - confidence) / 2.0))


# --------------------------------------------------------------------------------------
# Wilson score interval for a proportion
# --------------------------------------------------------------------------------------


def wilson_ci(x: Any, n: Any, confidence: float = 0.95) -> tuple[Any, Any]:
    """Wilson score confidence limits of the proportion ``x / n`` (0-1 scale).

    Formula (Wilson 1927; Newcombe & Altman in *Statistics with Confidence*, 2nd edn,
    2000, pp. 46-48), with ``z = qnorm(confidence + (1 - confidence) / 2)``::

        lower = (2x + z^2 - z * sqrt(z^2 + 4x(1 - x/n))) / (2(n + z^2))
        upper = (2x + z^2 + z * sqrt(z^2 + 4x(1 - x/n))) / (2(n + z^2))

    Source: PHEindicatormethods ``wilson_lower`` / ``wilson_upper`` (R/utils.R), used by
    ``phe_proportion``.  Limits are clipped to [0, 1] to remove floating-point dust
    (at x = 0 the lower limit is exactly 0, at x = n the upper is exactly 1).

    ``x`` and ``n`` broadcast against each other.  Raises ``ValueError`` when any ``x``
    is negative, any ``n`` is not positive, any ``x > n``, or any input is non-finite.
    Returns ``(lower, upper)``.
    """
    c = _check_confidence(confidence)
    xa = _to_float_array("x", x)
    na = _to_float_array("n", n)
    xa, na = np.broadcast_arrays(xa, na)
    if np.any(xa < 0):
        raise ValueError("x (numerator) must be >= 0")
    if np.any(na <= 0):
        raise ValueError("n (denominator) must be > 0")
    if np.any(xa > na):
        raise ValueError("x (numerator) must not exceed n (denominator) for a proportion")
    z = _z(c)
    z2 = z * z
    root = z * np.sqrt(z2 + 4.0 * xa * (1.0 - xa / na))
    denom = 2.0 * (na + z2)
    lower = np.clip((2.0 * xa + z2 - root) / denom, 0.0, 1.0)
    upper = np.clip((2.0 * xa + z2 + root) / denom, 0.0, 1.0)
    return _shape_output(lower, x, n), _shape_output(upper, x, n)


# --------------------------------------------------------------------------------------
# Crude rate: Byar's method, exact Poisson below 10 events
# --------------------------------------------------------------------------------------


def rate_ci(x: Any, n: Any, confidence: float = 0.95) -> tuple[Any, Any]:
    """Confidence limits of the crude rate ``x / n`` per person (multiplier 1).

    As PHEindicatormethods ``phe_rate`` (R/Rates.R) with ``multiplier = 1``, with
    ``z = qnorm(confidence + (1 - confidence) / 2)``:

    * ``x < 10`` -- exact Poisson limits (Armitage & Berry, *Statistical Methods in
      Medical Research*, 4th edn, 2002)::

          lower = qchisq((1 - confidence) / 2, 2x) / 2 / n        (0 when x = 0)
          upper = qchisq(confidence + (1 - confidence) / 2, 2x + 2) / 2 / n

    * ``x >= 10`` -- Byar's approximation (Breslow & Day, *Statistical Methods in Cancer
      Research* vol. II, IARC 1987), ``byars_lower`` / ``byars_upper`` in R/utils.R::

          lower = x (1 - 1/(9x) - z/(3 sqrt(x)))^3 / n
          upper = (x + 1) (1 - 1/(9(x + 1)) + z/(3 sqrt(x + 1)))^3 / n

    To express the rate per 100,000 multiply both limits by 100,000 (``phe_rate``
    multiplies the limit by its ``multiplier`` and nothing else).

    ``x`` may exceed ``n``: a rate (events per person, per person-year, ...) is not a
    proportion and is not bounded by 1.  Raises ``ValueError`` for negative or non-finite
    ``x``, ``n <= 0`` or non-finite ``n``, and when Byar's lower limit would be negative
    (only possible at confidence levels extremely close to 1; ``byars_lower`` returns NA
    there).  Returns ``(lower, upper)``.
    """
    c = _check_confidence(confidence)
    xa = _to_float_array("x", x)
    na = _to_float_array("n", n)
    xa, na = np.broadcast_arrays(xa, na)
    if np.any(xa < 0):
        raise ValueError("x (number of events) must be >= 0")
    if np.any(na <= 0):
        raise ValueError("n (denominator) must be > 0")
    alpha_lo = (1.0 - c) / 2.0
    alpha_hi = c + (1.0 - c) / 2.0
    z = _z(c)

    small = xa < 10
    lower_count = np.empty_like(xa)
    upper_count = np.empty_like(xa)

    if np.any(small):
        xs = xa[small]
        # qchisq(p, 2x) / 2 is the p-quantile of a Gamma(shape=x, scale=1) distribution
        lo = np.zeros_like(xs)
        pos = xs > 0
        lo[pos] = _sps.gamma.ppf(alpha_lo, xs[pos])
        lower_count[small] = lo
        upper_count[small] = _sps.gamma.ppf(alpha_hi, xs + 1.0)

    big = ~small
    if np.any(big):
        xb = xa[big]
        lo = xb * (1.0 - 1.0 / (9.0 * xb) - z / (3.0 * np.sqrt(xb))) ** 3
        if np.any(lo < 0):
            raise ValueError(
                "Byar's lower limit is negative at this confidence level; "
                "use a confidence level further from 1"
            )
        x1 = xb + 1.0
        lower_count[big] = lo
        upper_count[big] = x1 * (1.0 - 1.0 / (9.0 * x1) + z / (3.0 * np.sqrt(x1))) ** 3

    lower = lower_count / na
    upper = upper_count / na
    return _shape_output(lower, x, n), _shape_output(upper, x, n)


# --------------------------------------------------------------------------------------
# Slope and relative index of inequality
# --------------------------------------------------------------------------------------

_VALUE_TYPES = {"other": 0, "rate": 1, "proportion": 2, 0: 0, 1: 1, 2: 2}


def _fwd(y: np.ndarray, vt: int) -> np.ndarray:
    """log for rates, logit for proportions, identity otherwise."""
    if vt == 1:
        return np.log(y)
    if vt == 2:
        return np.log(y / (1.0 - y))
    return y


def _inv(y: Any, vt: int) -> Any:
    """exp for rates, inverse logit for proportions, identity otherwise."""
    if vt == 1:
        return np.exp(y)
    if vt == 2:
        # numerically stable form of exp(y) / (1 + exp(y)); scipy.special.expit is what
        # scipy.stats.logistic.cdf evaluates, without its argument checking (same values,
        # about half the cost of an SII's Monte Carlo draws)
        return _expit(y) if np.ndim(y) else float(_expit(y))
    return y


def _percentile_positions(reps: int, confidence: float) -> tuple[int, int]:
    """0-based positions in the sorted draws of the lower and upper limits.

    SimulationFunc (R/utils.R) takes the sorted draws at 1-based positions
    ``round(reps * (1 - cv))`` and ``round(reps * cv)`` with
    ``cv = confidence + (1 - confidence) / 2``.  R's ``round`` and numpy's both round
    half to even.  Positions are clamped to [1, reps] (R would fail on position 0).
    """
    cv = confidence + (1.0 - confidence) / 2.0
    lo = int(np.round(reps * (1.0 - cv)))
    hi = int(np.round(reps * cv))
    lo = min(max(lo, 1), reps)
    hi = min(max(hi, 1), reps)
    return lo - 1, hi - 1


def _pick(draws: np.ndarray, positions: tuple[int, int]) -> tuple[float, float] | None:
    """Order statistics of ``draws`` at ``positions``; None if any draw is non-finite."""
    if not np.all(np.isfinite(draws)):
        return None
    part = np.partition(draws, list(positions))
    return float(part[positions[0]]), float(part[positions[1]])


def sii(
    values: Any,
    populations: Any,
    *,
    se: Any = None,
    lower: Any = None,
    upper: Any = None,
    value_type: str = "other",
    transform: bool = False,
    multiplier: float = 1,
    confidence: float = 0.95,
    reps: int = 100_000,
    seed: Any = None,
) -> dict[str, float | None]:
    """Slope index of inequality (SII) and relative index of inequality (RII).

    Mirrors PHEindicatormethods ``phe_sii`` (R/SII_function.R with ``SimulationFunc``
    and ``FindXValues`` in R/utils.R, v2.0.2), after Low & Low, "Measuring the gap:
    quantifying and comparing local health inequalities", J Public Health 2004;26:388-395.

    Inputs are one value per quantile, ordered by quantile with the first = quantile 1 =
    most deprived.  ``value_type`` is ``"other"``, ``"rate"`` or ``"proportion"`` (0, 1, 2
    as in the R package are accepted too); proportions are on the 0-1 scale.

    **Regression.**  With ``a_i = pop_i / sum(pop)`` and the relative rank
    ``b_i = sum(a_1..a_{i-1}) + a_i / 2`` (midpoint of the quantile's cumulative population
    share), the model ``y_i sqrt(a_i) = B0 sqrt(a_i) + B1 b_i sqrt(a_i)`` is fitted by least
    squares -- i.e. weighted least squares of ``y`` on ``b`` with weights ``a``, solved in
    closed form.  ``B0`` is the fitted value at the most deprived end (rank 0) and ``B1``
    the slope from most to least deprived, so for an indicator that is higher in less
    deprived areas (e.g. life expectancy) the SII is positive.

    * ``transform=False`` (``y`` = the value itself)::

          sii = multiplier * B1
          rii = (B0 + B1) / B0, inverted (1 / rii) when multiplier < 0
          intercept = B0   (phe_sii does not scale it by the multiplier here)

    * ``transform=True`` (rates: ``y = log(value)``; proportions: ``y = logit(value)``;
      not allowed for ``"other"``), with ``g`` = exp or inverse logit::

          sii = multiplier * (g(B0 + B1) - g(B0))
          rii = g(B0 + B1) / g(B0), inverted when multiplier < 0
          intercept = g(B0) * |multiplier|

    **Standard errors.**  ``se`` is used as given; otherwise it is derived from
    ``lower``/``upper``, which are taken to be *95%* limits whatever ``confidence`` is
    (as phe_sii hard-codes): the value and limits are first put on the log scale (rates)
    or logit scale (proportions) -- this happens according to ``value_type`` whether or
    not ``transform`` is set -- and ``se = (upper - lower) / (2 * qnorm(0.975))``.  Note
    that a supplied ``se`` is likewise taken to be on the log/logit scale for rates and
    proportions.  As in phe_sii, ``se`` may not be combined with ``transform=True``.

    **Confidence limits** (Monte Carlo, as ``SimulationFunc``): each quantile's value is
    drawn ``reps`` times from Normal(mean = value on the log/logit/identity scale given by
    ``value_type``, sd = se); without ``transform`` the draws are back-transformed before
    the regression.  The sorted draws of ``B1`` (times ``multiplier``) and of the RII give
    the limits at 1-based positions ``round(reps * (1 - cv))`` and ``round(reps * cv)``,
    ``cv = confidence + (1 - confidence)/2``.  With ``transform=True`` the limits of ``B1``
    on the transformed scale, ``s``, are re-centred on the fitted midpoint
    ``h = B0 + B1/2`` and back-transformed: SII limit ``= multiplier * (g(h + s/2) -
    g(h - s/2))`` and RII limit ``= g(h + s/2) / g(h - s/2)``; with a negative multiplier
    lower and upper swap and the RII limits are inverted.  (phe_sii tests
    ``multiplier < 1`` rather than ``< 0`` for that swap in the rate branch only, which
    would invert the limits for 0 < multiplier < 1; this function uses ``< 0`` for both.)
    Draws use ``numpy.random.default_rng(seed)``; they are not the R package's draws, so
    limits agree with phe_sii only to Monte Carlo error.

    **Validation** (``ValueError``): between 5 and 100 quantiles (phe_sii's limits; an area
    missing a quantile gets no SII in phe_sii, so a NaN/None value, se or limit raises
    rather than being dropped); populations > 0; se >= 0; upper >= lower; ``reps >= 1000``
    (phe_sii's minimum); rates, their limits and proportions strictly inside the range
    where log/logit is finite (rate > 0, 0 < proportion < 1) -- use
    ``value_type="other"`` for data with zeros.  phe_sii's warning for more than 10
    quantiles is not reproduced.

    Returns a dict with keys ``sii, rii, intercept, sii_lower, sii_upper, rii_lower,
    rii_upper``.  The four limit keys are ``None`` when neither ``se`` nor both limits are
    given.  ``rii`` and its limits are ``None`` when the fitted value at rank 0 is zero
    (the RII is then undefined).
    """
    # ---- arguments -------------------------------------------------------------------
    if value_type not in _VALUE_TYPES:
        raise ValueError(f"value_type must be 'other', 'rate' or 'proportion'; got {value_type!r}")
    vt = _VALUE_TYPES[value_type]
    transform = bool(transform)
    if transform and vt == 0:
        raise ValueError("transform=True needs value_type 'rate' or 'proportion'")
    if transform and se is not None:
        raise ValueError(
            "se cannot be supplied with transform=True (phe_sii requires the 95% "
            "confidence limits instead)"
        )
    if (lower is None) != (upper is None):
        raise ValueError("give both lower and upper confidence limits, or neither")
    try:
        m = float(multiplier)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"multiplier must be a number; got {multiplier!r}") from exc
    if not math.isfinite(m):
        raise ValueError("multiplier must be finite")
    c = _check_confidence(confidence)
    if isinstance(reps, bool) or not isinstance(reps, int | np.integer):
        raise ValueError(f"reps must be an integer; got {reps!r}")
    reps = int(reps)
    if reps < 1000:
        raise ValueError("reps must be at least 1000 (phe_sii's minimum)")

    y = _to_float_array("values", values).ravel()
    pop = _to_float_array("populations", populations).ravel()
    k = y.size
    if pop.size != k:
        raise ValueError(f"values ({k}) and populations ({pop.size}) must have the same length")
    if not (5 <= k <= 100):
        raise ValueError(f"the SII needs between 5 and 100 quantiles (as phe_sii); got {k}")
    if np.any(pop <= 0):
        raise ValueError("every quantile needs a population > 0")

    def _aligned(name: str, v: Any) -> np.ndarray:
        arr = _to_float_array(name, v).ravel()
        if arr.size != k:
            raise ValueError(f"{name} must have one entry per quantile ({k}); got {arr.size}")
        return arr

    def _check_domain(name: str, arr: np.ndarray) -> None:
        if vt == 1 and np.any(arr <= 0):
            raise ValueError(
                f"{name} must be > 0 for value_type='rate' (it is log-transformed); "
                "use value_type='other' for data with zero rates"
            )
        if vt == 2 and np.any((arr <= 0) | (arr >= 1)):
            raise ValueError(
                f"{name} must be strictly between 0 and 1 for value_type='proportion' "
                "(it is logit-transformed); use value_type='other' for data with 0 or 1"
            )

    _check_domain("values", y)

    se_calc: np.ndarray | None = None
    if se is not None:
        se_calc = _aligned("se", se)
        if np.any(se_calc < 0):
            raise ValueError("se must be >= 0")
    elif lower is not None:
        lo_arr = _aligned("lower", lower)
        up_arr = _aligned("upper", upper)
        if np.any(up_arr < lo_arr):
            raise ValueError("every upper confidence limit must be >= its lower limit")
        _check_domain("lower", lo_arr)
        _check_domain("upper", up_arr)
        se_calc = (_fwd(up_arr, vt) - _fwd(lo_arr, vt)) / (2.0 * _Z_975)

    # ---- regression design (closed-form weighted least squares) -----------------------
    a = pop / pop.sum()
    b = np.cumsum(a) - a / 2.0
    s1 = float(a @ b)
    s2 = float(a @ (b * b))
    det = s2 - s1 * s1  # weighted variance of b: > 0 for >= 2 quantiles with pop > 0
    # coefficient vectors: B0 = y @ c0, B1 = y @ c1
    c0 = a * (s2 - s1 * b) / det
    c1 = a * (b - s1) / det

    y_fit = _fwd(y, vt) if transform else y
    b0 = float(y_fit @ c0)
    b1 = float(y_fit @ c1)

    result: dict[str, float | None] = {
        "sii": None,
        "rii": None,
        "intercept": None,
        "sii_lower": None,
        "sii_upper": None,
        "rii_lower": None,
        "rii_upper": None,
    }

    def _ratio(num: float, den: float, invert: bool) -> float | None:
        if den == 0 or not math.isfinite(num / den) or (invert and num == 0):
            return None
        r = num / den
        return 1.0 / r if invert else r

    invert = m < 0
    if transform:
        g0 = float(_inv(b0, vt))
        g1 = float(_inv(b0 + b1, vt))
        result["sii"] = (g1 - g0) * m
        result["rii"] = _ratio(g1, g0, invert)
        result["intercept"] = g0 * abs(m)
    else:
        result["sii"] = b1 * m
        # an intercept at rounding-error level means a fitted value of zero at rank 0
        if abs(b0) <= 1e-12 * float(np.max(np.abs(y_fit))):
            b0 = 0.0
        result["rii"] = _ratio(b0 + b1, b0, invert)
        result["intercept"] = b0

    if se_calc is None:
        return result

    # ---- Monte Carlo confidence limits ------------------------------------------------
    rng = np.random.default_rng(seed)
    mu = _fwd(y, vt)
    draws = rng.normal(loc=mu, scale=se_calc, size=(reps, k))
    if not transform:
        draws = _inv(draws, vt)
    coef = np.column_stack((c0, c1))
    params = draws @ coef  # (reps, 2): B0, B1 for each draw
    del draws
    sim_b0 = params[:, 0]
    sim_b1 = params[:, 1]
    pos = _percentile_positions(reps, c)

    if not transform:
        sii_lim = _pick(sim_b1 * m, pos)
        if sii_lim is not None:
            result["sii_lower"], result["sii_upper"] = sii_lim
        if result["rii"] is not None:
            with np.errstate(divide="ignore", invalid="ignore"):
                sim_rii = (sim_b0 + sim_b1) / sim_b0
                if invert:
                    sim_rii = 1.0 / sim_rii
            rii_lim = _pick(sim_rii, pos)
            if rii_lim is not None:
                result["rii_lower"], result["rii_upper"] = rii_lim
        return result

    b1_lim = _pick(sim_b1, pos)
    if b1_lim is None:
        return result
    s_lo, s_hi = b1_lim
    mid = b0 + b1 / 2.0
    g_int_lo, g_x1_lo = float(_inv(mid - s_lo / 2.0, vt)), float(_inv(mid + s_lo / 2.0, vt))
    g_int_hi, g_x1_hi = float(_inv(mid - s_hi / 2.0, vt)), float(_inv(mid + s_hi / 2.0, vt))
    d_lo = (g_x1_lo - g_int_lo) * m
    d_hi = (g_x1_hi - g_int_hi) * m
    if invert:
        result["sii_lower"], result["sii_upper"] = d_hi, d_lo
    else:
        result["sii_lower"], result["sii_upper"] = d_lo, d_hi
    if result["rii"] is not None:
        r_lo = _ratio(g_x1_lo, g_int_lo, False)
        r_hi = _ratio(g_x1_hi, g_int_hi, False)
        if r_lo is not None and r_hi is not None and r_lo > 0 and r_hi > 0:
            if invert:
                result["rii_lower"], result["rii_upper"] = 1.0 / r_hi, 1.0 / r_lo
            else:
                result["rii_lower"], result["rii_upper"] = r_lo, r_hi
    return result


# --------------------------------------------------------------------------------------
# Funnel plot control limits for proportions
# --------------------------------------------------------------------------------------


def _level_label(level: float) -> str:
    text = f"{round(level * 100, 6):g}"
    return text.replace(".", "_")


def funnel_limits(n: Any, p0: float, levels: Sequence[float] = (0.95, 0.998)) -> pd.DataFrame:
    """Funnel-plot control limits for a proportion around the average ``p0``.

    Method of the Fingertips public health technical guidance ("funnel plots";
    https://fingertips.phe.org.uk/profile/guidance/supporting-information/PH-methods) as
    implemented by PHEindicatormethods ``calculate_funnel_limits(statistic =
    "proportion")`` and its ``sigma_adjustment`` helper (R/Funnels.R, R/utils.R): for
    each denominator ``n`` the limit is the observed proportion whose Wilson score
    interval (at the given level) just touches ``p0``.  ``sigma_adjustment`` finds it as
    the roots of the quadratic ``(1/z^2 + 1/n) X^2 - 2 p0 (n/z^2 + 1) X + p0 (n (p0 (n/z^2
    + 2) - 1) + z^2 (p0 - 1)) = 0`` in the count ``X``; the roots simplify exactly to::

        lower, upper = p0 -/+ z * sqrt(p0 (1 - p0) / n),   z = qnorm(1 - (1 - level) / 2)

    (z = 1.960 at 95% -- the package's "2 sigma" limit, qnorm(0.975) -- and 3.090 at
    99.8%, qnorm(0.999)), clipped to [0, 1] as the package clips to [0, 100%].

    Columns of the returned DataFrame, one row per ``n`` in input order:

    * ``n`` -- the denominator;
    * ``lower_<L>``, ``upper_<L>`` for each level, where ``<L>`` is the level as a
      percentage with the decimal point written as an underscore and trailing zeros
      dropped: 0.95 -> ``lower_95``/``upper_95``, 0.998 -> ``lower_99_8``/``upper_99_8``,
      0.99 -> ``lower_99``/``upper_99``.

    Limits are proportions on the 0-1 scale.  Raises ``ValueError`` for ``n <= 0`` or
    non-finite, ``p0`` outside [0, 1], or a level outside (0, 1).
    """
    n_arr = np.atleast_1d(_to_float_array("n", n)).ravel()
    if np.any(n_arr <= 0):
        raise ValueError("n (denominator) must be > 0")
    p = _to_float_array("p0", p0)
    if p.ndim != 0:
        raise ValueError("p0 must be a single number")
    p = float(p)
    if not (0.0 <= p <= 1.0):
        raise ValueError(f"p0 must be a proportion between 0 and 1; got {p0!r}")
    if isinstance(levels, int | float):
        levels = (levels,)
    if len(levels) == 0:
        raise ValueError("give at least one level")

    out: dict[str, np.ndarray] = {"n": n_arr}
    half_width_unit = np.sqrt(p * (1.0 - p) / n_arr)
    for level in levels:
        lv = _check_confidence(level)
        label = _level_label(lv)
        if f"lower_{label}" in out:
            raise ValueError(f"levels give the same column name twice: {label}")
        z = _z(lv)
        out[f"lower_{label}"] = np.clip(p - z * half_width_unit, 0.0, 1.0)
        out[f"upper_{label}"] = np.clip(p + z * half_width_unit, 0.0, 1.0)
    return pd.DataFrame(out)


# --------------------------------------------------------------------------------------
# Disclosure control
# --------------------------------------------------------------------------------------


def _counts_array(n: Any) -> np.ndarray:
    arr = _to_float_array("n", n)
    if np.any(arr < 0):
        raise ValueError("counts must be >= 0")
    return arr


def round_to_5(n: Any) -> Any:
    """Round counts to the nearest multiple of 5 (0 stays 0; halves round up).

    Scalar in -> ``int`` out; array in -> int64 ndarray; Series in -> int64 Series on the
    same index.  Raises ``ValueError`` for negative or non-finite counts.
    """
    arr = _counts_array(n)
    rounded = (np.floor(arr / 5.0 + 0.5) * 5.0).astype(np.int64)
    if np.ndim(n) == 0 and not isinstance(n, pd.Series):
        return int(rounded)
    index = _series_index(n)
    if index is not None:
        return pd.Series(rounded, index=index)
    return rounded


def suppress_count(n: Any) -> Any:
    """Disclosure control for a count: 1-7 become the string ``"*"``, others are rounded.

    Counts from 1 to 7 (any ``0 < n <= 7``) are suppressed as ``"*"``; 0 stays 0; every
    other count is rounded to the nearest 5 (see :func:`round_to_5`).

    Scalar in -> ``"*"`` or ``int``; array in -> object ndarray of ``"*"``/``int``;
    Series in -> object Series on the same index.  Raises ``ValueError`` for negative or
    non-finite counts.
    """
    arr = _counts_array(n)
    rounded = (np.floor(arr / 5.0 + 0.5) * 5.0).astype(np.int64)
    small = (arr > 0) & (arr <= 7)
    if np.ndim(n) == 0 and not isinstance(n, pd.Series):
        return "*" if bool(small) else int(rounded)
    out = rounded.astype(object)  # elements become Python ints
    out[small] = "*"
    index = _series_index(n)
    if index is not None:
        return pd.Series(out, index=index, dtype=object)
    return out
