"""The demo's synthetic uptake: labelled, idempotent, and falling with deprivation."""

import pandas as pd
import pytest

from portal.demo.loader import load_demo
from portal.demo.uptake import MONTHS, SOURCE_NAME, demo_periods, load_demo_uptake
from services_catalogue.models import Offer, Organisation, UptakeObservation, UptakeSource

pytestmark = pytest.mark.django_db


def stored() -> pd.DataFrame:
    rows = UptakeObservation.objects.filter(source__name=SOURCE_NAME).values(
        "organisation__ods_code", "organisation__imd_score", "service__slug", "metric",
        "period", "value", "denominator")
    return pd.DataFrame(list(rows))


def test_the_demo_source_is_labelled_synthetic(demo):
    source = UptakeSource.objects.get(name=SOURCE_NAME)
    assert "synthetic" in source.name.lower()
    assert source.observations.exists()


def test_24_months_ending_last_complete_month(demo):
    frame = stored()
    periods = sorted(frame["period"].unique())
    assert len(periods) == MONTHS
    assert periods == demo_periods()
    assert periods[-1] < pd.Timestamp.today().date().replace(day=1)


def test_loading_twice_changes_nothing(demo):
    before = UptakeObservation.objects.count()
    assert load_demo_uptake() == 0
    load_demo()
    assert UptakeObservation.objects.count() == before


def test_nhs_app_registration_falls_with_deprivation(demo):
    frame = stored()
    last = frame.loc[(frame["service__slug"] == "nhs-app") & (frame["metric"] == "registrations")
                     & (frame["period"] == frame["period"].max())].copy()
    last["rate"] = last["value"] / last["denominator"]
    assert len(last) == Organisation.objects.filter(kind="gp_practice").count()
    ordered = last.sort_values("organisation__imd_score")
    least, most = ordered.head(5)["rate"].mean(), ordered.tail(5)["rate"].mean()
    assert least > most + 0.08
    assert 0.30 <= last["rate"].min() and last["rate"].max() <= 0.65
    assert last["rate"].corr(last["organisation__imd_score"]) < -0.5


def test_uptake_rises_over_time(demo):
    frame = stored()
    app = frame.loc[(frame["service__slug"] == "nhs-app") & (frame["metric"] == "registrations")]
    by_month = app.groupby("period")[["value", "denominator"]].sum()
    rates = (by_month["value"] / by_month["denominator"]).to_numpy()
    assert (rates[1:] >= rates[:-1]).all() and rates[-1] > rates[0] * 1.1


def test_local_tools_only_where_offered(demo):
    frame = stored()
    for slug in ("gp-online-consultation", "home-blood-pressure-monitoring"):
        offered = set(Offer.objects.filter(service__slug=slug, organisation__kind="gp_practice")
                      .values_list("organisation__ods_code", flat=True))
        observed = set(frame.loc[frame["service__slug"] == slug, "organisation__ods_code"])
        assert observed and observed <= offered


def test_values_never_exceed_denominators(demo):
    frame = stored()
    assert (frame["value"] <= frame["denominator"]).all()
    assert set(frame["metric"]) == {"registrations", "logins", "transactions", "active_users"}
