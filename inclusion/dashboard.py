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
          "imd_quintile": "IMD quintile", "imd_decile": "IMD decile", "age_band": "age band"}
AGE_BAND = ("age_band", "Age band (registered patients by age)")
BREAKDOWN_PREFIX = "lsoa:"
COMMUNITY_METHOD = {
    "age_band": "Age bands: each practice's uptake is shared across its registered patients' "
                "age bands in proportion to their numbers (ecological): it shows how practices "
                "with older or younger lists differ, not how age groups at the same practice "
                "differ. Denominators are the registered patients in the band.",
    "lsoa": "LSOA breakdown: each practice's uptake and population are shared across the LSOAs "
            "where its patients live, and each LSOA's across the breakdown's categories in "
            "proportion to its residents (ecological): it shows whether practices serving more "
            "of a community have lower uptake, not individual-level differences.",
}


def dimensions() -> list[tuple[str, str]]:
    """What the dashboard can compare by: the fixed dimensions, age bands when registered
    patients by age are loaded, and each LSOA breakdown when patients by LSOA are loaded."""
    from .models import LSOABreakdown, PracticeLSOAPopulation

    out = list(DIMENSIONS)
    if PracticeAgePopulation.objects.exists():
        out.append(AGE_BAND)
    if PracticeLSOAPopulation.objects.exists():
        datasets = LSOABreakdown.objects.values_list("dataset", flat=True).order_by(
            "dataset").distinct()
        out.extend((f"{BREAKDOWN_PREFIX}{name}", f"{name} (LSOA breakdown)")
                   for name in datasets)
    return out


