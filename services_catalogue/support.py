"""Finding local help to get online, by place."""

from django import forms

from .models import InclusionSupport


class PlaceForm(forms.Form):
    place = forms.ChoiceField(label="Where do you live?", required=False)

    def __init__(self, data=None, **kwargs):
        super().__init__(data, **kwargs)
        places = (
            InclusionSupport.objects.filter(active=True)
            .order_by("place")
            .values_list("place", flat=True)
            .distinct()
        )
        self.fields["place"].choices = [("", "Anywhere in our area")] + [(p, p) for p in places]


def support_by_place(form: PlaceForm) -> list[tuple[str, list[InclusionSupport]]]:
    """Active support grouped by place, narrowed to the chosen place if it is a real one."""
    support = InclusionSupport.objects.filter(active=True).order_by("place", "kind", "name")
    if form.is_valid() and form.cleaned_data.get("place"):
        support = support.filter(place=form.cleaned_data["place"])
    groups: dict[str, list[InclusionSupport]] = {}
    for item in support:
        groups.setdefault(item.place, []).append(item)
    return list(groups.items())
