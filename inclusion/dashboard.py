"""The inclusion dashboard's figures: reads the database (``inclusion.frames`` and the uptake
observations), runs ``inclusion.analysis`` and returns display-ready tables.

Denominators: an observation's own ``denominator`` where its source gives one (the demo's
does: patients aged 13+ for the NHS App and NHS login, the list size for local tools);
otherwise the practice's eligible population -- patients aged 13+ from the age
breakdown when loaded (``analysis.eligible_population``), else 85% of the list size for
services with a minimum age of 13 and the whole list for the others.

Deprivation: ``analysis.by_deprivation`` by LSOA where practice-by-LSOA data and the IMD
are loaded, else by the practice's population-weighted IMD score (the whole practice goes
to its decile of the ICS's practices, weighted by list size).  Both are ecological.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from services_catalogue.models import DigitalService, Organisation, OrganisationKind
from services_catalogue.models.uptake import UptakeObservation

from . import analysis, frames
from .models import PracticeAgePopulation

THIRTEEN_PLUS = {"nhs-app", "nhs-login"}
ELIGIBLE_13_PLUS = 0.85
SII_REPS = 2_000

DIMENSIONS = [
    ("practice", "GP practice"),
    ("pcn", "Primary care network"),
    ("place", "Place"),
    ("imd_quintile", "IMD quintile (1 = most deprived)"),
    ("imd_decile", "IMD decile (1 = most deprived)"),
]

TITLES = {"practice": "GP practice", "pcn": "primary care network", "place": "place",
          "imd_quintile": "IMD quintile", "imd_decile": "IMD decile"}

METHOD_TEXT = {
    "lsoa": "by the LSOAs where each practice's patients live (registered patients by LSOA, "
            "IMD 2019 deciles of LSOAs)",
    "practice_score": "by each practice's population-weighted IMD 2019 score: the whole "
                      "practice is placed in its decile of the ICS's practices (weighted by "
                      "list size); no LSOA data is loaded",
    "mixed": "by LSOA for practices with LSOA data and by practice IMD score for the others",
    "none": "not available (no LSOA data and no practice IMD scores)",
}


def month_label(period) -> str:
    return period.strftime("%b %Y") if hasattr(period, "strftime") else str(period)


def choices() -> dict:
    """What can be picked: services and metrics with observations, and their months."""
    rows = UptakeObservation.objects.values_list("service__slug", "service__title",
                                                 "metric").order_by().distinct()
    services, metrics = {}, set()
    for slug, title, metric in rows:
        services[slug] = title
        metrics.add(metric)
    periods = sorted(UptakeObservation.objects.values_list("period", flat=True).order_by().distinct(),
                     reverse=True)
    return {
        "services": sorted(services.items(), key=lambda item: (item[0] != "nhs-app", item[1])),
        "metrics": sorted(metrics, key=lambda m: (m != "registrations", m)),
        "periods": periods,
    }


def observations(service: str, metric: str) -> tuple[pd.DataFrame, str]:
    """The observations for one service and metric, from the source with the most of them
    (sources are never added together: they may count the same people)."""
    qs = UptakeObservation.objects.filter(service__slug=service, metric=metric)
    counts = {}
    for name in qs.values_list("source__name", flat=True):
        counts[name] = counts.get(name, 0) + 1
    if not counts:
        return pd.DataFrame(columns=["practice", "service", "metric", "source", "period",
                                     "value", "denominator"]), ""
    source = max(sorted(counts), key=counts.get)
    rows = qs.filter(source__name=source, organisation__kind=OrganisationKind.GP_PRACTICE
                     ).values_list("organisation__ods_code", "period", "value", "denominator")
    frame = pd.DataFrame(list(rows), columns=["practice", "period", "value", "denominator"])
    frame["service"], frame["metric"], frame["source"] = service, metric, source
    return frame, source


def practice_table() -> pd.DataFrame:
    practices = frames.practices_frame()
    pcn_names = dict(Organisation.objects.filter(kind=OrganisationKind.PCN)
                     .values_list("ods_code", "name"))
    practices["pcn"] = practices["pcn"].map(pcn_names).fillna(practices["pcn"])
    return practices


def population_for(obs: pd.DataFrame, practices: pd.DataFrame, service: str) -> tuple[
        pd.DataFrame, str]:
    """Eligible population by practice and month (see the module docstring)."""
    listed = practices.set_index("practice")["registered_patients"]
    basis = "list size"
    fallback = listed.astype(float)
    if service in THIRTEEN_PLUS:
        ages = frames.practice_age_frame()
        eligible = analysis.eligible_population(ages, 13) if len(ages) else None
        if eligible is not None and len(eligible):
            fallback = eligible.set_index("practice")["population"].astype(float).reindex(
                listed.index).fillna(listed * ELIGIBLE_13_PLUS)
            basis = "patients aged 13+ (registered population by age)"
        else:
            fallback = listed * ELIGIBLE_13_PLUS
            basis = "patients aged 13+, approximated as 85% of the list size (no age data)"
    pop = obs[["practice", "period", "denominator"]].drop_duplicates(["practice", "period"])
    given = pd.to_numeric(pop["denominator"], errors="coerce")
    if given.notna().any():
        if "synthetic" in str(obs["source"].iloc[0]).lower() and service in THIRTEEN_PLUS:
            basis = ("the denominators given by the source: for the demonstration data, "
                     "patients aged 13+ approximated as 85% of the list size")
        elif "synthetic" in str(obs["source"].iloc[0]).lower():
            basis = "the denominators given by the source: for the demonstration data, the list size"
        else:
            basis = "the denominators given by the source" + (
                f" (else {basis})" if given.isna().any() else "")
    pop["population"] = given.fillna(pop["practice"].map(fallback)).fillna(0).astype(float)
    extra = practices.set_index("practice")[["pcn", "place", "name"]]
    pop = pop.join(extra, on="practice")
    return pop[["practice", "period", "population", "pcn", "place", "name"]], basis


@dataclass
class Table:
    name: str
    title: str
    frame: pd.DataFrame
    columns: list[tuple[str, str]]  # (column, heading)
    caption: str = ""


@dataclass
class Dashboard:
    service: str
    service_title: str
    metric: str
    period: datetime.date | None
    dimension: str
    source: str = ""
    basis: str = ""
    method: str = "none"
    method_text: str = ""
    tables: dict[str, Table] = field(default_factory=dict)
    ics: dict | None = None
    gap: dict | None = None
    sii: dict | None = None
    trend: dict | None = None
    outliers: list[str] = field(default_factory=list)
    empty: bool = True
    age_data: bool = False
    notes: list[str] = field(default_factory=list)


RATE_COLUMNS = [("numerator", "Numerator"), ("denominator", "Denominator"),
                ("rate", "Rate"), ("lower", "95% CI lower"), ("upper", "95% CI upper")]


def _records(frame: pd.DataFrame) -> dict | None:
    return frame.iloc[0].to_dict() if len(frame) else None


BUILD_STEPS = ("Reading the uptake figures", "Populations", "Rates and confidence intervals",
               "Deprivation deciles", "Slope index of inequality", "Trend and funnel plot")


def build(service: str, metric: str, period, dimension: str, progress=None) -> Dashboard:
    """Every table of one dashboard. ``progress(done, total, step)`` hears of each step (the
    Celery task shows it while a large ICS's figures are worked out)."""
    def step(index: int) -> None:
        if progress is not None:
            progress(index, len(BUILD_STEPS), BUILD_STEPS[index])

    step(0)
    title = DigitalService.objects.filter(slug=service).values_list("title", flat=True).first()
    board = Dashboard(service=service, service_title=title or service, metric=metric,
                      period=period, dimension=dimension)
    obs, board.source = observations(service, metric)
    if obs.empty:
        return board
    step(1)
    practices = practice_table()
    population, board.basis = population_for(obs, practices, service)
    obs = obs.drop(columns="denominator")
    step(2)
    rates = analysis.uptake_rates(obs, population)
    if rates.empty:
        return board
    periods = sorted(set(rates["period"]))
    if board.period not in periods:
        board.notes.append(f"No figures for {month_label(board.period)}; showing the latest "
                           "month instead." if board.period else "")
        board.period = periods[-1]
    period = board.period
    board.empty = False
    board.age_data = PracticeAgePopulation.objects.exists()

    scores = practices[["practice", "imd_score"]].assign(
        population=practices["registered_patients"]).dropna(subset=["imd_score"])
    step(3)
    practice_lsoa, lsoa_imd = frames.practice_lsoa_frame(), frames.lsoa_imd_frame()
    try:
        deciles = analysis.by_deprivation(obs, practice_lsoa, lsoa_imd, scores,
                                          population=population)
    except analysis.LSOAGeographyError as error:
        board.notes.append(f"LSOA data not used: {error}")
        deciles = analysis.by_deprivation(obs, None, None, scores, population=population)
    board.method = deciles.attrs.get("method", "none")
    board.method_text = METHOD_TEXT.get(board.method, board.method)

    in_month = (rates["period"] == period).to_numpy()
    month_rates = rates.loc[in_month]
    month_deciles = deciles.loc[(deciles["period"] == period).to_numpy()]

    # the chosen dimension
    if dimension in ("imd_quintile", "imd_decile"):
        groups = month_deciles.loc[(month_deciles["breakdown"] == dimension).to_numpy()].copy()
        groups["label"] = groups["group"].astype(int).astype(str)
    else:
        groups = month_rates.loc[(month_rates["breakdown"] == dimension).to_numpy()].copy()
        if dimension == "practice":
            groups["label"] = groups["name"].astype(str) + " (" + groups["group"].astype(str) + ")"
        else:
            groups["label"] = groups["group"].astype(str)
    groups = groups.loc[groups["denominator"].to_numpy(dtype=float) > 0]
    if dimension not in ("imd_quintile", "imd_decile"):
        groups = groups.sort_values("rate", ascending=False)
    label = dict(DIMENSIONS)[dimension]
    board.tables["groups"] = Table(
        "groups", f"Rate by {TITLES[dimension]}",
        groups.reset_index(drop=True), [("label", label.split(" (")[0]), *RATE_COLUMNS],
    )

    ics = month_rates.loc[(month_rates["breakdown"] == "ics").to_numpy()].copy()
    ics["label"] = "Whole ICS"
    board.ics = _records(ics)
    board.tables["ics"] = Table("ics", "ICS rate", ics.reset_index(drop=True),
                                [("label", "Area"), *RATE_COLUMNS])

    quint = month_deciles.loc[(month_deciles["breakdown"] == "imd_quintile").to_numpy()].copy()
    quint = quint.loc[quint["group"].astype(int).isin([1, 5]).to_numpy()
                      & (quint["denominator"].to_numpy(dtype=float) > 0)]
    quint["label"] = quint["group"].astype(int).map({1: "Quintile 1 (most deprived)",
                                                     5: "Quintile 5 (least deprived)"})
    board.tables["gap"] = Table("gap", "Most and least deprived quintiles",
                                quint.reset_index(drop=True), [("label", "Quintile"),
                                                               *RATE_COLUMNS])
    if len(quint) == 2:
        most = quint.loc[quint["group"].astype(int) == 1].iloc[0]
        least = quint.loc[quint["group"].astype(int) == 5].iloc[0]
        board.gap = {"most": most["rate"], "least": least["rate"],
                     "difference": least["rate"] - most["rate"],
                     "points": f"{100 * (least['rate'] - most['rate']):.1f}",
                     "ratio": least["rate"] / most["rate"] if most["rate"] else None}

    step(4)
    sii = analysis.sii_by_period(month_deciles, reps=SII_REPS, seed=0)
    sii_cols = [("deciles_used", "Deciles used"), ("sii", "SII"), ("sii_lower", "SII 95% lower"),
                ("sii_upper", "SII 95% upper"), ("rii", "RII"), ("rii_lower", "RII 95% lower"),
                ("rii_upper", "RII 95% upper")]
    board.tables["sii"] = Table("sii", "Slope and relative index of inequality", sii,
                                sii_cols)
    if len(sii) and np.isfinite(float(sii["sii"].iloc[0])):
        board.sii = sii.iloc[0].to_dict()

    step(5)
    trend_rows = rates.loc[(rates["breakdown"] == "ics").to_numpy()].copy()
    trend_rows = trend_rows.sort_values("period")
    trend_rows["label"] = [month_label(p) for p in trend_rows["period"]]
    board.tables["trend"] = Table("trend", "ICS rate by month", trend_rows.reset_index(drop=True),
                                  [("label", "Month"), *RATE_COLUMNS])
    fit = analysis.trend(trend_rows.drop(columns="label"))
    if len(fit) and np.isfinite(float(fit["slope"].iloc[0])):
        board.trend = fit.iloc[0].to_dict()

    fun = analysis.funnel(rates, period=period)
    fun["label"] = fun["name"].astype(str) + " (" + fun["group"].astype(str) + ")"
    fun["outlier"] = fun["outlier"].astype(str)
    fun = fun.sort_values("z")
    board.outliers = fun.loc[fun["outlier"].str.startswith("low_99"), "label"].tolist()
    board.tables["funnel"] = Table(
        "funnel", "Funnel plot: practices against the ICS rate", fun.reset_index(drop=True),
        [("label", "Practice"), ("numerator", "Numerator"), ("denominator", "Denominator"),
         ("rate", "Rate"), ("p0", "ICS rate"), ("lower_95", "95% lower limit"),
         ("upper_95", "95% upper limit"), ("lower_99_8", "99.8% lower limit"),
         ("upper_99_8", "99.8% upper limit"), ("z", "z"), ("outlier", "Outlier")],
    )
    return board