def dimension_title(dimension: str) -> str:
    if dimension.startswith(BREAKDOWN_PREFIX):
        return dimension[len(BREAKDOWN_PREFIX):]
    return TITLES[dimension]

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
    services, metrics, pairs = {}, set(), {}
    for slug, title, metric in rows:
        services[slug] = title
        metrics.add(metric)
        pairs.setdefault(slug, set()).add(metric)
    periods = sorted(UptakeObservation.objects.values_list("period", flat=True).order_by().distinct(),
                     reverse=True)
    return {
        "services": sorted(services.items(), key=lambda item: (item[0] != "nhs-app", item[1])),
        "metrics": sorted(metrics, key=lambda m: (m != "registrations", m)),
        # each service's own measures, in the same order: the form falls back to one of them
        "measures": {slug: sorted(found, key=lambda m: (m != "registrations", m))
                     for slug, found in pairs.items()},
        "periods": periods,
        "dimensions": dimensions(),
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


REGISTERED = "registered patients"
AGED_13_PLUS = "patients aged 13+"
GIVEN_BY_SOURCE = "the population given by the source"


def population_for(obs: pd.DataFrame, practices: pd.DataFrame, service: str) -> tuple[
        pd.DataFrame, str, str]:
    """Eligible population by practice and month (see the module docstring), how it was
    found (``basis``: a full explanation, for the method notes) and what it counts
    (``denominator``: a few words to follow "x% of", as in "patients aged 13+")."""
    listed = practices.set_index("practice")["registered_patients"]
    basis, denominator = "list size", REGISTERED
    fallback = listed.astype(float)
    if service in THIRTEEN_PLUS:
        ages = frames.practice_age_frame()
        eligible = analysis.eligible_population(ages, 13) if len(ages) else None
        if eligible is not None and len(eligible):
            fallback = eligible.set_index("practice")["population"].astype(float).reindex(
                listed.index).fillna(listed * ELIGIBLE_13_PLUS)
            basis = "patients aged 13+ (registered population by age)"
            denominator = AGED_13_PLUS
        else:
            fallback = listed * ELIGIBLE_13_PLUS
            basis = "patients aged 13+, approximated as 85% of the list size (no age data)"
            denominator = f"{AGED_13_PLUS} (estimated as 85% of the list size)"
    pop = obs[["practice", "period", "denominator"]].drop_duplicates(["practice", "period"])
    given = pd.to_numeric(pop["denominator"], errors="coerce")
    if given.notna().any():
        if "synthetic" in str(obs["source"].iloc[0]).lower() and service in THIRTEEN_PLUS:
            basis = ("the denominators given by the source: for the demonstration data, "
                     "patients aged 13+ from its synthetic registered population by age")
            denominator = AGED_13_PLUS
        elif "synthetic" in str(obs["source"].iloc[0]).lower():
            basis = "the denominators given by the source: for the demonstration data, the list size"
            denominator = REGISTERED
        else:
            basis = "the denominators given by the source" + (
                f" (else {basis})" if given.isna().any() else "")
            denominator = GIVEN_BY_SOURCE
    pop["population"] = given.fillna(pop["practice"].map(fallback)).fillna(0).astype(float)
    extra = practices.set_index("practice")[["pcn", "place", "name"]]
    pop = pop.join(extra, on="practice")
    return pop[["practice", "period", "population", "pcn", "place", "name"]], basis, denominator


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
    denominator: str = ""  # what the rates are shares of, in a few words (population_for)
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
    community_method: str = ""
    notes: list[str] = field(default_factory=list)


RATE_COLUMNS = [("numerator", "Numerator"), ("denominator", "Denominator"),
                ("rate", "Rate"), ("lower", "95% CI lower"), ("upper", "95% CI upper")]


def community_groups(board: Dashboard, obs: pd.DataFrame, population: pd.DataFrame,
                     service: str, dimension: str, period) -> pd.DataFrame:
    """Rates by age band or by an LSOA breakdown's categories in one month (ecological; the
    method is added to the board's notes). Empty, with a note, when the data is missing."""
    month = obs.loc[(obs["period"] == period).to_numpy()]
    empty = pd.DataFrame(columns=["group", "label", "numerator", "denominator", "rate",
                                  "lower", "upper"])
    if dimension == "age_band":
        ages = frames.practice_age_frame()
        if ages.empty:
            board.notes.append("No registered patients by age are loaded.")
            return empty
        frame = analysis.by_age_band(month, ages,
                                     min_age=13 if service in THIRTEEN_PLUS else None)
        board.community_method = COMMUNITY_METHOD["age_band"] + (
            f" Registered patients by age as at {ages.attrs.get('extract_date')}.")
    else:
        dataset = dimension[len(BREAKDOWN_PREFIX):]
        breakdown = frames.breakdown_frame(dataset)
        practice_lsoa = frames.practice_lsoa_frame()
        if breakdown.empty or practice_lsoa.empty:
            board.notes.append(f"No LSOA breakdown called {dataset!r}, or no patients by LSOA.")
            return empty
        try:
            frame = analysis.by_breakdown(month, practice_lsoa, breakdown,
                                          population=population, dataset=dataset)
        except (analysis.LSOAGeographyError, ValueError) as error:
            board.notes.append(f"The {dataset} breakdown could not be used: {error}")
            return empty
        board.community_method = COMMUNITY_METHOD["lsoa"]
    frame = frame.loc[(frame["period"] == period).to_numpy()].copy()
    frame["label"] = frame["group"].astype(str)
    return frame


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
    population, board.basis, board.denominator = population_for(obs, practices, service)
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
    elif dimension == "age_band" or dimension.startswith(BREAKDOWN_PREFIX):
        groups = community_groups(board, obs, population, service, dimension, period)
    else:
        groups = month_rates.loc[(month_rates["breakdown"] == dimension).to_numpy()].copy()
        if dimension == "practice":
            groups["label"] = groups["name"].astype(str) + " (" + groups["group"].astype(str) + ")"
        else:
            groups["label"] = groups["group"].astype(str)
    groups = groups.loc[groups["denominator"].to_numpy(dtype=float) > 0]
    if dimension not in ("imd_quintile", "imd_decile", "age_band"):
        groups = groups.sort_values("rate", ascending=False)
    label = dict(dimensions()).get(dimension, dimension_title(dimension))
    board.tables["groups"] = Table(
        "groups", f"Rate by {dimension_title(dimension)}",
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
    fun["position"] = fun["outlier"].map(OUTLIER_LABELS).fillna(fun["outlier"])
    fun = fun.sort_values("z")
    board.outliers = fun.loc[fun["outlier"].str.startswith("low_99"), "label"].tolist()
    board.tables["funnel"] = Table(
        "funnel", "Funnel plot: practices against the ICS rate", fun.reset_index(drop=True),
        [("label", "Practice"), ("numerator", "Numerator"), ("denominator", "Denominator"),
         ("rate", "Rate"), ("p0", "ICS rate"), ("lower_95", "95% lower limit"),
         ("upper_95", "95% upper limit"), ("lower_99_8", "99.8% lower limit"),
         ("upper_99_8", "99.8% upper limit"), ("z", "z"), ("position", "Outlier")],
    )
    board.tables["lowest"] = Table(
        "lowest", "Practices furthest below the ICS rate, with their offer gaps and local help",
        lowest_with_catalogue(fun), LOWEST_COLUMNS)
    return board


# The funnel's outlier codes (``analysis.funnel``) as shown and exported.
OUTLIER_LABELS = {
    "low_99_8": "Below 99.8% limit",
    "low_95": "Below 95% limit",
    "within": "Within limits",
    "high_95": "Above 95% limit",
    "high_99_8": "Above 99.8% limit",
}

LOWEST_COLUMNS = [("label", "Practice"), ("place", "Place"), ("numerator", "Numerator"),
                  ("denominator", "Denominator"), ("rate", "Rate"), ("p0", "ICS rate"),
                  ("z", "z"), ("missing", "Consistent offer not delivered"),
                  ("support", "Digital inclusion support in its place")]


def lowest_with_catalogue(funnel_frame: pd.DataFrame, top_n: int = 10) -> pd.DataFrame:
    """The practices whose uptake is furthest below what the ICS rate predicts for their size
    (lowest z, below zero only), each linked to the catalogue: the parts of the consistent
    offer it does not deliver, and the inclusion support services in its place. A gap is
    something to act on: this says where to start."""
    from services_catalogue.models import InclusionSupport
    from services_catalogue.offer_matrix import offer_matrix

    if funnel_frame.empty:
        return pd.DataFrame(columns=[c for c, _ in LOWEST_COLUMNS])
    lowest = analysis.lowest_relative(funnel_frame, top_n=top_n)
    lowest = lowest.loc[lowest["z"].to_numpy(dtype=float) < 0].copy()
    codes = set(lowest["group"].astype(str))
    matrix = offer_matrix({"kind": OrganisationKind.GP_PRACTICE, "ods_codes": codes})
    missing, places = {}, {}
    for row in matrix.rows:
        org = row.organisation
        places[org.ods_code] = org.place
        missing[org.ods_code] = "; ".join(cell.capability.name for cell in row.cells
                                          if not cell.offered) or "Nothing: all delivered"
    support = {}
    for item in InclusionSupport.objects.filter(active=True, place__in=set(places.values())
                                                ).order_by("name"):
        support.setdefault(item.place, []).append(item.name)
    codes_column = lowest["group"].astype(str)
    lowest["place"] = codes_column.map(places).fillna("")
    lowest["missing"] = codes_column.map(missing).fillna("")
    lowest["support"] = lowest["place"].map(
        lambda place: "; ".join(support.get(place, [])) or "None listed")
    return lowest.reset_index(drop=True)
