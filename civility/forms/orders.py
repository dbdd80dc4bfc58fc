"""Forms of supervision orders: they word field errors and keep what was typed; the
services decide what is allowed."""

from __future__ import annotations

from datetime import timedelta

import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..models import OrderLevel, OrderStatus, SupervisionOrder
from ..services.orders import late_q

PHOTO_TYPES = "image/jpeg,image/png,image/webp"
DEFAULT_DAYS = 14


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


def _after_today(value):
    if value is not None and value <= timezone.localdate():
        raise forms.ValidationError(_("The deadline must be after today."), code="deadline_past")
    return value


class DeadlineField(forms.DateField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Deadline"))
        kwargs.setdefault("widget", DateInput())
        kwargs.setdefault("help_text", _("A day after today; the order is due at its end."))
        super().__init__(**kwargs)

    def clean(self, value):
        return _after_today(super().clean(value))


# --- The list -----------------------------------------------------------------------------


class OrderFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        label=_("Status"),
        field_name="case__status",
        choices=OrderStatus.choices,
        empty_label=_("All statuses"),
    )
    level = django_filters.ChoiceFilter(
        label=_("Level"), choices=OrderLevel.choices, empty_label=_("All levels")
    )
    unit = django_filters.ModelChoiceFilter(
        label=_("Responsible unit"),
        field_name="responsible_unit",
        queryset=None,
        empty_label=_("Any unit"),
    )
    overdue = django_filters.BooleanFilter(
        label=_("Overdue"),
        help_text=_("Past the deadline and not yet answered by the unit."),
        method="by_overdue",
        widget=forms.Select(choices=[("", _("All")), ("true", _("yes")), ("false", _("no"))]),
    )

    class Meta:
        model = SupervisionOrder
        fields = ["status", "level", "unit", "overdue"]

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["unit"].queryset = units

    def by_overdue(self, queryset, name, value):
        return queryset.filter(late_q()) if value else queryset.exclude(late_q())


# --- Issuing ------------------------------------------------------------------------------


class UnitForm(forms.Form):
    """Step one: the unit whose findings to bundle (sent by GET)."""

    unit = forms.ModelChoiceField(
        label=_("Responsible unit"), queryset=None, empty_label=_("Choose a unit")
    )

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units


class OrderForm(forms.Form):
    """Step two: the unit's findings (ticked in a table on the page), deadline, level,
    requirements."""

    unit = forms.ModelChoiceField(
        label=_("Responsible unit"), queryset=None, empty_label=_("Choose a unit")
    )
    findings = forms.ModelMultipleChoiceField(
        label=_("Findings"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one finding.")},
    )
    deadline = DeadlineField()
    level = forms.ChoiceField(label=_("Level"), choices=OrderLevel.choices)
    requirements = forms.CharField(
        label=_("Requirements"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What the unit must do, and how it proves it."),
    )

    def __init__(self, *args, units, findings, **kwargs):
        kwargs["initial"] = {
            "deadline": timezone.localdate() + timedelta(days=DEFAULT_DAYS),
            "level": OrderLevel.NORMAL,
            **(kwargs.get("initial") or {}),
        }
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        # Any finding the user may change validates; the service says why one that is
        # not the unit's or not open cannot be ordered.
        self.fields["findings"].queryset = findings


# --- Reply, re-check, reopen --------------------------------------------------------------


class ReplyForm(forms.Form):
    reply = forms.CharField(
        label=_("What the unit has done"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    photos = PhotosField(
        label=_("Evidence photos"),
        required=False,
        help_text=_("Photos after the rectification; JPEG, PNG or WEBP."),
    )


class RecheckResult:
    PASSED = "passed"
    FAILED = "failed"
    CHOICES = [
        (PASSED, _("Passed: close the order")),
        (FAILED, _("Failed: send it back to the unit")),
    ]


class RecheckForm(forms.Form):
    result = forms.ChoiceField(
        label=_("Result of the re-check"),
        choices=RecheckResult.CHOICES,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when the re-check fails: what is still wrong."),
    )
    deadline = DeadlineField(
        required=False, label=_("New deadline"), help_text=_("Required when the re-check fails.")
    )

    def clean(self):
        data = super().clean()
        if data.get("result") == RecheckResult.FAILED:
            if not (data.get("note") or "").strip() and "note" not in self.errors:
                self.add_error("note", _("Say what is still wrong."))
            if not data.get("deadline") and "deadline" not in self.errors:
                self.add_error("deadline", _("Give the new deadline."))
        return data


class ReopenForm(forms.Form):
    note = forms.CharField(
        label=_("What recurred"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    deadline = DeadlineField(label=_("New deadline"))
