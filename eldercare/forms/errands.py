"""Forms and the queue filter of the errand pages; services enforce the rules, these
only parse and word the input. The resident's form is one column with large inputs."""

import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from housing.models import Person
from housing.services.registry import find_person_by_id
from portal.forms import AreaChoiceField, PhoneField
from portal.models import Area
from portal.personal import validate_id_number

from ..models import Errand, ErrandGroup, ErrandService, ErrandStatus

LARGE = {"class": "form-control form-control-lg"}
LARGE_SELECT = {"class": "form-select form-select-lg"}
DATE_FORMAT = "%Y-%m-%d"


def _choices_with_prompt(choices, prompt):
    return [("", prompt), *choices]


class ErrandFieldsMixin:
    """What every request asks: the service, the circumstances, what is needed, where
    and by when."""

    def add_errand_fields(self):
        self.fields["service"] = forms.ChoiceField(
            label=_("What kind of help"),
            choices=_choices_with_prompt(ErrandService.choices, _("Choose a service")),
            widget=forms.Select(attrs=LARGE_SELECT),
        )
        self.fields["group"] = forms.ChoiceField(
            label=_("Circumstances"),
            choices=_choices_with_prompt(ErrandGroup.choices, _("Choose the circumstances")),
            widget=forms.Select(attrs=LARGE_SELECT),
            help_text=_("Seen only by the community's staff; volunteers do not see it."),
        )
        self.fields["details"] = forms.CharField(
            label=_("What is needed"),
            max_length=2000,
            widget=forms.Textarea(attrs={**LARGE, "rows": 4}),
        )
        self.fields["address"] = forms.CharField(
            label=_("Address"),
            max_length=300,
            widget=forms.TextInput(attrs={**LARGE, "autocomplete": "street-address"}),
            help_text=_("Where the volunteer should come: estate, building, unit, room."),
        )
        self.fields["wanted_by"] = forms.DateField(
            label=_("Wanted by (optional)"),
            required=False,
            input_formats=[DATE_FORMAT],
            widget=forms.DateInput(attrs={**LARGE, "type": "date"}, format=DATE_FORMAT),
        )

    def clean_wanted_by(self):
        wanted_by = self.cleaned_data.get("wanted_by")
        if wanted_by and wanted_by < timezone.localdate():
            raise forms.ValidationError(
                _("The date has passed; choose today or a later day."), code="past"
            )
        return wanted_by

    def errand_data(self) -> dict:
        data = self.cleaned_data
        return {k: data[k] for k in ("service", "group", "details", "address", "wanted_by")}


class ErrandRequestForm(ErrandFieldsMixin, forms.Form):
    """A resident asks for an errand for themselves."""

    def __init__(self, *args, person=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_errand_fields()
        self.fields["phone"] = PhoneField(
            label=_("Your mobile phone"),
            help_text=_(
                "The volunteer calls this number; with it and the reference number you can "
                "follow the errand on the status page."
            ),
        )
        self.fields["phone"].widget.attrs.update(LARGE)
        if person is not None:
            self.fields["on_record"] = forms.BooleanField(
                label=_("For me as on the community's record (%(name)s)") % {"name": person.name},
                required=False,
                initial=True,
            )
        self.order_fields(
            ["service", "details", "address", "wanted_by", "phone", "group", "on_record"]
        )


class ErrandRequestForForm(ErrandFieldsMixin, forms.Form):
    """Staff or a grid worker files an errand on a resident's behalf."""

    community = AreaChoiceField(
        queryset=Area.objects.none(),
        label=_("Community"),
        widget=forms.Select(attrs=LARGE_SELECT),
    )
    name = forms.CharField(
        label=_("Name of the person it is for"),
        max_length=100,
        widget=forms.TextInput(attrs=LARGE),
    )
    phone = PhoneField(
        label=_("Their mobile phone"),
        help_text=_("With it and the reference number they follow the errand."),
    )
    id_number = forms.CharField(
        label=_("ID card number of a resident on file (optional)"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs=LARGE),
        help_text=_("Ties the errand to the resident's record."),
    )

    def __init__(self, *args, user, communities, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["community"].queryset = communities
        if len(communities) == 1:
            self.fields["community"].initial = communities[0].pk
        self.fields["phone"].widget.attrs.update(LARGE)
        self.add_errand_fields()
        self.order_fields(
            [
                "community",
                "name",
                "phone",
                "id_number",
                "group",
                "service",
                "details",
                "address",
                "wanted_by",
            ]
        )

    def clean_id_number(self):
        number = (self.cleaned_data.get("id_number") or "").strip()
        if not number:
            return None
        validate_id_number(number)
        person = find_person_by_id(number)
        if person is None or not Person.objects.visible_to(self.user).filter(pk=person.pk).exists():
            raise forms.ValidationError(
                _("No resident with this ID card number is on file in your communities."),
                code="not_on_file",
            )
        return person


class RosterChoiceField(forms.ModelChoiceField):
    """A volunteer of the roster, shown as name and team."""

    def label_from_instance(self, obj):
        name = obj.user.display_name or obj.user.get_username()
        return f"{name} · {obj.organisation.name}"


class ErrandAssignForm(forms.Form):
    volunteer = RosterChoiceField(
        queryset=None, label=_("Volunteer"), empty_label=_("Choose a volunteer")
    )
    comment = forms.CharField(
        label=_("Note for the volunteer"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, roster, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["volunteer"].queryset = roster


class ErrandDoneForm(forms.Form):
    note = forms.CharField(
        label=_("What was done"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown to the resident."),
    )


class ErrandCancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Why it is cancelled"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Shown to the resident."),
    )


class ErrandFilter(django_filters.FilterSet):
    """The queue's filters."""

    status = django_filters.ChoiceFilter(
        label=_("Status"),
        field_name="case__status",
        choices=ErrandStatus.choices,
        empty_label=_("All statuses"),
    )
    service = django_filters.ChoiceFilter(
        label=_("Service"), choices=ErrandService.choices, empty_label=_("All services")
    )
    overdue = django_filters.BooleanFilter(
        label=_("Overdue"),
        method="by_overdue",
        widget=forms.Select(choices=[("", _("All")), ("true", _("yes")), ("false", _("no"))]),
    )

    class Meta:
        model = Errand
        fields = ["status", "service", "overdue"]

    def by_overdue(self, queryset, name, value):
        now = timezone.now()
        if value:
            return queryset.filter(case__closed_at__isnull=True, case__due_at__lt=now)
        return queryset.exclude(case__closed_at__isnull=True, case__due_at__lt=now)
