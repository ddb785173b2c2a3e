"""Finding local help to get online, by place."""

from django import forms

from .models import InclusionSupport, Organisation, OrganisationKind

TOWNS_SHOWN = 4


def place_label(place: str, towns: list[str]) -> str:
    """A place as residents know it: the ICS's place names ("Tynedale") are not always what
    people call where they live, so the towns of its GP practices follow it (those the
    place's name does not already say)."""
    towns = [town for town in towns if town.casefold() not in place.casefold()]
    if not towns:
        return place
    shown = ", ".join(towns[:TOWNS_SHOWN]) + (" and others" if len(towns) > TOWNS_SHOWN else "")
    return f"{place} ({shown})"


def towns_by_place() -> dict[str, list[str]]:
    """The towns of each place's active GP practices, the most practices first (one query)."""
    counts: dict[str, dict[str, int]] = {}
    for place, town in Organisation.objects.filter(
            kind=OrganisationKind.GP_PRACTICE, active=True).exclude(place="").exclude(
            town="").values_list("place", "town"):
        counts.setdefault(place, {})
        counts[place][town] = counts[place].get(town, 0) + 1
    return {place: sorted(towns, key=lambda town: (-towns[town], town))
            for place, towns in counts.items()}


class PlaceForm(forms.Form):
    place = forms.ChoiceField(
        label="Where do you live?", required=False,
        error_messages={"invalid_choice": "Choose one of the places in the list."},
    )

    def __init__(self, data=None, **kwargs):
        super().__init__(data, **kwargs)
        places = (
            InclusionSupport.objects.filter(active=True)
            .order_by("place")
            .values_list("place", flat=True)
            .distinct()
        )
        towns = towns_by_place()
        self.fields["place"].choices = [("", "Anywhere in our area")] + [
            (p, place_label(p, towns.get(p, []))) for p in places]


def support_by_place(form: PlaceForm) -> list[tuple[str, list[InclusionSupport]]]:
    """Active support grouped by place, narrowed to the chosen place if it is a real one."""
    support = InclusionSupport.objects.filter(active=True).order_by("place", "kind", "name")
    if form.is_valid() and form.cleaned_data.get("place"):
        support = support.filter(place=form.cleaned_data["place"])
    groups: dict[str, list[InclusionSupport]] = {}
    for item in support:
        groups.setdefault(item.place, []).append(item)
    return list(groups.items())
