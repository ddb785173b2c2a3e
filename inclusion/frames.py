"""The analysis inputs, read from the database as pandas frames (``inclusion.analysis``
takes frames and knows nothing of Django).

``practices_frame`` (practice, name, pcn, place, registered_patients, imd_score),
``lsoa_imd_frame``, ``practice_lsoa_frame``, ``practice_age_frame``,
``practice_deprivation_frame``, ``breakdown_frame``, ``lookup_frame`` and ``uptake_frame``
(guarded: ``UptakeObservation`` is owned by ``services_catalogue`` and may not exist yet, in
which case it raises ``LookupError``).

``practice_lsoa_frame`` is where LSOA geographies are reconciled: a practice file on LSOA
2021 codes is translated to the IMD's LSOA 2011 through the ONS lookup when it is loaded;
without it the frame is returned untranslated and ``analysis.by_deprivation`` refuses to
attribute deprivation through the codes that do not match (``LSOAGeographyError``).
"""

from __future__ import annotations

import pandas as pd
from django.apps import apps

from services_catalogue.models import Organisation, OrganisationKind

from . import analysis
from .models import (
    LSOA,
    LSOABreakdown,
    LSOALookup,
    PracticeAgePopulation,
    PracticeDeprivation,
    PracticeLSOAPopulation,
)


def practices_frame() -> pd.DataFrame:
    """Active GP practices with their PCN (parent) and place."""
    rows = Organisation.objects.filter(kind=OrganisationKind.GP_PRACTICE, active=True).values_list(
        "ods_code", "name", "parent__ods_code", "place", "registered_patients", "imd_score"
    )
    return pd.DataFrame(
        list(rows),
        columns=["practice", "name", "pcn", "place", "registered_patients", "imd_score"],
    )


def lsoa_imd_frame() -> pd.DataFrame:
    rows = LSOA.objects.values_list("code", "imd_decile", "imd_rank", "geography_version",
                                    "local_authority_code")
    return pd.DataFrame(
        list(rows),
        columns=["lsoa", "imd_decile", "imd_rank", "geography_version", "local_authority_code"],
    )


def lookup_frame() -> pd.DataFrame:
    rows = LSOALookup.objects.values_list("lsoa11_code", "lsoa21_code", "change")
    return pd.DataFrame(list(rows), columns=["lsoa11", "lsoa21", "change"])


def latest_extract(model) -> object | None:
    return model.objects.order_by("-extract_date").values_list("extract_date", flat=True).first()


def practice_lsoa_frame(extract_date=None, *, translate: bool = True) -> pd.DataFrame:
    """Registered patients by practice and LSOA at one extract (the latest by default).

    With ``translate`` and a practice file whose geography differs from the loaded IMD's,
    the populations are moved onto the IMD's LSOAs through the ONS lookup if it is loaded
    (``analysis.translate_lsoa``); otherwise they are returned as they are.
    """
    when = extract_date or latest_extract(PracticeLSOAPopulation)
    rows = PracticeLSOAPopulation.objects.filter(extract_date=when).values_list(
        "practice__ods_code", "lsoa_code", "patients", "geography_version"
    )
    frame = pd.DataFrame(list(rows), columns=["practice", "lsoa", "patients", "geography_version"])
    frame.attrs["extract_date"] = when
    if not translate or frame.empty:
        return frame
    imd_version = LSOA.objects.values_list("geography_version", flat=True).first()
    versions = set(frame["geography_version"]) - {""}
    if imd_version and len(versions) == 1 and versions != {imd_version}:
        lookup = lookup_frame()
        if not lookup.empty:
            frame = analysis.translate_lsoa(frame, lookup, to=imd_version)
            frame.attrs["extract_date"] = when
            frame.attrs["translated_from"] = versions.pop()
    return frame


def practice_age_frame(extract_date=None) -> pd.DataFrame:
    """Registered patients by practice and age band at one extract (latest by default), sexes
    added ('all' rows where the file gave no split)."""
    when = extract_date or latest_extract(PracticeAgePopulation)
    rows = PracticeAgePopulation.objects.filter(extract_date=when).values_list(
        "practice__ods_code", "age_band", "age_from", "age_to", "sex", "patients"
    )
    frame = pd.DataFrame(
        list(rows), columns=["practice", "age_band", "age_from", "age_to", "sex", "patients"]
    )
    if frame.empty:
        return frame.drop(columns="sex")
    split = frame.loc[frame["sex"] != "all", ["practice", "age_band"]].drop_duplicates()
    marked = frame.merge(split.assign(_split=True), on=["practice", "age_band"], how="left")
    frame = frame.loc[~((marked["sex"] == "all") & marked["_split"].eq(True)).to_numpy()]
    out = frame.groupby(["practice", "age_band", "age_from"], as_index=False, dropna=False).agg(
        age_to=("age_to", "first"), patients=("patients", "sum")
    )
    out.attrs["extract_date"] = when
    return out


def practice_deprivation_frame(year: str | None = None, source: str | None = None) -> pd.DataFrame:
    """Practice IMD scores (latest year by default), with registered patients as weights."""
    qs = PracticeDeprivation.objects.all()
    if source:
        qs = qs.filter(source=source)
    year = year or qs.order_by("-year").values_list("year", flat=True).first()
    rows = qs.filter(year=year).values_list(
        "practice__ods_code", "imd_score", "practice__registered_patients", "source"
    )
    frame = pd.DataFrame(list(rows), columns=["practice", "imd_score", "population", "source"])
    frame.attrs["year"] = year
    return frame


def breakdown_frame(dataset: str) -> pd.DataFrame:
    rows = LSOABreakdown.objects.filter(dataset=dataset).values_list(
        "lsoa_code", "category", "count", "geography_version"
    )
    frame = pd.DataFrame(list(rows), columns=["lsoa", "category", "count", "geography_version"])
    frame["dataset"] = dataset
    return frame


def uptake_frame(**filters) -> pd.DataFrame:
    """Uptake observations as ``analysis`` expects them (practice, service, metric, source,
    period, value).  ``filters`` are passed to ``UptakeObservation.objects.filter``.

    Raises ``LookupError`` while ``services_catalogue.UptakeObservation`` does not exist.
    """
    model = apps.get_model("services_catalogue", "UptakeObservation")  # LookupError if absent
    names = {f.name: f for f in model._meta.get_fields()}
    fields = {
        "practice": "organisation__ods_code",
        "service": "service__slug",
        "metric": "metric",
        "period": "period",
        "value": "value",
    }
    if "source" in names:
        fields["source"] = "source__name" if names["source"].is_relation else "source"
    rows = model.objects.filter(**filters).values_list(*fields.values())
    return pd.DataFrame(list(rows), columns=list(fields))
