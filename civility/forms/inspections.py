"""Forms of inspections and findings: they word field errors and keep what was typed;
the services decide what is allowed."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..models import (
    Category,
    Finding,
    FindingStatus,
    Mode,
    Resolution,
    Result,
    Severity,
    SiteType,
)
from ..services.inspections import NOTE_MAX

PHOTO_TYPES = "image/jpeg,image/png,image/webp"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class UserChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return str(obj)


class StartForm(forms.Form):
    site = forms.ModelChoiceField(label=_("Site"), queryset=None, empty_label=_("Choose a site"))
    mode = forms.ChoiceField(label=_("Mode"), choices=Mode.choices, initial=Mode.JOINT)
    inspected_on = forms.DateField(label=_("Date"), widget=DateInput())
    inspectors = UserChoices(
        label=_("Inspectors"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("You are on the team in any case."),
    )
    departments = forms.ModelMultipleChoiceField(
        label=_("Departments"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Market supervision, comprehensive law enforcement, fire and others joining "
            "the visit: at most one visit."
        ),
    )
    criteria_set = forms.ModelChoiceField(
        label=_("Criteria set"),
        queryset=None,
        required=False,
        empty_label=_("The set in force for the site on the date"),
    )

    def __init__(self, *args, sites, inspectors, departments, criteria_sets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites
        self.fields["inspectors"].queryset = inspectors
        self.fields["departments"].queryset = departments
        self.fields["criteria_set"].queryset = criteria_sets
        self.fields["inspected_on"].initial = timezone.localdate()


class AnswerForm(forms.Form):
    """One checklist item, posted by its own buttons (or by the page's script)."""

    criterion = forms.IntegerField(widget=forms.HiddenInput)
    result = forms.ChoiceField(
        label=_("Result"),
        choices=Result.choices,
        error_messages={"required": _("Choose pass, fail or not applicable.")},
    )
    note = forms.CharField(label=_("Note"), max_length=NOTE_MAX, required=False)
    photo = forms.ImageField(
        label=_("Photo"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": PHOTO_TYPES}),
    )


class ResolveForm(forms.Form):
    resolution = forms.ChoiceField(
        label=_("How is it settled?"),
        choices=Resolution.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose how the problem is settled.")},
    )
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices)
    after_photo = forms.ImageField(
        label=_("Photo after the fix"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": PHOTO_TYPES, "capture": "environment"}),
        help_text=_("Required when the problem was fixed on the spot."),
    )
    rectify_by = forms.DateField(
        label=_("Rectify by"),
        required=False,
        widget=DateInput(),
        help_text=_("Only for rectification by a deadline; a re-check is set for that day."),
    )
    note = forms.CharField(
        label=_("Note"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class RecheckForm(forms.Form):
    passed = forms.TypedChoiceField(
        label=_("Re-check result"),
        choices=[("yes", _("passed: rectified")), ("no", _("failed: not rectified"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": _("Say whether the re-check passed.")},
    )
    note = forms.CharField(
        label=_("Note"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    photo = forms.ImageField(
        label=_("Photo"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": PHOTO_TYPES, "capture": "environment"}),
    )


NO_RESOLUTION = "none"


class FindingFilter(django_filters.FilterSet):
    resolution = django_filters.ChoiceFilter(
        label=_("Resolution"),
        choices=[(NO_RESOLUTION, _("not settled yet")), *Resolution.choices],
        empty_label=_("Any resolution"),
        method="by_resolution",
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"),
        field_name="case__status",
        choices=FindingStatus.choices,
        empty_label=_("Any status"),
    )
    site_type = django_filters.ChoiceFilter(
        label=_("Site type"),
        field_name="site__type",
        choices=SiteType.choices,
        empty_label=_("Any type"),
    )
    category = django_filters.ChoiceFilter(
        label=_("Criterion category"),
        field_name="criterion__category",
        choices=Category.choices,
        empty_label=_("Any category"),
    )
    overdue = django_filters.BooleanFilter(
        label=_("Overdue"),
        method="by_overdue",
        widget=forms.Select(choices=[("", _("All")), ("true", _("yes")), ("false", _("no"))]),
    )

    class Meta:
        model = Finding
        fields = ["resolution", "status", "site_type", "category", "overdue"]

    def by_resolution(self, queryset, name, value):
        return queryset.filter(resolution="" if value == NO_RESOLUTION else value)

    def by_overdue(self, queryset, name, value):
        now = timezone.now()
        if value:
            return queryset.filter(case__closed_at__isnull=True, case__due_at__lt=now)
        # Spelt out rather than "not in the late ones": that subquery reads every late
        # finding in reach on each page.
        return queryset.filter(
            Q(case__closed_at__isnull=False)
            | Q(case__due_at__isnull=True)
            | Q(case__due_at__gte=now)
        )
