"""Forms of the outreach pages (teams, events, the list's filters) and the measures'
period. The services enforce the rules; these parse and word the input and keep what
the user typed."""

from __future__ import annotations

from datetime import date

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from portal.models import Area

from ..models import EventType, OutreachEvent, OutreachTeam, PlaceType


def _date_input():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _count_input():
    return forms.NumberInput(attrs={"inputmode": "numeric", "min": 0})


class AreaChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.get_level_display()})"


class TeamForm(forms.Form):
    area = AreaChoiceField(label=_("Area"), queryset=Area.objects.none())
    name = forms.CharField(label=_("Team name"), max_length=200)
    members = forms.CharField(
        label=_("Members"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("One member per line: name, affiliation, e.g. 马燕, 社区党委."),
    )

    def __init__(self, *args, areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas


class EventForm(forms.ModelForm):
    area = AreaChoiceField(label=_("Area"), queryset=Area.objects.none())
    audience = forms.IntegerField(
        label=_("Audience"), min_value=0, max_value=1_000_000, initial=0, widget=_count_input()
    )
    minors = forms.IntegerField(
        label=_("Of whom minors"),
        min_value=0,
        max_value=1_000_000,
        initial=0,
        widget=_count_input(),
        help_text=_("A count only: never write down children's names."),
    )
    materials = forms.IntegerField(
        label=_("Materials handed out"),
        min_value=0,
        max_value=1_000_000,
        initial=0,
        widget=_count_input(),
        help_text=_("Leaflets, booklets, pocket books."),
    )

    class Meta:
        model = OutreachEvent
        fields = [
            "area",
            "type",
            "theme",
            "held_on",
            "place_type",
            "place_name",
            "team",
            "organiser",
            "audience",
            "minors",
            "materials",
            "note",
        ]
        widgets = {"held_on": _date_input(), "note": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "organiser": _("When no team of the portal organised it, e.g. the power company."),
        }

    def __init__(self, *args, areas=None, teams, **kwargs):
        super().__init__(*args, **kwargs)
        if areas is None:  # editing: the event stays in its area
            del self.fields["area"]
        else:
            self.fields["area"].queryset = areas
        if self.instance.pk and self.instance.team_id:
            teams = teams | OutreachTeam.objects.filter(pk=self.instance.team_id)
        self.fields["team"].queryset = teams.distinct().order_by("name", "pk")
        self.fields["team"].required = False

    def clean(self):
        data = super().clean()
        audience, minors = data.get("audience"), data.get("minors")
        if audience is not None and minors is not None and minors > audience:
            self.add_error(
                "minors",
                _("Minors are part of the audience: at most %(audience)s.")
                % {"audience": audience},
            )
        return data

    def _post_clean(self):
        # The service validates the whole event; skip the model's own full_clean so its
        # messages are not shown twice.
        pass


class EventFilter(django_filters.FilterSet):
    type = django_filters.ChoiceFilter(
        label=_("Type"), choices=EventType.choices, empty_label=_("All types")
    )
    place_type = django_filters.ChoiceFilter(
        label=_("Place"), choices=PlaceType.choices, empty_label=_("All places")
    )
    team = django_filters.ModelChoiceFilter(
        label=_("Organising team"),
        queryset=OutreachTeam.objects.none(),
        empty_label=_("All teams"),
    )
    since = django_filters.DateFilter(
        label=_("From"), field_name="held_on", lookup_expr="gte", widget=_date_input()
    )
    until = django_filters.DateFilter(
        label=_("To"), field_name="held_on", lookup_expr="lte", widget=_date_input()
    )

    class Meta:
        model = OutreachEvent
        fields = ["type", "place_type", "team", "since", "until"]

    def __init__(self, *args, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["team"].queryset = teams


class MeasuresForm(forms.Form):
    """The area (one the user reaches) and the period of the measures page."""

    area = AreaChoiceField(
        label=_("Area"), queryset=Area.objects.none(), required=False, empty_label=None
    )
    start = forms.DateField(label=_("From"), required=False, widget=_date_input())
    end = forms.DateField(label=_("To"), required=False, widget=_date_input())

    def __init__(self, *args, areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            raise forms.ValidationError(_("The period must end after it starts."), code="order")
        return data

    def period(self, default_start: date, default_end: date) -> tuple[date, date]:
        if not self.is_bound or not self.is_valid():
            return default_start, default_end
        return (
            self.cleaned_data.get("start") or default_start,
            self.cleaned_data.get("end") or default_end,
        )
