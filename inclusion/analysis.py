"""Uptake of digital services by community: rates, ecological apportionment, gaps.

Plain functions, pandas in and pandas out, no Django (``inclusion.frames`` builds the input
frames from the database).  Every computation is vectorised: observations are held as sparse
*keys x practices* matrices and every breakdown is a *practices x groups* weight matrix, so a
breakdown's numerators are one sparse product ``N @ W`` whatever the number of practices.

Input frames (column names; extra columns are ignored)
------------------------------------------------------
``obs``
    ``practice`` (ODS code), ``value`` (count, >= 0) and any of ``service``, ``metric``,
    ``source``, ``period`` (the *keys*: one rate per combination; ``period`` is the month and
    gives the trend).  Optional ``age_band`` (uptake observed by age, see ``by_age_band``).
    Repeated rows for the same keys and practice are added.
``population``
    ``practice``, ``population`` (registered patients *eligible* for the service, e.g. aged
    13+ for the NHS App: see ``eligible_population``), optional ``period`` (list sizes by
    month), ``pcn``, ``place`` and ``name``.
``practice_lsoa``
    ``practice``, ``lsoa``, ``patients`` (NHS England's registered patients by LSOA: one
    extract), optional ``geography_version``.
``lsoa_imd``
    ``lsoa``, ``imd_decile`` (1 = most deprived), optional ``geography_version``.
``practice_imd_score``
    ``practice``, ``imd_score`` (population-weighted IMD score; higher = more deprived),
    optional ``population`` (weights for the practice deciles) or ``imd_decile``.
``age_population``
    ``practice``, ``age_band`` (``"0-4"``, ``"95+"``, ``"13"``...), ``patients``, optional
    ``age_from``/``age_to`` and ``sex`` (summed over).
``breakdown``
    ``lsoa``, ``category``, ``count`` (residents of the LSOA in the category).

Outputs share one long layout: ``breakdown`` (what is compared: ``practice``, ``pcn``,
``place``, ``ics``, ``imd_decile``, ``imd_quintile``, ``age_band`` or a data set's name),
``group`` (the community within it), the keys, ``numerator``, ``denominator``, ``rate`` and its
Wilson score limits ``lower``/``upper`` (``inclusion.stats.wilson_ci``), and ``practices``
(how many practices contributed).  A numerator above its denominator (a registration count
larger than the eligible list) is kept, with ``capped`` True, and its limits are computed
with the numerator capped at the denominator.

Observations are used where they exist: a practice with no row for a month contributes
neither numerator nor denominator to that month (it is missing, not zero).

Ecological apportionment (``by_deprivation``, ``by_breakdown``, ``by_age_band`` without
observed age bands): a practice's uptake is shared across its LSOAs (or age bands) in
proportion to its registered patients there, and so is its eligible population; the shares
are summed per community.  This attributes each practice's *average* rate to all of its
patients: it estimates between-practice differences only, never differences between
patients of one practice, and understates true gradients (the ecological fallacy).  Say so
wherever the figures are shown.
"""

from __future__ import annotations

import functools
import math
import os
import re
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
from scipy import sparse
from scipy import special as _special
from scipy import stats as _sps

from . import stats

__all__ = [
    "LSOAGeographyError",
    "Panel",
    "uptake_rates",
    "eligible_population",
    "practice_deciles",
    "translate_lsoa",
    "by_deprivation",
    "by_age_band",
    "by_breakdown",
    "compare_communities",
    "sii_by_period",
    "trend",
    "funnel",
    "latest_period",
    "lowest_relative",
    "gaps",
    "disclose",
]

KEYS = ("service", "metric", "source", "period")
LEVELS = ("practice", "pcn", "place", "ics")
RESULT_COLUMNS = ("numerator", "denominator", "rate", "lower", "upper", "practices", "capped")


class LSOAGeographyError(ValueError):
    """Practice LSOA codes do not match the LSOA table they are to be joined with."""


# --------------------------------------------------------------------------------------
# helpers


@functools.lru_cache(maxsize=64)
def _norm_ppf(q: float) -> float:
    """float(scipy.stats.norm.ppf(q)), remembered (scipy's call costs about a millisecond)."""
    return float(_sps.norm.ppf(q))


def _require(df: pd.DataFrame, name: str, columns: Iterable[str]) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{name} needs the column(s) {', '.join(missing)}; it has "
                         f"{', '.join(map(str, df.columns))}")


def _numeric(series: pd.Series, what: str) -> np.ndarray:
    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{what} must be finite numbers (no blanks or text)")
    if np.any(values < 0):
        raise ValueError(f"{what} must be >= 0")
    return values


def _keys(obs: pd.DataFrame) -> list[str]:
    return [k for k in KEYS if k in obs.columns]


def _factorize(values, sort: bool = True) -> tuple[np.ndarray, pd.Index]:
    """pd.factorize, faster for text: hashes an object array (pandas' string dtype goes
    through a slower path) and sorts only the uniques."""
    if isinstance(values, pd.Series | pd.Index):
        dtype = values.dtype
        if isinstance(dtype, pd.CategoricalDtype):
            values = values.astype(object)
        arr = values.to_numpy(dtype=object) if not np.issubdtype(
            np.dtype(getattr(dtype, "numpy_dtype", object)) if not isinstance(dtype, np.dtype)
            else dtype, np.number) else values.to_numpy()
    else:
        arr = np.asarray(values)
    codes, uniques = _factorize_runs(arr) if arr.dtype == object else pd.factorize(arr)
    uniques = np.asarray(uniques)
    if sort and len(uniques) > 1:
        try:
            order = np.argsort(uniques, kind="stable")
        except TypeError:  # mixed types: keep first-seen order
            order = None
        if order is not None:
            rank = np.empty(len(order), dtype=np.int64)
            rank[order] = np.arange(len(order))
            if len(codes) and codes.min() >= 0:
                codes = rank[codes]
            else:
                codes = np.where(codes >= 0, rank[np.maximum(codes, 0)], -1)
            uniques = uniques[order]
    return codes.astype(np.int64, copy=False), pd.Index(uniques)


