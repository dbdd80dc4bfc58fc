"""Forms of the medical-care pages: agreements, family-doctor teams, contracts and visits.
Services enforce the rules; these parse and word the input."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from housing.models import Person
from portal.models import Area, Organisation

from ..models import AgreementService
from ..services.medical import MAX_VISIT_INTERVAL_DAYS

DATE = {"widget": forms.DateInput(attrs={"type": "date"})}


class AreaChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.get_level_display()})"


class AgreementForm(forms.Form):
    area = AreaChoiceField(label=_("Area"), queryset=Area.objects.none())
    care_institution = forms.ModelChoiceField(
        label=_("Care institution"), queryset=Organisation.objects.none()
    )
    medical_institution = forms.ModelChoiceField(
        label=_("Medical institution"), queryset=Organisation.objects.none()
    )
    services = forms.MultipleChoiceField(
        label=_("Services"), choices=AgreementService.choices, widget=forms.CheckboxSelectMultiple
    )
    signed_on = forms.DateField(label=_("Signed on"), **DATE)
    expires_on = forms.DateField(
        label=_("Expires on"),
        help_text=_("A renewal reminder goes out 60 days before."),
        **DATE,
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args, areas=None, care, medical, **kwargs):
        super().__init__(*args, **kwargs)
        if areas is None:  # editing: the area stays where the agreement was made
            del self.fields["area"]
        else:
            self.fields["area"].queryset = areas
        self.fields["care_institution"].queryset = care
        self.fields["medical_institution"].queryset = medical


class TeamForm(forms.Form):
    area = AreaChoiceField(label=_("Area served"), queryset=Area.objects.none())
    name = forms.CharField(label=_("Team name"), max_length=200)
    medical_institution = forms.ModelChoiceField(
        label=_("Medical institution"), queryset=Organisation.objects.none()
    )
    members = forms.CharField(
        label=_("Members"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One name and role per line, e.g. 王医生 (family doctor)."),
    )
    phone = forms.CharField(label=_("Team phone"), max_length=20, required=False)

    def __init__(self, *args, areas, medical, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas
        self.fields["medical_institution"].queryset = medical


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        born = f" · {obj.birth_date.year}" if obj.birth_date else ""
        return f"{obj.name}{born} · {obj.community.name}"


class ContractForm(forms.Form):
    person = PersonChoiceField(label=_("Resident"), queryset=Person.objects.none())
    signed_on = forms.DateField(label=_("Signed on"), initial=timezone.localdate, **DATE)
    visit_every_days = forms.IntegerField(
        label=_("Visit every (days)"), min_value=1, max_value=MAX_VISIT_INTERVAL_DAYS, initial=30
    )

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people


class VisitForm(forms.Form):
    visited_on = forms.DateField(label=_("Visited on"), initial=timezone.localdate, **DATE)
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )


class ContractEndForm(forms.Form):
    ended_on = forms.DateField(label=_("Ended on"), initial=timezone.localdate, **DATE)
