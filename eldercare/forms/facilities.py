"""Forms and filters of the facility pages and the meal-point finder; services enforce
the rules, these only parse and word the input."""

import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.models import Area, Organisation

from ..models import Facility, FacilityService, FacilityType
from ..services.facilities import MAX_DAILY_COUNT


class FacilityForm(forms.ModelForm):
    services = forms.MultipleChoiceField(
        label=_("Services"),
        choices=FacilityService.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Facility
        fields = [
            "community",
            "name",
            "type",
            "address",
            "origin",
            "donor",
            "services",
            "capacity",
            "floor_area_m2",
            "ground_floor",
            "licence_number",
            "opening_hours",
            "phone",
            "operator",
            "is_open",
        ]
        help_texts = {
            "donor": _(
                "Required when the premises were donated, e.g. a company lending a shop front."
            ),
            "opening_hours": _("As residents should read it, e.g. Mon–Sat 11:00–13:00."),
            "phone": _("The facility's own phone, shown to the public for meal points."),
        }

    def __init__(self, *args, communities, operators, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # The current place and operator stay choosable even where the editor
            # could not pick them afresh.
            communities = communities | Area.objects.filter(pk=self.instance.community_id)
            if self.instance.operator_id:
                operators = operators | Organisation.objects.filter(pk=self.instance.operator_id)
        self.fields["community"].queryset = communities.distinct().order_by("path")
        self.fields["operator"].queryset = operators.distinct().order_by("name")
        self.fields["operator"].required = False

    def _post_clean(self):
        # The service validates the whole facility; skip the model's own full_clean so
        # its messages are not shown twice.
        pass


class ServiceLogForm(forms.Form):
    date = forms.DateField(
        label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}), initial=timezone.localdate
    )
    meals_dine_in = forms.IntegerField(
        label=_("Meals eaten in"), min_value=0, max_value=MAX_DAILY_COUNT, initial=0
    )
    meals_delivered = forms.IntegerField(
        label=_("Meals delivered"), min_value=0, max_value=MAX_DAILY_COUNT, initial=0
    )
    day_care = forms.IntegerField(
        label=_("Day-care attendance"), min_value=0, max_value=MAX_DAILY_COUNT, initial=0
    )
    classes = forms.IntegerField(
        label=_("Classes held"), min_value=0, max_value=MAX_DAILY_COUNT, initial=0
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class FacilityFilter(django_filters.FilterSet):
    type = django_filters.ChoiceFilter(
        label=_("Type"), choices=FacilityType.choices, empty_label=_("All types")
    )
    community = django_filters.ModelChoiceFilter(
        label=_("Community"), queryset=Area.objects.none(), empty_label=_("All communities")
    )

    class Meta:
        model = Facility
        fields = ["type", "community"]

    def __init__(self, *args, communities, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["community"].queryset = communities


class MealPointFinderForm(forms.Form):
    area = forms.ChoiceField(label=_("Where do you live?"), required=False)

    def __init__(self, *args, options, **kwargs):
        super().__init__(*args, **kwargs)
        self.options = {str(o.area.pk): o.area for o in options}
        self.fields["area"].choices = [("", _("All places"))] + [
            (str(o.area.pk), o.label) for o in options
        ]

    def chosen_area(self):
        return self.options.get(self.cleaned_data.get("area") or "")