def _factorize_runs(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """pd.factorize of an object array, hashing one value per run of equal values when the
    values come in long runs (rows grouped by practice, say): the same codes and uniques,
    as every value first appears at the start of a run."""
    n = len(arr)
    probe = arr[:2048]
    if n < 16_384 or np.count_nonzero(probe[1:] != probe[:-1]) * 16 > len(probe):
        return pd.factorize(arr)
    starts = np.flatnonzero(np.concatenate(([True], arr[1:] != arr[:-1])))
    if len(starts) * 8 > n:
        return pd.factorize(arr)
    head_codes, uniques = pd.factorize(arr[starts])
    return np.repeat(head_codes, np.diff(np.append(starts, n))), uniques


def _factorize_rows(
    df: pd.DataFrame, cols: Sequence[str], *, categorical: bool = True
) -> tuple[np.ndarray, pd.DataFrame]:
    """Integer code of each row's combination of ``cols`` and the combinations present, as a
    frame of categorical columns (plain columns with ``categorical=False``).

    Plain columns are factorized in sorted order; categorical ones reuse their codes (the
    combinations then follow the order of the categories), so repeated grouping of this
    module's outputs costs no hashing or sorting of labels.
    """
    if not cols:
        return np.zeros(len(df), dtype=np.int64), pd.DataFrame(index=pd.RangeIndex(1))
    codes, uniques, dims = [], [], []
    for col in cols:
        values = df[col]
        if isinstance(values.dtype, pd.CategoricalDtype):
            code = values.cat.codes.to_numpy()  # int8/int16: widened once, when combined
            unique = values.cat.categories
        else:
            code, unique = _factorize(values)
        if len(code) and code.min() < 0:
            raise ValueError(f"column {col} has missing values")
        codes.append(code)
        uniques.append(unique)
        dims.append(max(len(unique), 1))
    size = int(np.prod(dims, dtype=np.float64))
    if len(cols) == 1:
        combined = codes[0]
    elif size < 2**62:
        # np.ravel_multi_index(codes, dims), in one int64 array
        combined = codes[0].astype(np.int64)
        for code, dim in zip(codes[1:], dims[1:], strict=True):
            combined *= dim
            combined += code
    else:
        combined = np.ravel_multi_index(codes, dims)
    if size <= 4 * len(df) + 1_000_000:
        present = np.bincount(combined, minlength=size) > 0
        unique_combined = np.flatnonzero(present)
        rank = np.cumsum(present)
        rank -= 1
        inverse = rank[combined]
    else:
        unique_combined, inverse = np.unique(combined, return_inverse=True)
    parts = np.unravel_index(unique_combined, dims) if len(cols) > 1 else (unique_combined,)
    frame = pd.DataFrame({
        col: (pd.Categorical.from_codes(parts[i], categories=uniques[i]) if categorical
              else uniques[i].to_numpy()[parts[i]])
        for i, col in enumerate(cols)
    })
    return inverse.astype(np.int64, copy=False), frame


def _concat(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """pd.concat that keeps categorical columns categorical (union of the categories) when
    every frame has the column as a categorical of the same kind of values."""
    frames = [f for f in frames if len(f.columns)]
    if not frames:
        return pd.DataFrame()
    unions = {}
    for col in frames[0].columns:
        parts = [f[col] for f in frames if col in f.columns]
        if len(parts) == len(frames) and all(isinstance(p.dtype, pd.CategoricalDtype)
                                             for p in parts):
            kinds = {p.cat.categories.inferred_type for p in parts}
            if len(kinds) == 1:
                unions[col] = pd.api.types.union_categoricals(
                    [p.array for p in parts], ignore_order=True)
    out = pd.concat(frames, ignore_index=True)
    for col, values in unions.items():
        out[col] = values
    return out


def _wilson(num: np.ndarray, den: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Wilson limits of num/den where den > 0 (NaN elsewhere); num capped to [0, den]."""
    # the arrays here are finite sums of validated counts: wilson_ci's checks are skipped
    z = stats._z(stats._check_confidence(confidence))
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    ok = den > 0
    if ok.all():
        x = np.maximum(num, 0.0)
        np.minimum(x, den, out=x)
        return stats._wilson_limits(x, den, z)
    lower = np.full(num.shape, np.nan)
    upper = np.full(num.shape, np.nan)
    if np.any(ok):
        x = np.clip(num[ok], 0.0, den[ok])
        lower[ok], upper[ok] = stats._wilson_limits(x, den[ok], z)
    return lower, upper


def _with_rates(frame: pd.DataFrame, confidence: float) -> pd.DataFrame:
    num = frame["numerator"].to_numpy(dtype=float)
    den = frame["denominator"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = num / den
    if not (den > 0).all():
        rate[~(den > 0)] = np.nan
    frame["rate"] = rate
    frame["lower"], frame["upper"] = _wilson(num, den, confidence)
    frame["capped"] = num > den
    return frame


class Panel:
    """Observations as sparse keys x practices matrices, built once and shared.

    ``Panel(obs, population)`` does the expensive part of every analysis here (factorizing
    the keys and practices of the observations); each function accepts a ``Panel`` in place
    of ``obs`` -- its population is then the panel's.  ``N`` numerators, ``M`` 1 where a
    practice has an observation for the keys, ``D`` the practice's eligible population there
    (0 where it has no observation; None without a population); ``pair_*`` hold the same
    per observed (keys, practice) pair; ``unmatched`` lists observed practices with no
    population (left out).
    """

    def __init__(self, obs: pd.DataFrame, population: pd.DataFrame | None, *, extra_key=None):
        _require(obs, "obs", ["practice", "value"])
        keys = _keys(obs) + ([extra_key] if extra_key else [])
        self.keys = keys
        values = _numeric(obs["value"], "obs value")
        p_codes, p_index = _factorize(obs["practice"])
        p_index = pd.Index(np.asarray(p_index).astype(str))
        self.key_codes, self.key_frame = _factorize_rows(obs, keys)
        self.unmatched: list[str] = []
        row_pop = None
        if population is not None:
            _require(population, "population", ["practice", "population"])
            pop_values = _numeric(population["population"], "population")
            pop_p = p_index.get_indexer(population["practice"].astype(str).to_numpy())
            if "period" in population.columns and "period" in keys:
                periods = pd.Index(self.key_frame["period"].cat.categories)
                pop_t = periods.get_indexer(population["period"].to_numpy())
                t_codes = self.key_frame["period"].cat.codes.to_numpy()[self.key_codes]
            else:
                if population["practice"].astype(str).duplicated().any():
                    raise ValueError("population has more than one row for a practice; give "
                                     "one row per practice (or a period column)")
                pop_t = np.zeros(len(population), dtype=np.int64)
                t_codes = None  # one list size per practice
                periods = [None]
            grid = np.full((len(periods), len(p_index)), -1, dtype=np.int64)
            ok = (pop_p >= 0) & (pop_t >= 0)
            cells = pop_t[ok] * len(p_index) + pop_p[ok]
            if len(np.unique(cells)) != len(cells):
                raise ValueError("population has more than one row for a practice and period")
            grid.ravel()[cells] = np.flatnonzero(ok)
            where = grid[0][p_codes] if t_codes is None else grid[t_codes, p_codes]
            keep = where >= 0
            if not keep.all():
                self.unmatched = sorted(set(p_index[np.unique(p_codes[~keep])]))
                if not keep.any() and len(keep):
                    raise ValueError("no observation has a population: check the practice codes "
                                     "(and that periods are written the same way in both)")
                values, where = values[keep], where[keep]
                p_codes, self.key_codes = p_codes[keep], self.key_codes[keep]
                # drop practices and keys left without observations
                present = np.bincount(p_codes, minlength=len(p_index)) > 0
                p_codes = (np.cumsum(present) - 1)[p_codes]
                p_index = p_index[present]
                used = np.bincount(self.key_codes, minlength=len(self.key_frame)) > 0
                self.key_codes = (np.cumsum(used) - 1)[self.key_codes]
                self.key_frame = self.key_frame.loc[used].reset_index(drop=True)
            row_pop = pop_values[where]
        self.practices = pd.Index(p_index, name="practice")
        n_k, n_p = len(self.key_frame), max(len(self.practices), 1)
        combined = self.key_codes * n_p
        combined += p_codes
        if n_k * n_p <= 4 * len(combined) + 1_000_000:
            present = np.bincount(combined, minlength=n_k * n_p) > 0
            pair = np.flatnonzero(present)
            rank = np.cumsum(present)
            rank -= 1
            inverse = rank[combined]
            del rank
        else:
            pair, inverse = np.unique(combined, return_inverse=True)
        self.pair_key, self.pair_practice = np.divmod(pair, n_p)
        self.pair_num = np.bincount(inverse, weights=values, minlength=len(pair))
        # pairs are in (keys, practice) order already: build the CSR arrays directly
        shape = (n_k, len(self.practices))
        indptr = np.zeros(n_k + 1, dtype=np.int64)
        np.cumsum(np.bincount(self.pair_key, minlength=n_k), out=indptr[1:])
        indices = self.pair_practice.astype(np.int32 if len(self.practices) < 2**31 else np.int64)

        def csr(data):
            return sparse.csr_matrix((data, indices, indptr), shape=shape)

        self.N = csr(self.pair_num)
        self.M = csr(np.ones(len(pair)))
        self._M_dense = None
        self.pair_den = None
        self.D = None
        if row_pop is not None:
            # every row of a pair has the same (period, practice), so the same population
            self.pair_den = np.zeros(len(pair))
            self.pair_den[inverse] = row_pop
            self.D = csr(self.pair_den)

    def apply(self, W: sparse.spmatrix, denominator: sparse.spmatrix | None = None):
        """Numerators, denominators and contributing practices per keys x group (dense)."""
        W = sparse.csr_matrix(W)
        num = (self.N @ W).toarray()
        den_matrix = self.D if denominator is None else denominator
        den = (den_matrix @ W).toarray()
        practices = self.count_practices(W > 0)
        return num, den, practices

    def count_practices(self, contributing: sparse.spmatrix) -> np.ndarray:
        """Practices observed per keys x group, ``M @ contributing`` for a 0/1 practices x
        groups matrix (dense: counts are exact whatever the order of the additions)."""
        n_k, n_p = self.M.shape
        if n_k * n_p <= 4 * self.M.nnz + 1_000_000:
            if self._M_dense is None:
                self._M_dense = self.M.toarray()
            return self._M_dense @ sparse.csr_matrix(contributing, dtype=float).toarray()
        return (self.M @ sparse.csr_matrix(contributing, dtype=float)).toarray()

    def by_membership(self, membership: np.ndarray, n_groups: int):
        """``apply`` for a breakdown where each practice belongs to at most one group with
        weight 1 (``membership``: the group of each practice, -1 for none), by bincount:
        the same sums, added in the same order (practice by practice within each key)."""
        group = membership[self.pair_practice]
        index = self.pair_key * n_groups + group
        num_w, den_w = self.pair_num, self.pair_den
        if len(group) and group.min() < 0:
            keep = group >= 0
            index, num_w = index[keep], num_w[keep]
            den_w = den_w[keep] if den_w is not None else None
        shape = (len(self.key_frame), n_groups)
        size = shape[0] * n_groups
        num = np.bincount(index, weights=num_w, minlength=size).reshape(shape)
        den = (np.bincount(index, weights=den_w, minlength=size).reshape(shape)
               if den_w is not None else None)
        practices = np.bincount(index, minlength=size).reshape(shape).astype(float)
        return num, den, practices

    def long(self, num, den, practices, groups, breakdown: str, confidence: float,
             extra: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
        k_idx, g_idx = np.nonzero(den > 0)
        frame = self.key_frame.iloc[k_idx].reset_index(drop=True)
        frame.insert(0, "group", pd.Categorical.from_codes(g_idx, categories=pd.Index(groups)))
        frame.insert(0, "breakdown", _constant(breakdown, len(frame)))
        frame["numerator"] = num[k_idx, g_idx]
        frame["denominator"] = den[k_idx, g_idx]
        frame = _with_rates(frame, confidence)
        frame["practices"] = practices[k_idx, g_idx].astype(np.int64)
        for name, values in (extra or {}).items():
            frame[name] = values[k_idx, g_idx]
        return frame


def _panel(obs, population, *, extra_key=None) -> Panel:
    if isinstance(obs, Panel):
        if population is not None and obs.D is None:
            raise ValueError("the Panel was built without a population; build it with one")
        if extra_key and extra_key not in obs.keys:
            raise ValueError(f"pass a DataFrame with {extra_key!r}, not a Panel")
        return obs
    return Panel(obs, population, extra_key=extra_key)


def _labels(codes: np.ndarray, labels: Sequence[str]) -> pd.Categorical:
    return pd.Categorical.from_codes(np.asarray(codes, dtype=np.int64), categories=list(labels))


def _argsort_stable(key: np.ndarray) -> np.ndarray:
    """np.argsort(key, kind="stable") for a float key, quicker: an introsort (3x faster than
    the merge sort) whose runs of equal keys are then put back in row order."""
    key = np.asarray(key, dtype=float)
    order = np.argsort(key)
    if len(order) < 2:
        return order
    ranked = key[order]
    tie = ranked[1:] == ranked[:-1]
    nan = np.isnan(ranked)
    tie |= nan[1:] & nan[:-1]  # NaNs sort last, in row order
    if tie.any():
        in_run = np.zeros(len(order), dtype=bool)
        in_run[1:] = tie
        in_run[:-1] |= tie
        pos = np.flatnonzero(in_run)
        run = np.concatenate(([0], np.cumsum(~tie)))[pos]
        order[pos] = order[pos[np.lexsort((order[pos], run))]]
    return order


def _order_within(groups: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Row order by ``groups`` then ascending ``key`` (two stable passes: cheaper than
    np.lexsort with a float key; the second is a radix sort for up to 65,536 groups)."""
    first = _argsort_stable(key)
    g = groups[first]
    if len(g) and g.max() < 2**16:
        g = g.astype(np.uint16)
    return first[np.argsort(g, kind="stable")]


def _constant(value: str, n: int) -> pd.Categorical:
    return pd.Categorical.from_codes(np.zeros(n, dtype=np.int64), categories=[value])


def _row_normalise(W: sparse.spmatrix) -> tuple[sparse.csr_matrix, np.ndarray]:
    W = sparse.csr_matrix(W, dtype=float)
    totals = np.asarray(W.sum(axis=1)).ravel()
    inv = np.divide(1.0, totals, out=np.zeros_like(totals), where=totals > 0)
    return sparse.csr_matrix(sparse.diags(inv) @ W), totals


# --------------------------------------------------------------------------------------
# rates by organisation


def uptake_rates(
    obs: pd.DataFrame,
    population: pd.DataFrame,
    levels: Sequence[str] = LEVELS,
    *,
    confidence: float = 0.95,
    ics_name: str = "ICS",
) -> pd.DataFrame:
    """Uptake rate with Wilson limits by practice, PCN, place and the whole ICS, per month.

    Numerator: the summed observation values; denominator: the eligible registered
    population of the practices observed (``population``).  ``levels`` are any of
    ``practice``, ``pcn``, ``place`` (columns of ``population``) and ``ics``.  Practices
    without a PCN or place are left out of that level.  ``attrs["unmatched_practices"]``
    lists observed practices with no population (left out everywhere).
    """
    bad = [level for level in levels if level not in LEVELS]
    if bad:
        raise ValueError(f"levels are {', '.join(LEVELS)}; not {', '.join(bad)}")
    panel = _panel(obs, population)
    if panel.D is None:
        raise ValueError("uptake_rates needs a population")
    pop = (population.assign(practice=population["practice"].astype(str))
           .drop_duplicates("practice").set_index("practice"))
    # the levels' rows are assembled as arrays and made into one frame at the end (the
    # practice level alone has a row per practice and month)
    parts: list[dict] = []
    group_labels: list = []
    for level in levels:
        if level == "practice":
            keep = panel.pair_den > 0
            every = bool(keep.all())  # then no copies: the parts are concatenated below

            def kept(values, every=every, keep=keep):
                return values if every else values[keep]

            parts.append({
                "level": level, "key": kept(panel.pair_key),
                "group": len(group_labels) + kept(panel.pair_practice),
                "numerator": kept(panel.pair_num), "denominator": kept(panel.pair_den),
                "practices": np.ones(int(keep.sum()), dtype=np.int64),
                "practice": kept(panel.pair_practice),
            })
            group_labels.extend(panel.practices.tolist())
            continue
        if level == "ics":
            membership = np.zeros(len(panel.practices), dtype=np.int64)
            groups = [ics_name]
            valid = np.ones(len(panel.practices), dtype=bool)
        else:
            if level not in population.columns:
                raise ValueError(f"population has no {level!r} column for the {level} level")
            labels = pop[level].reindex(panel.practices.to_numpy())
            valid = labels.notna().to_numpy() & (labels.fillna("").to_numpy(dtype=object) != "")
            membership, found = _factorize(labels.where(valid))
            groups = list(found)
        num, den, practices = panel.by_membership(np.where(valid, membership, -1),
                                                  max(len(groups), 1))
        k_idx, g_idx = np.nonzero(den > 0)
        parts.append({
            "level": level, "key": k_idx, "group": len(group_labels) + g_idx,
            "numerator": num[k_idx, g_idx], "denominator": den[k_idx, g_idx],
            "practices": practices[k_idx, g_idx].astype(np.int64),
        })
        group_labels.extend(groups)

    def joined(name):
        return np.concatenate([part[name] for part in parts]) if parts else np.array([])

    key = joined("key").astype(np.int64, copy=False)
    level_codes = np.concatenate([np.full(len(part["key"]), list(levels).index(part["level"]))
                                  for part in parts]) if parts else np.array([], dtype=np.int64)
    group = joined("group").astype(np.int64, copy=False)
    # labels used by two levels (a PCN named like a place) stay one category
    label_codes, label_index = pd.factorize(pd.Index(group_labels, dtype=object))
    result = pd.DataFrame({
        "breakdown": pd.Categorical.from_codes(level_codes, categories=list(levels)),
        "group": pd.Categorical.from_codes(label_codes[group] if len(group) else group,
                                           categories=pd.Index(label_index)),
    })
    for col in panel.key_frame.columns:
        values = panel.key_frame[col]
        result[col] = pd.Categorical.from_codes(values.cat.codes.to_numpy()[key],
                                                categories=values.cat.categories)
    result["numerator"] = joined("numerator").astype(float, copy=False)
    result["denominator"] = joined("denominator").astype(float, copy=False)
    result = _with_rates(result, confidence)
    result["practices"] = joined("practices").astype(np.int64, copy=False)
    if "name" in pop.columns and "practice" in levels:
        name_codes, names = pd.factorize(pop["name"].reindex(panel.practices))
        codes = np.full(len(result), -1, dtype=np.int64)
        start = 0
        for part in parts:
            stop = start + len(part["key"])
            if part["level"] == "practice":
                codes[start:stop] = name_codes[part["practice"]]
            start = stop
        result["name"] = pd.Categorical.from_codes(codes, categories=pd.Index(names))
    result.attrs["unmatched_practices"] = panel.unmatched
    return result


# --------------------------------------------------------------------------------------
# age


_BAND_RE = re.compile(r"^\s*(\d{1,3})\s*(?:_|-|\u2013|to)\s*(\d{1,3})\s*$")
_OPEN_RE = re.compile(r"^\s*(\d{1,3})\s*(?:\+|plus|and over)\s*$")


def _parse_band(label: str) -> tuple[int, float]:
    """(first year, last year; inf for an open band) of ``0-4``, ``0_4``, ``95+``, ``13``."""
    text = str(label).strip().lower()
    match = _BAND_RE.match(text)
    if match:
        return int(match.group(1)), float(match.group(2))
    match = _OPEN_RE.match(text)
    if match:
        return int(match.group(1)), math.inf
    if text.isdigit():
        return int(text), float(text)
    raise ValueError(f"{label!r} is not an age band (e.g. 0-4, 95+ or 13)")


def _band_limits(age_population: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    if "age_from" in age_population.columns and "age_to" in age_population.columns:
        low = age_population["age_from"].to_numpy(dtype=float)
        high = pd.to_numeric(age_population["age_to"], errors="coerce").fillna(math.inf)
        return low, high.to_numpy(dtype=float)
    labels = pd.unique(age_population["age_band"].astype(str))
    parsed = {label: _parse_band(label) for label in labels}
    bands = age_population["age_band"].astype(str)
    return (bands.map(lambda b: parsed[b][0]).to_numpy(dtype=float),
            bands.map(lambda b: parsed[b][1]).to_numpy(dtype=float))


def _share_in(low, high, start: float, stop: float) -> np.ndarray:
    """Share of each band [low, high] inside the ages [start, stop], ages spread evenly
    within a band; an open band (high = inf) counts wholly where its first year falls."""
    low = np.asarray(low, dtype=float)
    high = np.asarray(high, dtype=float)
    open_band = ~np.isfinite(high)
    width = np.where(open_band, 1.0, high - low + 1.0)
    top = np.where(open_band, low, high)
    overlap = np.minimum(top, stop) - np.maximum(low, start) + 1.0
    return np.clip(overlap / width, 0.0, 1.0)


def eligible_population(
    age_population: pd.DataFrame, min_age: int = 13, max_age: int | None = None
) -> pd.DataFrame:
    """Registered patients aged ``min_age`` to ``max_age`` by practice (``practice,
    population``), e.g. 13+ for the NHS App.

    Single years of age are exact; a band that straddles ``min_age`` (10-14 for 13+)
    contributes the share of its years inside the range, assuming ages are spread evenly
    within the band (2 of 5 years of 10-14).  Sexes are added.
    """
    _require(age_population, "age_population", ["practice", "age_band", "patients"])
    low, high = _band_limits(age_population)
    stop = math.inf if max_age is None else float(max_age)
    share = _share_in(low, high, float(min_age), stop)
    patients = _numeric(age_population["patients"], "patients") * share
    out = pd.DataFrame({"practice": age_population["practice"].astype(str), "population": patients})
    return out.groupby("practice", as_index=False, sort=True)["population"].sum()


def _target_bands(bands, low, high) -> list[tuple[str, float, float]]:
    if bands is None:
        pairs = sorted(set(zip(low.tolist(), high.tolist(), strict=True)))
        out = []
        for a, b in pairs:
            label = f"{int(a)}+" if not math.isfinite(b) else (
                str(int(a)) if a == b else f"{int(a)}-{int(b)}")
            out.append((label, a, b))
        return out
    edges = [int(e) for e in bands]
    if sorted(edges) != edges or len(set(edges)) != len(edges):
        raise ValueError("bands are increasing ages where each band starts, e.g. [13, 18, 25, 65]")
    out = []
    for i, start in enumerate(edges):
        if i + 1 < len(edges):
            stop = edges[i + 1] - 1
            out.append((str(start) if start == stop else f"{start}-{stop}", float(start), float(stop)))
        else:
            out.append((f"{start}+", float(start), math.inf))
    return out


def by_age_band(
    obs: pd.DataFrame,
    age_population: pd.DataFrame,
    *,
    bands: Sequence[int] | None = None,
    min_age: int | None = None,
    max_age: int | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Uptake by age band.

    ``bands`` regroups the registered ages (start of each band, e.g. ``[13, 18, 25, 35, 45,
    55, 65, 75]``; the last is open); by default the bands of ``age_population`` are kept.
    ``min_age``/``max_age`` keep only eligible ages (a straddling band is trimmed pro rata).

    * If ``obs`` has an ``age_band`` column (a source that reports uptake by age) the
      numerators are the observed counts and ``method`` is ``"observed"``; the bands are then
      those of ``obs``.
    * Otherwise ``method`` is ``"ecological"``: each practice's uptake is shared across its
      eligible age bands in proportion to its registered patients in them.  **Assumption:**
      within a practice every age band takes the service up at the same rate, so the result
      only reflects how practices with older or younger lists differ -- it cannot show that,
      say, over-75s use the NHS App less than 20-year-olds at the same practice.  Use it as
      a screen, not as a measure of the age gradient.

    Denominators are the registered patients in the band at the practices observed.
    """
    _require(age_population, "age_population", ["practice", "age_band", "patients"])
    observed = "age_band" in obs.columns
    if observed:
        labels = pd.unique(obs["age_band"].astype(str))
        parsed = [(label, *_parse_band(label)) for label in labels]
        targets = sorted(parsed, key=lambda t: t[1])
    else:
        low, high = _band_limits(age_population)
        targets = _target_bands(bands, low, high)
    lo_limit = -math.inf if min_age is None else float(min_age)
    hi_limit = math.inf if max_age is None else float(max_age)

    low, high = _band_limits(age_population)
    patients = _numeric(age_population["patients"], "patients")
    panel = _panel(obs, None, extra_key="age_band" if observed else None)
    p_idx = panel.practices.get_indexer(age_population["practice"].astype(str))
    known = p_idx >= 0
    rows, cols, vals, kept_labels = [], [], [], []
    for j, (label, start, stop) in enumerate(targets):
        share = _share_in(low, high, max(start, lo_limit), min(stop, hi_limit))
        share = np.where(known, share, 0.0)
        hit = np.flatnonzero(share > 0)
        rows.append(p_idx[hit])
        cols.append(np.full(len(hit), j))
        vals.append(patients[hit] * share[hit])
        kept_labels.append(label)
    P = sparse.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(len(panel.practices), len(targets)),
    )
    if not observed:
        W, _ = _row_normalise(P)
        num = (panel.N @ W).toarray()
        den = (panel.M @ P).toarray()
        contributing = P.copy()
        contributing.data = (contributing.data > 0).astype(float)
        practices = (panel.M @ contributing).toarray()
        frame = panel.long(num, den, practices, kept_labels, "age_band", confidence)
        frame["method"] = "ecological"
        return frame
    # observed: keys include age_band; numerators per keys+band, denominators from P
    band_of_key = panel.key_frame["age_band"].astype(str).to_numpy()
    band_col = pd.Index(kept_labels).get_indexer(band_of_key)
    num_total = np.asarray(panel.N.sum(axis=1)).ravel()
    den_all = (panel.M @ P).toarray()
    den = den_all[np.arange(len(band_col)), band_col]
    practices = np.asarray(panel.M.sum(axis=1)).ravel()
    frame = panel.key_frame.drop(columns="age_band").copy()
    frame.insert(0, "group", band_of_key)
    frame.insert(0, "breakdown", "age_band")
    frame["numerator"] = num_total
    frame["denominator"] = den
    frame = frame.loc[frame["denominator"] > 0].reset_index(drop=True)
    frame = _with_rates(frame, confidence)
    frame["practices"] = practices[(den > 0)].astype(np.int64)
    frame["method"] = "observed"
    return frame


# --------------------------------------------------------------------------------------
# LSOA-based apportionment


def translate_lsoa(
    practice_lsoa: pd.DataFrame, lookup: pd.DataFrame, *, to: str = "2011"
) -> pd.DataFrame:
    """Practice populations moved between LSOA 2021 and LSOA 2011 codes through the ONS lookup
    (columns ``lsoa11``, ``lsoa21``).

    A code that maps to several codes of the other geography (a merge seen from 2021, a
    split seen from 2011, or an irregular change) shares its patients equally between them
    (the lookup has no populations).  Codes absent from the lookup are kept as they are.
    """
    _require(practice_lsoa, "practice_lsoa", ["practice", "lsoa", "patients"])
    _require(lookup, "lookup", ["lsoa11", "lsoa21"])
    if to not in ("2011", "2021"):
        raise ValueError("to is '2011' or '2021'")
    source, target = ("lsoa21", "lsoa11") if to == "2011" else ("lsoa11", "lsoa21")
    pairs = lookup[[source, target]].drop_duplicates()
    fan = pairs.groupby(source)[target].transform("size")
    pairs = pairs.assign(share=1.0 / fan.to_numpy())
    merged = practice_lsoa[["practice", "lsoa", "patients"]].merge(
        pairs, left_on="lsoa", right_on=source, how="left"
    )
    mapped = merged[target].notna()
    merged["new"] = np.where(mapped, merged[target], merged["lsoa"])
    merged["share"] = merged["share"].fillna(1.0)
    merged["patients"] = merged["patients"].astype(float) * merged["share"]
    out = merged.groupby(["practice", "new"], as_index=False, sort=True)["patients"].sum()
    out = out.rename(columns={"new": "lsoa"})
    out["geography_version"] = to
    return out


class _Residence:
    """``practice_lsoa`` factorized once against a panel's practices."""

    def __init__(self, practice_lsoa: pd.DataFrame, practices: pd.Index):
        _require(practice_lsoa, "practice_lsoa", ["practice", "lsoa", "patients"])
        p_codes, p_uniques = _factorize(practice_lsoa["practice"], sort=False)
        lookup = practices.get_indexer(pd.Index(np.asarray(p_uniques).astype(str)))
        if p_codes.min(initial=0) >= 0:
            self.p_idx = lookup[p_codes]
        else:
            self.p_idx = np.where(p_codes >= 0, lookup[np.maximum(p_codes, 0)], -1)
        self.l_codes, l_uniques = _factorize(practice_lsoa["lsoa"], sort=False)
        self.l_uniques = pd.Index(np.asarray(l_uniques).astype(str))
        self.patients = _numeric(practice_lsoa["patients"], "practice_lsoa patients")
        self.n_practices = len(practices)
        self.all_in_panel = bool(len(self.p_idx)) and self.p_idx.min() >= 0
        self._lookups: dict = {}
        self.version = None
        if "geography_version" in practice_lsoa.columns:
            versions = set(pd.unique(practice_lsoa["geography_version"].dropna()).astype(str))
            versions -= {""}
            self.version = versions.pop() if len(versions) == 1 else None

    def check(self, known: pd.Index, table_version: str | None, max_unmatched_share: float,
              what: str) -> dict:
        """Raise LSOAGeographyError when the panel practices' English LSOA codes do not match
        ``known`` (another geography), else the unmatched count and share."""
        english_u = np.char.startswith(np.asarray(self.l_uniques, dtype=str), "E01")
        known_u = self._lookup(known) >= 0
        if self.all_in_panel and self.l_codes.min(initial=0) >= 0:
            codes, patients = self.l_codes, self.patients
        else:
            in_panel = (self.p_idx >= 0) & (self.l_codes >= 0)
            codes = self.l_codes[in_panel]
            patients = self.patients[in_panel]
        english = english_u[codes]
        unmatched = english & ~known_u[codes]
        english_patients = patients[english].sum()
        share = patients[unmatched].sum() / english_patients if english_patients > 0 else 0.0
        n_uniques = len(self.l_uniques)
        n_codes = int(np.count_nonzero(np.bincount(codes[unmatched], minlength=n_uniques)))
        n_english = int(np.count_nonzero(np.bincount(codes[english], minlength=n_uniques)))
        mismatch = bool(table_version and self.version and self.version != table_version)
        if n_codes and (mismatch or share > max_unmatched_share):
            fix = (
                "Load the ONS LSOA (2011) to LSOA (2021) lookup (python manage.py "
                "import_reference lsoa_lookup FILE, columns LSOA11CD,LSOA21CD) and translate the "
                "practice populations with translate_lsoa()"
            )
            raise LSOAGeographyError(
                f"{n_codes:,} of the {n_english:,} English LSOA codes of the practices' patients "
                f"({share:.1%} of those patients) are not in the {what}"
                + (f" (practice file on LSOA {self.version}, {what} on LSOA {table_version})"
                   if mismatch else "")
                + f": deprivation is not attributed through them. {fix}."
            )
        return {"unmatched_codes": n_codes, "unmatched_share": share}

    def weights(self, lsoa_groups: sparse.csr_matrix, lsoa_index: pd.Index):
        """(practice x group weights summing to 1 over attributable patients, attributable
        patients, all patients) for the panel's practices."""
        if self.all_in_panel:
            total = np.bincount(self.p_idx, weights=self.patients, minlength=self.n_practices)
        else:
            in_panel = self.p_idx >= 0
            total = np.bincount(self.p_idx[in_panel], weights=self.patients[in_panel],
                                minlength=self.n_practices)
        l_lookup = self._lookup(lsoa_index)
        if self.l_codes.min(initial=0) >= 0 and l_lookup.min(initial=0) >= 0:
            l_idx = l_lookup[self.l_codes]
        else:
            l_idx = np.where(self.l_codes >= 0, l_lookup[np.maximum(self.l_codes, 0)], -1)
        if self.all_in_panel and l_idx.min(initial=0) >= 0:
            rows, cols, data = self.p_idx, l_idx, self.patients
        else:
            ok = (self.p_idx >= 0) & (l_idx >= 0)
            rows, cols, data = self.p_idx[ok], l_idx[ok], self.patients[ok]
        shape = (self.n_practices, len(lsoa_index))
        if len(rows) and (rows[1:] >= rows[:-1]).all():
            # rows already grouped by practice: the CSR arrays scipy would build from
            # (data, (rows, cols)), without its conversion from coordinates
            indptr = np.zeros(shape[0] + 1, dtype=np.int64)
            np.cumsum(np.bincount(rows, minlength=shape[0]), out=indptr[1:])
            A = sparse.csr_matrix((data, cols, indptr), shape=shape)
            A.sum_duplicates()
        else:
            A = sparse.csr_matrix((data, (rows, cols)), shape=shape)
        W, attributable = _row_normalise(sparse.csr_matrix(A @ lsoa_groups))
        return W, attributable, total

    def _lookup(self, index: pd.Index) -> np.ndarray:
        """index.get_indexer(the LSOA codes), once per index."""
        cached = self._lookups.get(id(index))
        if cached is None or cached[0] is not index:
            cached = self._lookups[id(index)] = (index, index.get_indexer(self.l_uniques))
        return cached[1]


def practice_deciles(
    scores: pd.DataFrame, n: int = 10, population: pd.DataFrame | None = None
) -> pd.Series:
    """Population-weighted n-tiles of practices by IMD score: 1 = most deprived.

    Practices are ranked by score (highest = most deprived first); each is placed by the
    midpoint of its cumulative share of the population, so each n-tile holds about 1/n of
    the registered patients.  Weights: ``scores["population"]``, else ``population``'s,
    else 1 per practice.  The n-tiles are relative to the practices given: pass every
    practice in England (e.g. the whole Fingertips export with list sizes) for national
    n-tiles comparable with LSOA deciles.
    """
    _require(scores, "practice_imd_score", ["practice", "imd_score"])
    frame = scores.dropna(subset=["imd_score"]).copy()
    frame["practice"] = frame["practice"].astype(str)
    if "population" in frame.columns:
        weights = pd.to_numeric(frame["population"], errors="coerce")
    elif population is not None:
        weights = frame["practice"].map(
            population.drop_duplicates("practice").set_index(
                population["practice"].astype(str).drop_duplicates().to_numpy()
            )["population"]
        )
    else:
        weights = pd.Series(1.0, index=frame.index)
    frame["w"] = weights.fillna(0).clip(lower=0).to_numpy(dtype=float)
    if frame["w"].sum() <= 0:
        frame["w"] = 1.0
    frame = frame.sort_values(["imd_score", "practice"], ascending=[False, True], kind="stable")
    w = frame["w"].to_numpy()
    mid = (np.cumsum(w) - w / 2.0) / w.sum()
    tile = np.clip(np.floor(mid * n).astype(int) + 1, 1, n)
    return pd.Series(tile, index=frame["practice"].to_numpy(), name=f"imd_{n}tile")


def by_deprivation(
    obs: pd.DataFrame,
    practice_lsoa: pd.DataFrame | None,
    lsoa_imd: pd.DataFrame | None,
    practice_imd_score: pd.DataFrame | None = None,
    *,
    population: pd.DataFrame | None = None,
    confidence: float = 0.95,
    max_unmatched_share: float = 0.02,
) -> pd.DataFrame:
    """Uptake by IMD decile and quintile (breakdowns ``imd_decile`` and ``imd_quintile``).

    **LSOA method** (``method`` ``"lsoa"``): each practice's uptake and eligible population
    are shared across the LSOAs its patients live in, in proportion to its registered
    patients there (``practice_lsoa``), and summed by the LSOAs' national IMD decile
    (``lsoa_imd``).  Patients in LSOAs without a decile (outside England, no LSOA recorded)
    are left out of the shares.

    **Practice-score method** (``"practice_score"``), for practices with no LSOA data: the
    whole practice goes to its population-weighted decile of practices by IMD score
    (``practice_deciles``; an ``imd_decile`` column in ``practice_imd_score`` is used as is).
    A row built from both is ``"mixed"``; ``lsoa_share`` is the share of its denominator
    that came through LSOAs.  ``attrs["practice_method"]`` gives each practice's method
    (``"none"``: neither data, left out) and ``attrs["method"]`` the overall one.

    Denominators: ``population`` (eligible) when given, else the patients in
    ``practice_lsoa`` (then fallback practices need ``population`` in
    ``practice_imd_score``).  Quintile q is deciles 2q-1 and 2q.

    Raises ``LSOAGeographyError`` when the practices' English LSOA codes do not match
    ``lsoa_imd``'s (LSOA 2021 codes against IMD 2019's LSOA 2011), naming how many and what
    to do, rather than attributing deprivation through the codes that match by chance.
    """
    panel = _panel(obs, population)
    n_p = len(panel.practices)
    method = np.full(n_p, "none", dtype=object)
    lsoa_pop = np.zeros(n_p)
    attrs: dict = {"unmatched_practices": panel.unmatched}
    if practice_lsoa is not None and lsoa_imd is not None and len(practice_lsoa):
        _require(practice_lsoa, "practice_lsoa", ["practice", "lsoa", "patients"])
        _require(lsoa_imd, "lsoa_imd", ["lsoa", "imd_decile"])
        imd = lsoa_imd.dropna(subset=["imd_decile"])
        lsoa_index = pd.Index(imd["lsoa"].astype(str))
        if lsoa_index.has_duplicates:
            raise ValueError("lsoa_imd has an LSOA more than once")
        deciles = imd["imd_decile"].to_numpy(dtype=int)
        if np.any((deciles < 1) | (deciles > 10)):
            raise ValueError("imd_decile must be 1 to 10")
        table_version = None
        if "geography_version" in imd.columns:
            versions = set(imd["geography_version"].dropna().astype(str)) - {""}
            table_version = versions.pop() if len(versions) == 1 else None
        residence = _Residence(practice_lsoa, panel.practices)
        attrs.update(residence.check(lsoa_index, table_version, max_unmatched_share,
                                     "IMD's LSOAs"))
        onehot = sparse.csr_matrix(
            (np.ones(len(deciles)), (np.arange(len(deciles)), deciles - 1)),
            shape=(len(deciles), 10),
        )
        W_lsoa, attributable, total = residence.weights(onehot, lsoa_index)
        has_lsoa = attributable > 0
        method[has_lsoa] = "lsoa"
        lsoa_pop = total
        with np.errstate(invalid="ignore", divide="ignore"):
            attrs["unattributed_share"] = pd.Series(
                np.where(total > 0, 1 - attributable / np.where(total > 0, total, 1), np.nan),
                index=panel.practices,
            )
    else:
        W_lsoa = sparse.csr_matrix((n_p, 10))
    fallback_pop = np.zeros(n_p)
    W_score = sparse.csr_matrix((n_p, 10))
    if practice_imd_score is not None and len(practice_imd_score):
        if "imd_decile" in practice_imd_score.columns:
            tiles = pd.Series(
                practice_imd_score["imd_decile"].to_numpy(dtype=float),
                index=practice_imd_score["practice"].astype(str).to_numpy(),
            ).dropna().astype(int)
        else:
            tiles = practice_deciles(practice_imd_score, 10, population)
        need = method == "none"
        tile_of = tiles.reindex(panel.practices).to_numpy(dtype=float)
        use = need & np.isfinite(tile_of)
        rows = np.flatnonzero(use)
        W_score = sparse.csr_matrix(
            (np.ones(len(rows)), (rows, tile_of[rows].astype(int) - 1)), shape=(n_p, 10)
        )
        method[use] = "practice_score"
        if "population" in practice_imd_score.columns:
            pops = pd.Series(
                pd.to_numeric(practice_imd_score["population"], errors="coerce").to_numpy(),
                index=practice_imd_score["practice"].astype(str).to_numpy(),
            )
            fallback_pop = pops.reindex(panel.practices).fillna(0).to_numpy(dtype=float)
    if panel.D is None:
        base = np.where(method == "lsoa", lsoa_pop, fallback_pop)
        no_base = (base <= 0) & (method != "none")
        if no_base.any():
            # a practice with no population to divide by is left out, numerator too
            method[no_base] = "none"
            keep = sparse.diags((~no_base).astype(float))
            W_lsoa = sparse.csr_matrix(keep @ W_lsoa)
            W_score = sparse.csr_matrix(keep @ W_score)
        D = sparse.csr_matrix(panel.M.multiply(base[np.newaxis, :]))
    else:
        D = panel.D
    W = sparse.csr_matrix(W_lsoa + W_score)
    num, den, practices = panel.apply(W, D)
    den_lsoa = (D @ W_lsoa).toarray()
    frames = []
    for breakdown, n_groups in (("imd_decile", 10), ("imd_quintile", 5)):
        if n_groups == 5:
            fold = sparse.csr_matrix(
                (np.ones(10), (np.arange(10), np.arange(10) // 2)), shape=(10, 5)
            )
            n_, d_, dl_ = num @ fold, den @ fold, den_lsoa @ fold
            # a practice spread over both deciles of a quintile counts once
            p_ = panel.count_practices((W @ fold) > 0)
        else:
            n_, d_, dl_, p_ = num, den, den_lsoa, practices
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(d_ > 0, dl_ / np.where(d_ > 0, d_, 1), np.nan)
        frame = panel.long(n_, d_, p_, np.arange(1, n_groups + 1), breakdown, confidence,
                           extra={"lsoa_share": share})
        frame["method"] = _labels(
            np.select([frame["lsoa_share"] >= 1 - 1e-9, frame["lsoa_share"] <= 1e-9], [0, 1], 2),
            ["lsoa", "practice_score", "mixed"],
        )
        frames.append(frame)
    result = _concat(frames)
    used = set(method) - {"none"}
    attrs["practice_method"] = pd.Series(method, index=panel.practices, name="method")
    attrs["method"] = ("none" if not used else used.pop() if len(used) == 1 else "mixed")
    result.attrs.update(attrs)
    return result


def by_breakdown(
    obs: pd.DataFrame,
    practice_lsoa: pd.DataFrame,
    breakdown: pd.DataFrame,
    *,
    population: pd.DataFrame | None = None,
    dataset: str | None = None,
    confidence: float = 0.95,
    max_unmatched_share: float = 0.05,
) -> pd.DataFrame:
    """Uptake by the categories of an LSOA breakdown (ethnic group, main language, rural/urban
    class ...), by ecological apportionment.

    Each practice's uptake and eligible population are shared across its LSOAs in proportion
    to its registered patients there, and each LSOA's share across its categories in
    proportion to the breakdown's counts (residents of the LSOA in the category): weight of
    category c for practice p = sum over LSOAs l of patients(p, l) * count(l, c) / count(l),
    over the patients in LSOAs the breakdown covers.  **Assumption:** a practice's patients
    in an LSOA have the LSOA's resident mix and all take the service up at the practice's
    rate; the result shows whether practices serving, say, more Bangladeshi residents have
    lower uptake, not individual-level differences.  ``method`` is ``"ecological"``.

    Denominators: ``population`` when given, else the patients in ``practice_lsoa``.  The
    breakdown and ``practice_lsoa`` must be on the same LSOA geography (``translate_lsoa``).
    """
    _require(practice_lsoa, "practice_lsoa", ["practice", "lsoa", "patients"])
    _require(breakdown, "breakdown", ["lsoa", "category", "count"])
    name = dataset
    if name is None and "dataset" in breakdown.columns:
        names = pd.unique(breakdown["dataset"])
        if len(names) > 1:
            raise ValueError("breakdown holds several data sets; pass one (or dataset=...)")
        name = str(names[0]) if len(names) else "breakdown"
    name = name or "breakdown"
    panel = _panel(obs, population)
    counts = _numeric(breakdown["count"], "breakdown count")
    l_codes, lsoa_index = pd.factorize(breakdown["lsoa"].astype(str), sort=True)
    c_codes, categories = pd.factorize(breakdown["category"].astype(str), sort=True)
    C = sparse.csr_matrix((counts, (l_codes, c_codes)), shape=(len(lsoa_index), len(categories)))
    S, lsoa_total = _row_normalise(C)
    lsoa_index = pd.Index(lsoa_index)
    covered = lsoa_index[lsoa_total > 0]
    residence = _Residence(practice_lsoa, panel.practices)
    table_version = None
    if "geography_version" in breakdown.columns:
        versions = set(breakdown["geography_version"].dropna().astype(str)) - {""}
        table_version = versions.pop() if len(versions) == 1 else None
    check = residence.check(pd.Index(covered), table_version, max_unmatched_share,
                            f"{name} breakdown")
    W, attributable, total = residence.weights(S, lsoa_index)
    if panel.D is None:
        D = sparse.csr_matrix(panel.M.multiply(total[np.newaxis, :]))
    else:
        D = panel.D
    num, den, practices = panel.apply(W, D)
    frame = panel.long(num, den, practices, np.asarray(categories, dtype=object), name,
                       confidence)
    frame["method"] = "ecological"
    frame.attrs.update(check)
    frame.attrs["unmatched_practices"] = panel.unmatched
    frame.attrs["practices_without_lsoa"] = list(panel.practices[attributable <= 0])
    return frame


# --------------------------------------------------------------------------------------
# gaps


def _group_keys(frame: pd.DataFrame) -> list[str]:
    return [k for k in KEYS if k in frame.columns]


def _ics_reference(rates: pd.DataFrame) -> pd.DataFrame:
    ics = rates.loc[(rates["breakdown"] == "ics").to_numpy()]
    if ics.empty:
        raise ValueError("rates has no ICS rows: run uptake_rates with 'ics' among the levels")
    keys = _group_keys(rates)
    ref = ics[keys + ["numerator", "denominator", "rate"]].rename(
        columns={"numerator": "ics_numerator", "denominator": "ics_denominator",
                 "rate": "ics_rate"}
    ).reset_index(drop=True)
    for key in keys:
        ref[key] = np.asarray(ref[key], dtype=object)
    return ref


def _match_keys(frame: pd.DataFrame, ref: pd.DataFrame, keys: list[str]) -> np.ndarray:
    """For each row of ``frame``, the row of ``ref`` with the same keys (-1 if none)."""
    if not keys:
        return np.zeros(len(frame), dtype=np.int64)
    codes, uniques = _factorize_rows(frame, keys, categorical=False)
    ref_index = pd.MultiIndex.from_arrays([ref[k].to_numpy() for k in keys])
    if ref_index.has_duplicates:
        raise ValueError("the ICS reference has more than one row for the same keys")
    positions = ref_index.get_indexer(
        pd.MultiIndex.from_arrays([uniques[k].to_numpy() for k in keys])
    )
    return positions[codes]


def compare_communities(
    communities: pd.DataFrame,
    rates: pd.DataFrame,
    *,
    confidence: float = 0.95,
    best_share: float = 0.2,
) -> pd.DataFrame:
    """Each community's rate against the ICS and against the best-served fifth.

    ``communities``: any of this module's outputs; ``rates``: the output of ``uptake_rates``
    with its ``ics`` rows (the reference, matched on the keys).

    *Against the ICS* (as Fingertips compares an area with England, the ICS value treated as
    a fixed benchmark): ``ratio_ics = rate / ics_rate`` and ``difference_ics = rate -
    ics_rate``, each with the community's Wilson limits carried over; ``vs_ics`` is
    ``lower``/``higher`` when the community's interval excludes the ICS rate, else
    ``similar``.

    *Against the best-served fifth*: within each breakdown and month the communities are
    ranked by rate and pooled from the top until they hold ``best_share`` of the denominator
    (the community that crosses the line is included); ``best_rate`` is the pooled rate.
    ``ratio_best`` has a log (Katz) interval, ``exp(ln RR +/- z sqrt(1/x1 - 1/n1 + 1/x2 -
    1/n2))`` (0.5 added to both counts of a comparison with a zero count);
    ``difference_best`` has Newcombe's hybrid score interval (method 10 of Newcombe 1998,
    from the two Wilson intervals).  These treat the two as independent samples;
    ``in_best`` marks members of the pool, whose comparison is with a pool that contains
    them.  ``vs_best`` is ``lower``/``similar`` from the difference's interval.
    """
    keys = _group_keys(communities)
    den_all = communities["denominator"].to_numpy(dtype=float)
    keep = (communities["breakdown"] != "ics").to_numpy() & (den_all > 0)
    frame = (communities if keep.all() else communities.loc[keep]).reset_index(drop=True)
    if frame.empty:
        return frame
    ref = _ics_reference(rates)
    ref_keys = [k for k in keys if k in ref.columns]
    pos = _match_keys(frame, ref, ref_keys)
    found = pos >= 0
    take = np.maximum(pos, 0)
    for col in ("ics_numerator", "ics_denominator", "ics_rate"):
        frame[col] = np.where(found, ref[col].to_numpy(dtype=float)[take], np.nan)
    z = _norm_ppf(0.5 + confidence / 2)
    x1 = frame["numerator"].to_numpy(dtype=float)
    n1 = frame["denominator"].to_numpy(dtype=float)
    p = frame["rate"].to_numpy(dtype=float)
    lo = frame["lower"].to_numpy(dtype=float)
    up = frame["upper"].to_numpy(dtype=float)
    p0 = frame["ics_rate"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["ratio_ics"] = p / p0
        frame["ratio_ics_lower"] = lo / p0
        frame["ratio_ics_upper"] = up / p0
    frame["difference_ics"] = p - p0
    frame["difference_ics_lower"] = lo - p0
    frame["difference_ics_upper"] = up - p0
    frame["vs_ics"] = _labels(np.select([up < p0, lo > p0], [0, 1], 2),
                              ["lower", "higher", "similar"])

    # best-served fifth of each breakdown and keys: sort by rate, highest first
    gid, _ = _factorize_rows(frame, ["breakdown"] + keys)
    n_groups = int(gid.max()) + 1
    order = _order_within(gid, -p)
    gid_sorted = gid[order]
    den_sorted = n1[order]
    cum = np.cumsum(den_sorted)
    first = np.searchsorted(gid_sorted, np.arange(n_groups))
    before_group = (cum - den_sorted)[first]
    prior = cum - den_sorted - before_group[gid_sorted]
    totals = np.bincount(gid, weights=n1, minlength=n_groups)
    in_best = np.empty(len(frame), dtype=bool)
    in_best[order] = prior < best_share * totals[gid_sorted]
    frame["in_best"] = in_best
    best_num = np.bincount(gid, weights=np.where(in_best, x1, 0.0), minlength=n_groups)
    best_den = np.bincount(gid, weights=np.where(in_best, n1, 0.0), minlength=n_groups)
    frame["best_numerator"] = x2 = best_num[gid]
    frame["best_denominator"] = n2 = best_den[gid]
    frame["best_groups"] = np.bincount(gid, weights=in_best, minlength=n_groups)[gid].astype(
        np.int64)
    x1c, x2c = np.minimum(x1, n1), np.minimum(x2, n2)
    frame["best_rate"] = x2 / n2
    pool_lower, pool_upper = _wilson(np.minimum(best_num, best_den), best_den, confidence)
    l2, u2 = pool_lower[gid], pool_upper[gid]
    with np.errstate(divide="ignore", invalid="ignore"):
        zero = (x1c == 0) | (x2c == 0)
        a = np.where(zero, x1c + 0.5, x1c)
        b = np.where(zero, x2c + 0.5, x2c)
        na = np.where(zero, n1 + 0.5, n1)
        nb = np.where(zero, n2 + 0.5, n2)
        log_rr = np.log((a / na) / (b / nb))
        se = np.sqrt(np.maximum(1 / a - 1 / na + 1 / b - 1 / nb, 0))
        frame["ratio_best"] = (x1 / n1) / (x2 / n2)
        frame["ratio_best_lower"] = np.exp(log_rr - z * se)
        frame["ratio_best_upper"] = np.exp(log_rr + z * se)
    p1, p2 = x1c / n1, x2c / n2
    l1, u1 = lo, up  # the community's own Wilson limits (numerator capped at n)
    d = p1 - p2
    frame["difference_best"] = x1 / n1 - x2 / n2
    frame["difference_best_lower"] = d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    frame["difference_best_upper"] = d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    frame["vs_best"] = _labels((frame["difference_best_upper"].to_numpy() >= 0).astype(int),
                               ["lower", "similar"])
    return frame


def _month_numbers(values: np.ndarray) -> np.ndarray:
    """Months since year 0 of period values (dates, pandas Periods or ``YYYY-MM`` text)."""
    return np.array(_months_of_text(tuple(str(v) for v in values)), dtype=float)


@functools.lru_cache(maxsize=256)
def _months_of_text(texts: tuple[str, ...]) -> tuple[float, ...]:
    # remembered: the same few month labels are parsed by every trend and funnel, and
    # parsing with format="mixed" costs milliseconds however short the list
    stamps = pd.to_datetime(pd.Series(list(texts)), errors="coerce", format="mixed")
    if stamps.isna().any():
        raise ValueError("period values must be dates or YYYY-MM text for a trend")
    return tuple((stamps.dt.year * 12 + stamps.dt.month - 1).to_numpy(dtype=float))


def trend(
    frame: pd.DataFrame,
    value: str = "rate",
    *,
    lower: str = "lower",
    upper: str = "upper",
    by: Sequence[str] | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Linear trend of ``value`` over months, per series (weighted least squares).

    Series: ``by`` (default: breakdown, group and the keys other than period).  Weights are
    1 / se^2 with se = (upper - lower) / (2 x 1.96) (equal weights for a series where that
    is not positive or missing); the residual variance is estimated (scale = weighted
    residual sum of squares / (n - 2)) so over-dispersion widens the interval, and the
    interval is Student's t with n - 2 degrees of freedom -- the same as an ordinary WLS fit
    (statsmodels ``WLS``).  Returns ``slope`` per month, ``slope_per_year``,
    ``slope_lower``/``slope_upper``, ``p_value``, ``months`` and ``first_period``/
    ``last_period``; series with fewer than 3 months have no slope (NaN).
    """
    if "period" not in frame.columns:
        raise ValueError("a trend needs a period column")
    if by is None:
        by = [c for c in ("breakdown", "group") if c in frame.columns] + [
            k for k in KEYS if k in frame.columns and k != "period"
        ]
    by = list(by)
    y_all = pd.to_numeric(frame[value], errors="coerce").to_numpy(dtype=float)
    finite = np.isfinite(y_all)
    every = bool(finite.all())
    data = frame if every else frame.loc[finite]
    columns = by + ["slope", "slope_per_year", "slope_lower", "slope_upper", "p_value",
                    "months", "first_period", "last_period"]
    if data.empty:
        return pd.DataFrame(columns=columns)
    y = y_all if every else y_all[finite]
    sid, series = _factorize_rows(data, by)
    n_series = len(series)
    pcode, puniques = _factorize_rows(data, ["period"], categorical=False)
    labels = puniques["period"].to_numpy()
    months = _month_numbers(labels)
    x = months[pcode]
    z95 = _norm_ppf(0.975)
    # the arithmetic below runs in a few reused buffers (the frame can have a million rows):
    # the same operations, in the same order, as the plain expressions in the comments
    if lower in data.columns and upper in data.columns:
        # se = (upper - lower) / (2 z95)
        se = np.subtract(pd.to_numeric(data[upper], errors="coerce").to_numpy(dtype=float),
                         pd.to_numeric(data[lower], errors="coerce").to_numpy(dtype=float))
        se /= 2 * z95
    else:
        se = np.full(len(data), np.nan)
    usable = np.isfinite(se) & (se > 0)
    if usable.all():
        w = np.square(se, out=se)  # w = 1 / se**2
        np.divide(1.0, w, out=w)
    else:
        w = np.where(usable, 1.0 / np.where(usable, se, 1.0) ** 2, 1.0)
        bad = np.bincount(sid, weights=~usable, minlength=n_series) > 0
        w = np.where(bad[sid], 1.0, w)
    del se, usable

    def total(values):
        return np.bincount(sid, weights=values, minlength=n_series)

    n = np.bincount(sid, minlength=n_series)
    sw = total(w)
    buf = np.multiply(w, x)
    xbar = total(buf) / sw  # sum(w x) / sum(w)
    np.multiply(w, y, out=buf)
    ybar = total(buf) / sw
    dx = np.take(xbar, sid)
    np.subtract(x, dx, out=dx)  # dx = x - xbar[sid]
    dy = np.take(ybar, sid)
    np.subtract(y, dy, out=dy)  # dy = y - ybar[sid]
    w_dx = np.multiply(w, dx, out=buf)
    product = np.multiply(w_dx, dx)
    sxx = total(product)  # sum(w dx dx)
    np.multiply(w_dx, dy, out=product)
    sxy = total(product)  # sum(w dx dy)
    enough = (n >= 3) & (sxx > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = np.where(enough, sxy / sxx, np.nan)
        residual = np.take(slope, sid, out=product)  # w (dy - slope[sid] dx)**2
        residual *= dx
        np.subtract(dy, residual, out=residual)
        np.square(residual, out=residual)
        np.multiply(w, residual, out=residual)
        rss = total(residual)
        del buf, product, residual, dx, dy, w
        dof = np.where(enough, n - 2, np.nan)
        se_b = np.sqrt(rss / dof / sxx)
        dof_used = np.where(enough, dof, 1)
        dof_values, dof_codes = np.unique(dof_used, return_inverse=True)
        tcrit = _sps.t.ppf(0.5 + confidence / 2, dof_values)[dof_codes]
        # 2 x Student's t survival function (scipy.stats.t.sf is stdtr(df, -t))
        p_value = np.where(enough, 2 * _special.stdtr(dof_used, -np.abs(slope / se_b)), np.nan)
    # first and last month of each series, from which months each series has
    n_periods = len(labels)
    by_month = np.argsort(months, kind="stable")
    sid *= n_periods  # sid is not needed after this: its buffer is reused
    sid += pcode
    seen = (np.bincount(sid, minlength=n_series * n_periods) > 0)
    seen = seen.reshape(n_series, n_periods)[:, by_month]
    first_label = labels[by_month][seen.argmax(axis=1)]
    last_label = labels[by_month][n_periods - 1 - seen[:, ::-1].argmax(axis=1)]
    out = series.copy()
    out["slope"] = slope
    out["slope_per_year"] = slope * 12
    out["slope_lower"] = np.where(enough, slope - tcrit * se_b, np.nan)
    out["slope_upper"] = np.where(enough, slope + tcrit * se_b, np.nan)
    out["p_value"] = p_value
    out["months"] = n.astype(np.int64)
    out["first_period"] = first_label
    out["last_period"] = last_label
    return out


def sii_by_period(
    deciles: pd.DataFrame,
    *,
    reps: int = 10_000,
    seed: int | None = 0,
    confidence: float = 0.95,
    workers: int | None = None,
) -> pd.DataFrame:
    """Slope and relative index of inequality across IMD deciles, per month (and service...).

    Uses ``inclusion.stats.sii`` (as OHID's ``phe_sii``) on the decile rows of
    ``by_deprivation`` with ``value_type="proportion"``: the values are the deciles'
    rates, the populations their denominators and the standard errors come from their 95%
    Wilson limits (on the logit scale, as ``phe_sii`` derives them); ``reps`` Monte Carlo
    draws give the limits (the same ``seed`` for every month).  Decile 1 (most deprived) is
    first, so a positive SII is higher uptake in less deprived areas: the modelled gap, in
    rate units, between the most and least deprived ends; RII is the modelled
    least-deprived rate over the most-deprived one.

    A decile with no denominator is left out (``deciles_used`` < 10; fewer than 5 gives no
    SII).  When a decile's rate is 0 or 1 (a logit cannot be taken) the month is computed
    with ``value_type="other"`` and se = (upper - lower) / (2 x 1.96); ``value_type`` says
    which.

    The months are computed together by ``inclusion.stats.sii_batch``, which gives exactly
    what ``sii`` gives month by month: with a seed, every month's Monte Carlo draws are
    ``default_rng(seed)``'s, so the standard normal draws are made once and shared.
    ``workers`` > 1 splits the months among that many threads (numpy releases the GIL);
    the default is the number of CPUs, at most 4.
    """
    mask = deciles["denominator"].to_numpy(dtype=float) > 0
    if "breakdown" in deciles:
        mask &= (deciles["breakdown"] == "imd_decile").to_numpy()
    data = deciles.loc[mask]
    keys = _group_keys(data)
    names = ("sii", "rii", "intercept", "sii_lower", "sii_upper", "rii_lower", "rii_upper")
    if data.empty:
        return pd.DataFrame(columns=keys + ["deciles_used", *names, "value_type"])
    kc, kframe = _factorize_rows(data, keys, categorical=False)
    n_keys = len(kframe)
    order = np.lexsort((pd.to_numeric(np.asarray(data["group"])), kc))
    used = np.bincount(kc[order], minlength=n_keys)
    starts = np.cumsum(used) - used
    den = data["denominator"].to_numpy(dtype=float)[order]
    x = np.minimum(data["numerator"].to_numpy(dtype=float)[order], den)
    lo, up = stats.wilson_ci(x, den, 0.95)
    y = x / den
    interior = np.bincount(kc[order], weights=(y > 0) & (y < 1), minlength=n_keys) == used
    types = np.where(interior, "proportion", "other").astype(object)
    types[used < 5] = None
    z95 = _norm_ppf(0.975)

    # one batch per number of deciles and value type, split among the workers
    workers = min(os.cpu_count() or 1, 4) if workers is None else max(int(workers), 1)
    jobs = []
    for k in np.unique(used[used >= 5]):
        for proportion in (True, False):
            months = np.flatnonzero((used == k) & (interior == proportion))
            pieces = workers if len(months) >= 2 * workers else 1
            jobs.extend((part, proportion) for part in np.array_split(months, pieces)
                        if len(part))

    def run(job):
        months, proportion = job
        rows = starts[months][:, np.newaxis] + np.arange(used[months[0]])
        if proportion:
            return months, stats.sii_batch(
                y[rows], den[rows], lower=lo[rows], upper=up[rows], value_type="proportion",
                confidence=confidence, reps=reps, seed=seed)
        se = (up[rows] - lo[rows]) / (2 * z95)
        return months, stats.sii_batch(y[rows], den[rows], se=se, value_type="other",
                                       confidence=confidence, reps=reps, seed=seed)

    if workers > 1 and len(jobs) > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            done = list(pool.map(run, jobs))
    else:
        done = [run(job) for job in jobs]
    out = kframe.copy()
    out["deciles_used"] = used
    for name in names:
        column = np.full(n_keys, np.nan)
        for months, result in done:
            column[months] = result[name]
        out[name] = column
    out["value_type"] = list(types)
    return out


def latest_period(frame: pd.DataFrame):
    """The latest value of ``frame["period"]`` (by month, whatever its type)."""
    column = frame["period"]
    if isinstance(column.dtype, pd.CategoricalDtype):
        # the categories present, without materialising a label per row
        codes = column.cat.codes.to_numpy()
        if len(codes) and codes.min() >= 0:
            present = np.bincount(codes, minlength=len(column.cat.categories)) > 0
            labels = np.asarray(column.cat.categories, dtype=object)[present]
            months = _month_numbers(labels)
            if np.count_nonzero(months == months.max()) == 1:
                return labels[int(np.argmax(months))]
        # labels written differently for the same month: the first seen, as below
    labels = pd.unique(np.asarray(column, dtype=object))
    return labels[int(np.argmax(_month_numbers(labels)))]


def funnel(
    rates: pd.DataFrame, *, levels: Sequence[float] = (0.95, 0.998), period=None
) -> pd.DataFrame:
    """Funnel-plot data of practices around the ICS rate, per month (and service ...);
    ``period`` keeps one month (``latest_period(rates)`` for the latest).

    For each practice row of ``rates``: the ICS rate ``p0`` of the same keys, the control
    limits for its denominator (``inclusion.stats.funnel_limits``: ``lower_95``,
    ``upper_95``, ``lower_99_8``, ``upper_99_8``), ``expected = p0 * denominator``,
    ``oe_ratio = numerator / expected``, ``z = (rate - p0) / sqrt(p0 (1 - p0) / n)`` and
    ``outlier``: ``low_99_8`` (below the 99.8% lower limit), ``low_95``, ``high_95``,
    ``high_99_8`` or ``within``.
    """
    keys = _group_keys(rates)
    if period is not None:
        rates = rates.loc[(rates["period"] == period).to_numpy()]
    den_all = rates["denominator"].to_numpy(dtype=float)
    wanted = [c for c in ["breakdown", "group", "name", *keys, "numerator", "denominator",
                          "rate", "lower", "upper"] if c in rates.columns]
    frame = rates.loc[(rates["breakdown"] == "practice").to_numpy() & (den_all > 0), wanted]
    frame = frame.reset_index(drop=True)
    ref = _ics_reference(rates)
    ref_keys = [k for k in keys if k in ref.columns]
    pos = _match_keys(frame, ref, ref_keys)
    p0_all = np.where(pos >= 0, ref["ics_rate"].to_numpy(dtype=float)[np.maximum(pos, 0)],
                      np.nan)
    frame["p0"] = p0_all
    n = frame["denominator"].to_numpy(dtype=float)
    order = np.argsort(pos, kind="stable")
    pos_sorted = pos[order]
    starts = np.flatnonzero(np.r_[True, pos_sorted[1:] != pos_sorted[:-1]])
    ends = np.r_[starts[1:], len(order)]
    limits: dict[str, np.ndarray] = {}
    for start, end in zip(starts, ends, strict=True):
        idx = order[start:end]
        p0 = p0_all[idx[0]]
        if not np.isfinite(p0):
            continue
        table = stats.funnel_limits(n[idx], min(max(float(p0), 0.0), 1.0), levels)
        for col in table.columns:
            if col == "n":
                continue
            if col not in limits:
                limits[col] = np.full(len(frame), np.nan)
            limits[col][idx] = table[col].to_numpy()
    for col, values in limits.items():
        frame[col] = values
    p0 = np.clip(p0_all, 0, 1)
    x = frame["numerator"].to_numpy(dtype=float)
    rate = frame["rate"].to_numpy(dtype=float)
    frame["expected"] = expected = p0 * n
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["oe_ratio"] = x / expected
        sd = np.sqrt(p0 * (1 - p0) / n)
        frame["z"] = np.where(sd > 0, (rate - p0) / sd, np.nan)
    conditions, labels = [], []
    for level, side in sorted(((lv, s) for lv in levels for s in ("low", "high")),
                              key=lambda item: (item[1] != "low", -item[0])):
        label = stats._level_label(level)
        name = f"{'lower' if side == 'low' else 'upper'}_{label}"
        if name not in frame.columns:
            continue
        limit = frame[name].to_numpy(dtype=float)
        conditions.append(rate < limit if side == "low" else rate > limit)
        labels.append(f"{side}_{label}")
    codes = np.select(conditions, list(range(len(labels))), len(labels)) if conditions else 0
    frame["outlier"] = _labels(np.broadcast_to(codes, len(frame)), [*labels, "within"])
    return frame


def lowest_relative(funnel_frame: pd.DataFrame, top_n: int = 10) -> pd.DataFrame:
    """The ``top_n`` practices with the lowest z-score (uptake furthest below what the ICS
    rate predicts for their size) per month and service, lowest first."""
    keys = _group_keys(funnel_frame)
    z = funnel_frame["z"].to_numpy(dtype=float)
    kc, _ = _factorize_rows(funnel_frame, keys)
    finite = np.flatnonzero(np.isfinite(z))
    kc_f = kc[finite]
    by_key = finite[np.argsort(kc_f.astype(np.uint16) if len(kc_f) and kc_f.max() < 2**16
                               else kc_f, kind="stable")]
    sorted_keys = kc[by_key]
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]]) if len(by_key) \
        else np.array([], dtype=np.int64)
    ends = np.r_[starts[1:], len(by_key)]
    chosen = []
    for start, end in zip(starts, ends, strict=True):
        rows = by_key[start:end]
        if len(rows) > top_n:
            rows = rows[np.argpartition(z[rows], top_n - 1)[:top_n]]
        chosen.append(rows[np.argsort(z[rows], kind="stable")])
    picked = np.concatenate(chosen) if chosen else np.array([], dtype=np.int64)
    return funnel_frame.iloc[picked].reset_index(drop=True)


def gaps(
    rates: pd.DataFrame,
    deciles: pd.DataFrame | None = None,
    communities: Sequence[pd.DataFrame] = (),
    *,
    reps: int = 10_000,
    seed: int | None = 0,
    confidence: float = 0.95,
    top_n: int = 10,
    compare_practices: bool = False,
    funnel_period="latest",
) -> dict[str, pd.DataFrame]:
    """Where the gaps are, whether they are real and whether they are closing.

    ``rates``: ``uptake_rates`` output (with ``practice`` and ``ics`` levels); ``deciles``:
    ``by_deprivation`` output; ``communities``: further outputs (``by_age_band``,
    ``by_breakdown``...).  Returns a dict of frames:

    * ``compare`` -- ``compare_communities`` of every community (PCNs, places, deciles,
      quintiles, age bands, breakdowns; practices too with ``compare_practices=True``)
      against the ICS and the best-served fifth.  Practices are compared with the ICS by the
      funnel below, which is the right tool for thousands of units of very different size;
    * ``sii`` -- ``sii_by_period`` (``reps`` Monte Carlo draws, default 10,000);
    * ``sii_trend`` -- ``trend`` of the SII over months (per service ...);
    * ``rate_trend`` -- ``trend`` of every community's rate, the ICS's included;
    * ``funnel`` -- ``funnel`` of practices around the ICS rate, for ``funnel_period``: the
      latest month by default (a funnel plot is a cross-section; the trend of every
      practice's rate is in ``rate_trend``), a given period, or ``None`` for every month;
    * ``outliers`` -- the funnel rows below the 99.8% lower limit (named when ``rates``
      has ``name``);
    * ``lowest`` -- ``lowest_relative`` (``top_n`` per month and service).

    The SIIs (the costliest part: ``reps`` draws for every month and service) are computed
    in a background thread while the rest runs.
    """
    others = [deciles] if deciles is not None and len(deciles) else []
    others.extend(frame for frame in communities if len(frame))
    # compare_communities leaves out the ICS rows (the reference) itself: leaving them out
    # here too saves it a second copy of the frame
    breakdown = rates["breakdown"]
    left_out = (breakdown == "ics").to_numpy()
    if not compare_practices:
        left_out = left_out | (breakdown == "practice").to_numpy()
    organisations = rates.loc[~left_out]
    compared = [organisations, *others]
    out: dict[str, pd.DataFrame] = {}
    with ThreadPoolExecutor(max_workers=1) as background:
        sii_job = None
        if deciles is not None and len(deciles):
            sii_job = background.submit(sii_by_period, deciles, reps=reps, seed=seed,
                                        confidence=confidence)
        out["compare"] = _concat([compare_communities(part, rates, confidence=confidence)
                                  for part in compared if len(part)])
        if "period" in rates.columns:
            out["rate_trend"] = _concat([trend(part, confidence=confidence)
                                         for part in [rates, *others] if len(part)])
        if funnel_period == "latest":
            funnel_period = latest_period(rates) if "period" in rates.columns else None
        fun = funnel(rates, period=funnel_period)
        out["funnel"] = fun
        out["outliers"] = fun.loc[(fun["outlier"] == "low_99_8").to_numpy()].reset_index(
            drop=True)
        out["lowest"] = lowest_relative(fun, top_n)
        if sii_job is not None:
            sii = sii_job.result()
            out["sii"] = sii
            if "period" in sii.columns and sii["sii"].notna().any():
                out["sii_trend"] = trend(
                    sii, "sii", lower="sii_lower", upper="sii_upper",
                    by=[k for k in KEYS if k in sii.columns and k != "period"],
                    confidence=confidence,
                )
    return out


# --------------------------------------------------------------------------------------
# disclosure control

COUNT_COLUMNS = ("numerator", "denominator", "count", "patients", "population", "observed",
                 "best_numerator", "best_denominator", "ics_numerator", "ics_denominator")
RATE_COLUMNS = ("rate", "lower", "upper", "oe_ratio", "z", "lsoa_share")
RATE_PREFIXES = ("rate_", "ratio_", "difference_")
SUPPRESSED = "*"


def disclose(
    df: pd.DataFrame,
    exact: bool,
    *,
    counts: Sequence[str] | None = None,
    rates: Sequence[str] | None = None,
    numerator: str = "numerator",
) -> pd.DataFrame:
    """The frame as it may be shown: exact for staff with the inclusion role, else with
    DESIGN's disclosure control (NHS England's published-statistics convention).

    ``exact=True`` returns an unchanged copy.  Otherwise every count column (``counts``;
    default: those of ``COUNT_COLUMNS`` present) is passed through
    ``inclusion.stats.suppress_count`` -- counts from 1 to 7 (after apportionment, any
    value above 0 and at most 7) become ``"*"``, 0 stays 0, others are rounded to the
    nearest 5 -- and every rate column (``rates``; default: ``RATE_COLUMNS`` and columns
    starting ``rate_``, ``ratio_`` or ``difference_``), already computed from the unrounded
    counts, is withheld (``"*"``) on rows whose ``numerator`` is suppressed.  Every other
    figure is published to a fixed number of decimals (``_decimals``), so that no figure
    gives back the exact counts.  Missing values stay missing.  Count and withheld-rate
    columns become object columns.
    """
    out = df.copy()
    if exact:
        return out
    if counts is None:
        counts = [c for c in COUNT_COLUMNS if c in out.columns]
    if rates is None:
        rates = [c for c in out.columns
                 if c in RATE_COLUMNS or (isinstance(c, str) and c.startswith(RATE_PREFIXES))]
    suppressed = np.zeros(len(out), dtype=bool)
    if numerator in out.columns:
        values = pd.to_numeric(out[numerator], errors="coerce").to_numpy(dtype=float)
        suppressed = np.isfinite(values) & (values > 0) & (values <= 7)
    for col in counts:
        values = pd.to_numeric(out[col], errors="coerce")
        present = values.notna().to_numpy()
        result = pd.Series([None] * len(out), index=out.index, dtype=object)
        if present.any():
            result[present] = stats.suppress_count(values[present].to_numpy(dtype=float))
        out[col] = result
    for col in out.columns:
        if col not in counts:
            out[col] = _published_precision(out[col], col)
    for col in rates:
        if col not in out.columns:
            continue
        column = out[col].astype(object)
        column[suppressed] = SUPPRESSED
        out[col] = column
    return out


def _decimals(column: str) -> int:
    """Decimals a figure is published to. Every figure here is worked out from the exact
    counts, so at full precision a rate, a confidence limit or a z-score gives them back
    (a rate to 16 digits and a count rounded to 5 pin down both counts); published to these
    decimals, each fits hundreds of possible counts."""
    if column == "z":
        return 1
    if column.startswith(("rii", "oe_ratio", "ratio_")):
        return 2
    return 3  # proportions: to a tenth of a percentage point


def _published_precision(series: pd.Series, column) -> pd.Series:
    """Floats rounded to the column's published decimals; anything else unchanged."""
    if not isinstance(column, str):
        return series
    places = _decimals(column)
    if pd.api.types.is_float_dtype(series.dtype):
        return series.round(places)
    if series.dtype == object:
        return series.map(lambda v: round(v, places) if isinstance(v, float) else v)
    return series
