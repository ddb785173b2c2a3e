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

import functools
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
    "sii_batch",
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


@functools.lru_cache(maxsize=64)
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
    lower, upper = _wilson_limits(xa, na, _z(c))
    return _shape_output(lower, x, n), _shape_output(upper, x, n)


def _wilson_limits(xa: np.ndarray, na: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    """The Wilson limits of wilson_ci for validated float arrays (0 <= x <= n, n > 0), as
    ``(2x + z^2 -/+ z sqrt(z^2 + 4x(1 - x/n))) / (2(n + z^2))`` clipped to [0, 1],
    evaluated in place to spare temporaries (same operations, same values)."""
    if np.ndim(xa) == 0:
        lower, upper = _wilson_limits(np.reshape(xa, 1), np.reshape(na, 1), z)
        return lower.reshape(()), upper.reshape(())
    z2 = z * z
    root = np.divide(xa, na)
    np.subtract(1.0, root, out=root)
    root *= 4.0 * xa
    root += z2
    np.sqrt(root, out=root)
    root *= z
    denom = np.add(na, z2)
    denom *= 2.0
    lower = np.multiply(2.0, xa)
    lower += z2
    upper = np.add(lower, root)
    lower -= root
    lower /= denom
    upper /= denom
    np.clip(lower, 0.0, 1.0, out=lower)
    np.clip(upper, 0.0, 1.0, out=upper)
    return lower, upper


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
    if not np.isfinite(draws).all():
        return None
    lo, hi = positions  # lo <= hi, as cv >= 0.5
    # one selection per position, the second among the draws above the first: the same
    # order statistics as np.partition(draws, [lo, hi]), in a third of its time
    part = np.partition(draws, lo)
    if hi == lo:
        return float(part[lo]), float(part[lo])
    return float(part[lo]), float(np.partition(part[lo + 1:], hi - lo - 1)[hi - lo - 1])


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
    limits agree with phe_sii only to Monte Carlo error.  Draws that are back-transformed
    (rates and proportions without ``transform``) are exponentiated in single precision
    (float32, vectorised; regression and limits in double precision): a rounding of about
    1e-7 of each value, which moves the limits by well under 1e-3 of the interval's width,
    against a Monte Carlo error of about 1% of it at 10,000 draws.  :func:`sii_batch`
    computes many areas (or months) at once with the same code.

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
    args = _sii_arguments(value_type, transform, se, lower, upper, multiplier, confidence, reps)
    y = _to_float_array("values", values).ravel()
    pop = _to_float_array("populations", populations).ravel()
    k = y.size
    if pop.size != k:
        raise ValueError(f"values ({k}) and populations ({pop.size}) must have the same length")

    def _aligned(name: str, v: Any) -> np.ndarray:
        arr = _to_float_array(name, v).ravel()
        if arr.size != k:
            raise ValueError(f"{name} must have one entry per quantile ({k}); got {arr.size}")
        return arr[np.newaxis, :]

    y2, pop2 = y[np.newaxis, :], pop[np.newaxis, :]
    se_calc = _sii_inputs(y2, pop2, se, lower, upper, args["vt"], _aligned)
    out = _sii_core(y2, pop2, se_calc, seed=seed, **args)
    return {key: (None if math.isnan(v[0]) else float(v[0])) for key, v in out.items()}


def sii_batch(
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
) -> dict[str, np.ndarray]:
    """:func:`sii` for many areas (or months) at once: one row per area, one column per
    quantile (most deprived first), every row with the same number of quantiles.

    Row ``i`` of each returned array is ``sii(values[i], populations[i], se=se[i], ...)``
    with the same arguments and ``seed``, computed by the same code (identical point
    estimates and, for an int seed, identical Monte Carlo limits), with NaN where ``sii``
    gives ``None``.  Arguments and validation are those of :func:`sii`; ``se``, ``lower``
    and ``upper`` have the shape of ``values``.

    Draws: ``sii`` draws each quantile's values from ``numpy.random.default_rng(seed)``.
    With a reproducible seed (an int, a sequence of ints or a ``SeedSequence``) every row
    therefore gets the same standard normal draws -- common random numbers, as calling
    ``sii`` per row with one seed does -- so they are drawn once and each row's draws are
    ``mean + se * z``.  With ``seed=None`` or a ``Generator`` each row draws in turn from
    one generator (independent rows, as ``sii`` called in turn).  Rows are processed one
    at a time, so memory is ``reps x quantiles`` whatever the number of rows.
    """
    args = _sii_arguments(value_type, transform, se, lower, upper, multiplier, confidence, reps)
    y = np.atleast_2d(_to_float_array("values", values))
    pop = np.atleast_2d(_to_float_array("populations", populations))
    if y.ndim != 2:
        raise ValueError("values must be a 2-D array: one row per area, one column per quantile")
    if pop.shape != y.shape:
        raise ValueError(f"values {y.shape} and populations {pop.shape} must have the same shape")

    def _aligned(name: str, v: Any) -> np.ndarray:
        arr = np.atleast_2d(_to_float_array(name, v))
        if arr.shape != y.shape:
            raise ValueError(f"{name} must have the shape of values {y.shape}; got {arr.shape}")
        return arr

    se_calc = _sii_inputs(y, pop, se, lower, upper, args["vt"], _aligned)
    return _sii_core(y, pop, se_calc, seed=seed, **args)


def _sii_arguments(value_type, transform, se, lower, upper, multiplier, confidence, reps) -> dict:
    """Validated scalar arguments of sii/sii_batch (see sii)."""
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
    return {"vt": vt, "transform": transform, "m": m, "c": c, "reps": reps}


def _sii_inputs(y, pop, se, lower, upper, vt, aligned) -> np.ndarray | None:
    """Validate (areas x quantiles) values and populations; the standard errors on the
    scale of the draws (None without se or limits)."""
    k = y.shape[1]
    if not (5 <= k <= 100):
        raise ValueError(f"the SII needs between 5 and 100 quantiles (as phe_sii); got {k}")
    if np.any(pop <= 0):
        raise ValueError("every quantile needs a population > 0")

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
    if se is not None:
        se_calc = aligned("se", se)
        if np.any(se_calc < 0):
            raise ValueError("se must be >= 0")
        return se_calc
    if lower is None:
        return None
    lo_arr = aligned("lower", lower)
    up_arr = aligned("upper", upper)
    if np.any(up_arr < lo_arr):
        raise ValueError("every upper confidence limit must be >= its lower limit")
    _check_domain("lower", lo_arr)
    _check_domain("upper", up_arr)
    return (_fwd(up_arr, vt) - _fwd(lo_arr, vt)) / (2.0 * _Z_975)


def _ratios(num: np.ndarray, den: np.ndarray, invert: bool) -> np.ndarray:
    """num / den (inverted when ``invert``), NaN where den is 0, the ratio is not finite,
    or (inverting) num is 0."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        r = num / den
        bad = (den == 0) | ~np.isfinite(r)
        if invert:
            bad |= num == 0
            r = 1.0 / r
    return np.where(bad, np.nan, r)


def _reproducible(seed: Any) -> bool:
    """Whether ``default_rng(seed)`` gives the same draws every time it is called."""
    return not (seed is None or isinstance(seed, np.random.Generator | np.random.BitGenerator))


def _back_transform(draws: np.ndarray, single: np.ndarray, vt: int, se: np.ndarray,
                    mu: np.ndarray, z_max: float) -> np.ndarray:
    """exp (rates) or inverse logit (proportions) of the draws on the log/logit scale,
    in single precision: numpy's float32 exp is vectorised, its double precision one is
    not, and this is most of the cost of the Monte Carlo.  The rounding (about 1e-7 of each
    value) is far below the Monte Carlo error of the limits (about 1% of the interval's
    width at 10,000 draws).  Double precision where single precision could overflow."""
    if (np.abs(mu) + se * z_max).max(initial=0.0) > 80.0:  # the largest |draw|
        if vt == 1:
            np.exp(draws, out=draws)
        else:
            _expit(draws, out=draws)
        return draws
    if vt == 1:
        np.copyto(single, draws, casting="same_kind")
        np.exp(single, out=single)
    else:
        np.negative(draws, out=single, casting="same_kind")
        np.exp(single, out=single)
        single += 1.0
        np.reciprocal(single, out=single)
    return single


def _rowdot(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Dot product of each row of ``u`` with the same row of ``v`` (as ``u[i] @ v[i]``)."""
    return (u[:, np.newaxis, :] @ v[:, :, np.newaxis])[:, 0, 0]


def _sii_core(y, pop, se_calc, *, vt, transform, m, c, reps, seed) -> dict[str, np.ndarray]:
    """The SII maths for validated (areas x quantiles) arrays; NaN stands for None."""
    g_count, k = y.shape
    # ---- regression design (closed-form weighted least squares) -----------------------
    a = pop / pop.sum(axis=1, keepdims=True)
    b = np.cumsum(a, axis=1) - a / 2.0
    s1 = _rowdot(a, b)[:, np.newaxis]
    s2 = _rowdot(a, b * b)[:, np.newaxis]
    det = s2 - s1 * s1  # weighted variance of b: > 0 for >= 2 quantiles with pop > 0
    # coefficient vectors: B0 = y @ c0, B1 = y @ c1
    c0 = a * (s2 - s1 * b) / det
    c1 = a * (b - s1) / det

    y_fit = _fwd(y, vt) if transform else y
    b0 = _rowdot(y_fit, c0)
    b1 = _rowdot(y_fit, c1)

    nan = np.full(g_count, np.nan)
    result = {key: nan.copy() for key in
              ("sii", "rii", "intercept", "sii_lower", "sii_upper", "rii_lower", "rii_upper")}
    invert = m < 0
    if transform:
        g0 = _inv(b0, vt)
        g1 = _inv(b0 + b1, vt)
        result["sii"] = (g1 - g0) * m
        result["rii"] = _ratios(g1, g0, invert)
        result["intercept"] = g0 * abs(m)
    else:
        result["sii"] = b1 * m
        # an intercept at rounding-error level means a fitted value of zero at rank 0
        b0 = np.where(np.abs(b0) <= 1e-12 * np.max(np.abs(y_fit), axis=1), 0.0, b0)
        result["rii"] = _ratios(b0 + b1, b0, invert)
        result["intercept"] = b0

    if se_calc is None:
        return result

    # ---- Monte Carlo confidence limits ------------------------------------------------
    # Each area's draws are default_rng(seed).normal(mu, se, (reps, k)), which is exactly
    # mu + se * default_rng(seed).standard_normal((reps, k)): with a reproducible seed the
    # standard normal draws are the same for every area and are drawn once.  They are held
    # quantile by quantile (k x reps), so that every operation runs along contiguous draws.
    mu = _fwd(y, vt)
    pos = _percentile_positions(reps, c)
    coef = np.stack((c0, c1), axis=1)  # (areas, 2, k): B0 and B1 = coef @ values
    has_rii = np.isfinite(result["rii"])
    rng = None if _reproducible(seed) else np.random.default_rng(seed)
    shared = z_max = None
    if rng is None:
        shared = np.ascontiguousarray(np.random.default_rng(seed).standard_normal((reps, k)).T)
        z_max = float(np.abs(shared).max(initial=0.0))
    back = not transform and vt != 0  # draws back-transformed (exp, inverse logit)
    draws = np.empty((k, reps))
    single = np.empty((k, reps), dtype=np.float32) if back else None
    b1_lim = np.full((g_count, 2), np.nan)
    rii_lim = np.full((g_count, 2), np.nan)
    for i in range(g_count):
        z = shared
        if rng is not None:
            z = np.ascontiguousarray(rng.standard_normal((reps, k)).T)
            z_max = float(np.abs(z).max(initial=0.0))
        np.multiply(z, se_calc[i][:, np.newaxis], out=draws)
        draws += mu[i][:, np.newaxis]
        values = draws
        if back:
            values = _back_transform(draws, single, vt, se_calc[i], mu[i], z_max)
        params = coef[i] @ values  # (2, reps): B0, B1 for each draw
        sim_b0 = params[0]
        sim_b1 = params[1]
        if transform:
            lim = _pick(sim_b1, pos)
        else:
            lim = _pick(sim_b1 * m if m != 1 else sim_b1, pos)
            if has_rii[i]:
                with np.errstate(divide="ignore", invalid="ignore"):
                    sim_rii = sim_b0 + sim_b1
                    sim_rii /= sim_b0
                    if invert:
                        np.reciprocal(sim_rii, out=sim_rii)
                r_lim = _pick(sim_rii, pos)
                if r_lim is not None:
                    rii_lim[i] = r_lim
        if lim is not None:
            b1_lim[i] = lim

    if not transform:
        result["sii_lower"], result["sii_upper"] = b1_lim[:, 0], b1_lim[:, 1]
        result["rii_lower"], result["rii_upper"] = rii_lim[:, 0], rii_lim[:, 1]
        return result

    s_lo, s_hi = b1_lim[:, 0], b1_lim[:, 1]
    mid = b0 + b1 / 2.0
    g_int_lo, g_x1_lo = _inv(mid - s_lo / 2.0, vt), _inv(mid + s_lo / 2.0, vt)
    g_int_hi, g_x1_hi = _inv(mid - s_hi / 2.0, vt), _inv(mid + s_hi / 2.0, vt)
    d_lo = (g_x1_lo - g_int_lo) * m
    d_hi = (g_x1_hi - g_int_hi) * m
    if invert:
        result["sii_lower"], result["sii_upper"] = d_hi, d_lo
    else:
        result["sii_lower"], result["sii_upper"] = d_lo, d_hi
    r_lo = _ratios(g_x1_lo, g_int_lo, False)
    r_hi = _ratios(g_x1_hi, g_int_hi, False)
    with np.errstate(invalid="ignore"):
        ok = has_rii & (r_lo > 0) & (r_hi > 0)
    if invert:
        result["rii_lower"] = np.where(ok, 1.0 / np.where(ok, r_hi, 1.0), np.nan)
        result["rii_upper"] = np.where(ok, 1.0 / np.where(ok, r_lo, 1.0), np.nan)
    else:
        result["rii_lower"] = np.where(ok, r_lo, np.nan)
        result["rii_upper"] = np.where(ok, r_hi, np.nan)
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
