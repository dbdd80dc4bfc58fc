"""Forms of home adaptation: they word field errors and keep what was typed; the
services decide what is allowed."""

from __future__ import annotations

from decimal import Decimal

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from housing.models import Residence
from portal.personal import normalise_id_number, validate_id_number

from ..models import (
    Adaptation,
    AdaptationArea,
    AdaptationStage,
    Applicant,
    CapacityLevel,
    Eligibility,
    Exclusion,
)
from ..services.adaptations import MAX_QUANTITY, PlanLine

PHOTO_TYPES = "image/jpeg,image/png,image/webp"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several photos in one input; cleans to a list (empty when none were sent)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", MultiplePhotoInput(attrs={"accept": PHOTO_TYPES}))
        kwargs.setdefault("label", _("Photos"))
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            files = [single(item, initial) for item in data if item]
        else:
            files = [single(data, initial)] if data else []
        files = [f for f in files if f]
        if self.required and not files:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return files


def level_choices(blank_label):
    return [("", blank_label), *CapacityLevel.choices]


# --- Applying -----------------------------------------------------------------------------


class ApplyForm(forms.Form):
    """What every application states; residents pick from their homes, staff look the
    elder up by ID card number."""

    eligibility = forms.ChoiceField(
        label=_("Eligibility category"),
        choices=[("", _("Choose")), *Eligibility.choices],
        help_text=_("Kept confidential: only the community's staff and eldercare officers see it."),
    )
    exclusions = forms.MultipleChoiceField(
        label=_("The home is…"),
        choices=Exclusion.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tick whatever applies; homes the rule in force excludes cannot be adapted."),
    )


def home_label(person, household) -> str:
    return f"{person.name} · {household}"


class ResidentApplyForm(ApplyForm):
    elder_home = forms.ChoiceField(
        label=_("For whom"),
        help_text=_("Yourself or a family member on record in your home."),
    )

    field_order = ["elder_home", "eligibility", "exclusions"]

    def __init__(self, *args, homes, **kwargs):
        super().__init__(*args, **kwargs)
        self.homes = {
            f"{person.pk}:{household.pk}": (person, household) for person, household in homes
        }
        self.fields["elder_home"].choices = [
            (key, home_label(person, household)) for key, (person, household) in self.homes.items()
        ]
        if len(self.homes) == 1:
            self.fields["elder_home"].initial = next(iter(self.homes))

    def clean_elder_home(self):
        return self.homes[self.cleaned_data["elder_home"]]


class StaffApplyForm(ApplyForm):
    id_number = forms.CharField(
        label=_("The elder's ID card number"),
        max_length=30,
        help_text=_("The age is taken from the birth date on record."),
    )
    household = forms.TypedChoiceField(
        label=_("Dwelling"),
        coerce=int,
        required=False,
        help_text=_("Needed when the elder lives in more than one home on record."),
    )
    applicant = forms.ChoiceField(
        label=_("Applied by"), choices=Applicant.choices, initial=Applicant.STAFF
    )

    field_order = ["id_number", "household", "applicant", "eligibility", "exclusions"]

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        # `people`: the Person rows the user may see; the elder is looked up among them.
        self.people = people
        self.elder = None
        self.fields["household"].choices = [("", "—")]
        data_id = self.data.get(self.add_prefix("id_number")) if self.is_bound else None
        if data_id:
            self._offer_homes(data_id)
        if len(self.fields["household"].choices) <= 2:
            # Asked for only once the elder turns out to live in several homes.
            self.fields["household"].widget = forms.HiddenInput()

    def _find(self, number):
        from housing.services.registry import find_person_by_id

        person = find_person_by_id(number)
        if person is None or not self.people.filter(pk=person.pk).exists():
            return None
        return person

    def _offer_homes(self, raw_number):
        number = normalise_id_number(raw_number)
        try:
            validate_id_number(number)
        except forms.ValidationError:
            return
        person = self._find(number)
        if person is None:
            return
        residences = Residence.objects.filter(person=person).select_related(
            "household__unit__building__estate"
        )
        self.fields["household"].choices = [
            ("", "—"),
            *[(r.household_id, str(r.household)) for r in residences],
        ]
        self.residences = {r.household_id: r.household for r in residences}

    def clean_id_number(self):
        number = normalise_id_number(self.cleaned_data["id_number"])
        validate_id_number(number)
        self.elder = self._find(number)
        if self.elder is None:
            raise forms.ValidationError(
                _("No resident with this ID card number is on record in your area."),
                code="unknown_person",
            )
        return number

    def clean(self):
        cleaned = super().clean()
        if self.elder is None:
            return cleaned
        homes = getattr(self, "residences", {})
        chosen = cleaned.get("household")
        if chosen:
            if chosen not in homes:
                self.add_error("household", _("Choose one of the elder's homes."))
            else:
                cleaned["household"] = homes[chosen]
        elif len(homes) == 1:
            cleaned["household"] = next(iter(homes.values()))
        elif not homes:
            self.add_error(
                "id_number",
                forms.ValidationError(
                    _("The elder has no home on record; add the residence in the registry first."),
                    code="no_home",
                ),
            )
        else:
            self.add_error(
                "household",
                forms.ValidationError(
                    _("The elder lives in more than one home on record: choose one."),
                    code="choose_home",
                ),
            )
        return cleaned


