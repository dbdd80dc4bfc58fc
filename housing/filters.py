"""List filters of the housing pages."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from portal.models import Area
from portal.scope import under_paths_q

from .models import Estate, ManagementMode


def _yes_no(label):
    return django_filters.BooleanFilter(
        label=label,
        method="filter_flag",
        widget=forms.Select(choices=[("", _("All")), ("true", _("yes")), ("false", _("no"))]),
    )


class EstateFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Estate name"), field_name="name", lookup_expr="icontains"
    )
    community = django_filters.ModelChoiceFilter(label=_("Community"), queryset=Area.objects.none())
    grid = django_filters.ModelChoiceFilter(label=_("Grid"), queryset=Area.objects.none())
    management_mode = django_filters.ChoiceFilter(
        label=_("Management mode"), choices=ManagementMode.choices, empty_label=_("All modes")
    )
    gap = django_filters.ChoiceFilter(
        label=_("Roster gap"), method="filter_gap", empty_label=_("Any")
    )
    has_property_company = _yes_no(_("Has a property company"))
    has_open_issues = _yes_no(_("Has open issues"))

    class Meta:
        model = Estate
        fields = ["q", "community", "grid", "management_mode", "gap"]

    def __init__(self, *args, communities, gap_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["community"].queryset = communities
        self.filters["grid"].queryset = Area.objects.filter(
            under_paths_q({c.path for c in communities}), level="grid"
        ).order_by("path")
        self.filters["gap"].extra["choices"] = gap_choices

    def filter_flag(self, queryset, name, value):
        if name == "has_property_company":
            return queryset.filter(property_company__isnull=not value)
        return (
            queryset.filter(open_issue_count__gt=0)
            if value
            else queryset.filter(open_issue_count=0)
        )

    def filter_gap(self, queryset, name, value):
        from . import governance

        return governance.filter_gap(queryset, value)