# --- Working the case -------------------------------------------------------------------


class AssessForm(forms.Form):
    capacity_level = forms.TypedChoiceField(
        label=_("Overall capacity level"),
        coerce=int,
        choices=level_choices(_("Choose")),
        help_text=_("GB/T 42195-2022: 0 intact … 4 lost."),
    )
    daily_living = forms.TypedChoiceField(
        label=_("Daily living activities"),
        coerce=int,
        empty_value=None,
        required=False,
        choices=level_choices("—"),
    )
    mental_state = forms.TypedChoiceField(
        label=_("Mental state"),
        coerce=int,
        empty_value=None,
        required=False,
        choices=level_choices("—"),
    )
    sensory = forms.TypedChoiceField(
        label=_("Sensory and communication"),
        coerce=int,
        empty_value=None,
        required=False,
        choices=level_choices("—"),
    )
    social = forms.TypedChoiceField(
        label=_("Social participation"),
        coerce=int,
        empty_value=None,
        required=False,
        choices=level_choices("—"),
    )
    home_assessment = forms.CharField(
        label=_("Home assessment"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What the home visit found: hazards, what the elder struggles with."),
    )
    photos = PhotosField(required=False, help_text=_("JPEG, PNG or WEBP; several at once."))


def plan_field_names(index: int) -> tuple[str, str]:
    return f"qty_{index}", f"price_{index}"


class PlanForm(forms.Form):
    """The plan builder: a quantity and a price for every item of the case's catalogue;
    quantity 0 (or empty) leaves the item out, an empty price takes the guide price."""

    def __init__(self, *args, catalogue: list[dict], items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.catalogue = catalogue
        chosen = {item.code: item for item in items}
        for index, entry in enumerate(catalogue):
            qty_name, price_name = plan_field_names(index)
            item = chosen.get(entry["code"])
            self.fields[qty_name] = forms.IntegerField(
                label=_("Quantity of %(item)s") % {"item": entry["name"]},
                min_value=0,
                max_value=MAX_QUANTITY,
                required=False,
                initial=item.quantity if item else 0,
                widget=forms.NumberInput(attrs={"class": "form-control form-control-sm plan-qty"}),
            )
            self.fields[price_name] = forms.DecimalField(
                label=_("Unit price of %(item)s (yuan)") % {"item": entry["name"]},
                min_value=Decimal(0),
                max_digits=10,
                decimal_places=2,
                required=False,
                initial=item.unit_price if item else Decimal(entry["guide_price"]),
                widget=forms.NumberInput(
                    attrs={"class": "form-control form-control-sm plan-price", "step": "0.01"}
                ),
            )

    def lines(self) -> list[PlanLine]:
        lines = []
        for index, entry in enumerate(self.catalogue):
            qty_name, price_name = plan_field_names(index)
            quantity = self.cleaned_data.get(qty_name) or 0
            if quantity:
                lines.append(
                    PlanLine(
                        code=entry["code"],
                        quantity=quantity,
                        unit_price=self.cleaned_data.get(price_name),
                    )
                )
        return lines

    def rows_by_area(self):
        """The catalogue grouped by the five areas, each row with its two inputs."""
        groups = {area: [] for area in AdaptationArea}
        for index, entry in enumerate(self.catalogue):
            qty_name, price_name = plan_field_names(index)
            groups.setdefault(entry["area"], []).append(
                {"entry": entry, "qty": self[qty_name], "price": self[price_name]}
            )
        return [
            {"area": area, "label": AdaptationArea(area).label, "rows": rows}
            for area, rows in groups.items()
            if rows and area in AdaptationArea.values
        ]


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Shown on the timeline the household reads."),
    )


class WorksForm(forms.Form):
    contractor = forms.ModelChoiceField(label=_("Contractor"), queryset=None)
    started_on = forms.DateField(label=_("Works started on"), widget=DateInput())

    def __init__(self, *args, contractors, **kwargs):
        kwargs.setdefault("initial", {"started_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.fields["contractor"].queryset = contractors


class AcceptForm(forms.Form):
    accepted_on = forms.DateField(label=_("Accepted on"), widget=DateInput())
    record = forms.CharField(
        label=_("Acceptance record"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Who inspected, what was checked, what was found."),
    )
    photos = PhotosField(
        label=_("Photos of the finished work"),
        required=True,
        help_text=_("At least one photo; JPEG, PNG or WEBP."),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"accepted_on": timezone.localdate()})
        super().__init__(*args, **kwargs)


class PayForm(forms.Form):
    paid_on = forms.DateField(label=_("Subsidy paid on"), widget=DateInput())

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"paid_on": timezone.localdate()})
        super().__init__(*args, **kwargs)


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for rejection"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The household reads this reason."),
    )


class SurveyForm(forms.Form):
    satisfaction = forms.TypedChoiceField(
        label=_("How satisfied are you with the works?"),
        coerce=int,
        choices=[(n, str(n)) for n in range(5, 0, -1)],
        widget=forms.RadioSelect,
        help_text=_("5 very satisfied … 1 very dissatisfied."),
    )
    comment = forms.CharField(
        label=_("Comment"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


# --- The queue ----------------------------------------------------------------------------


class AdaptationFilter(django_filters.FilterSet):
    """The queue's filters. Eligibility is sensitive: the filter exists only for users who
    may see it, and then only over communities where they may."""

    stage = django_filters.ChoiceFilter(
        label=_("Stage"), choices=AdaptationStage.choices, empty_label=_("All stages")
    )
    eligibility = django_filters.ChoiceFilter(
        label=_("Eligibility category"),
        choices=Eligibility.choices,
        empty_label=_("All categories"),
        method="by_eligibility",
    )
    overdue = django_filters.BooleanFilter(
        label=_("Overdue"),
        method="by_overdue",
        widget=forms.Select(choices=[("", _("All")), ("true", _("yes")), ("false", _("no"))]),
    )
    contractor = django_filters.ModelChoiceFilter(
        label=_("Contractor"), queryset=None, empty_label=_("Any contractor")
    )

    class Meta:
        model = Adaptation
        fields = ["stage", "eligibility", "overdue", "contractor"]

    def __init__(self, *args, contractors, sensitive_q=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["contractor"].queryset = contractors
        # None: the user may see eligibility nowhere, so cannot filter by it.
        self.sensitive_q = sensitive_q
        if sensitive_q is None:
            del self.filters["eligibility"]

    def by_eligibility(self, queryset, name, value):
        return queryset.filter(self.sensitive_q, eligibility=value)

    def by_overdue(self, queryset, name, value):
        now = timezone.now()
        if value:
            return queryset.filter(case__closed_at__isnull=True, case__due_at__lt=now)
        # Spelt out rather than "not in the late ones": that subquery read every late
        # adaptation in reach on each page (0.9 s for a city).
        return queryset.filter(
            Q(case__closed_at__isnull=False)
            | Q(case__due_at__isnull=True)
            | Q(case__due_at__gte=now)
        )
