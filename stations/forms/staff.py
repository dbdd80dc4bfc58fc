"""Forms and filters of the staff station pages; the services enforce the rules, these
parse and word the input and keep what the user typed."""

from __future__ import annotations

from datetime import timedelta

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from eldercare.services.facilities import normalise_service_phone, validate_service_phone
from portal.models import Area, Organisation

from ..models import Amenity, Condition, Station, Weekday
from ..services.registry import (
    SIX_HAVE_FIELDS,
    USAGE_DEFAULT_WEEKS,
    USAGE_MAX_DAYS,
    DayHours,
    closed_today_q,
    six_haves_q,
)
from ..services.upkeep import MAX_QUANTITY, AmenityEntry, CheckLine

# Amenities that carry an expiry date on the form.
EXPIRING = (Amenity.FIRST_AID,)

STAR_CHOICES = [("", "—")] + [(n, "★" * n) for n in range(1, 6)]


def _date_input(**attrs):
    return forms.DateInput(attrs={"type": "date", **attrs}, format="%Y-%m-%d")


def _time_input(**attrs):
    return forms.TimeInput(attrs={"type": "time", **attrs}, format="%H:%M")


def _cell(label, kind: str = "form-control") -> dict:
    """Attributes of an input shown in a table cell, where no label is printed."""
    return {"class": kind, "aria-label": str(label)}


class StationForm(forms.ModelForm):
    latitude = forms.DecimalField(
        label=_("Latitude"),
        required=False,
        help_text=_("Decimal degrees, e.g. 40.520630."),
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    longitude = forms.DecimalField(
        label=_("Longitude"),
        required=False,
        help_text=_("Decimal degrees, e.g. 95.782410."),
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    gcj02 = forms.BooleanField(
        label=_("These coordinates come from a Chinese map app (GCJ-02)"),
        required=False,
        help_text=_(
            "Amap, Baidu (in GCJ-02 mode) and Tencent maps show shifted coordinates; tick "
            "this and the portal converts them to GPS (WGS-84) before saving."
        ),
    )
    star_level = forms.TypedChoiceField(
        label=_("Star level"), choices=STAR_CHOICES, coerce=int, empty_value=None, required=False
    )

    class Meta:
        model = Station
        fields = [
            "community",
            "name",
            "host",
            "address",
            "latitude",
            "longitude",
            "union_registration",
            "star_level",
            *SIX_HAVE_FIELDS,
            "host_phone",
        ]
        help_texts = {
            "host": _("An organisation of the community or above it, e.g. the county union."),
            "host_phone": _("Shown to the public: a mobile or a landline with its area code."),
        }

    field_order = [
        "community",
        "name",
        "host",
        "address",
        "latitude",
        "longitude",
        "gcj02",
        "union_registration",
        "star_level",
        *SIX_HAVE_FIELDS,
        "host_phone",
    ]

    def __init__(self, *args, communities, hosts, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # The current place and host stay choosable even where the editor could not
            # pick them afresh.
            communities = communities | Area.objects.filter(pk=self.instance.community_id)
            if self.instance.host_id:
                hosts = hosts | Organisation.objects.filter(pk=self.instance.host_id)
        self.fields["community"].queryset = communities.distinct().order_by("path")
        self.fields["host"].queryset = hosts.distinct().order_by("name")
        self.fields["host"].required = False

    def clean_host_phone(self):
        # Checked here as well, so a wrong phone shows alongside the form's other errors.
        phone = normalise_service_phone(self.cleaned_data.get("host_phone") or "")
        try:
            validate_service_phone(phone)
        except ValidationError as error:
            raise ValidationError(error.error_dict["phone"]) from None
        return phone

    def _post_clean(self):
        # The service validates the whole station; skip the model's own full_clean so
        # its messages are not shown twice.
        pass


class HoursForm(forms.Form):
    """A row per weekday: opens and closes, or closed all day; and the 24-hour flag."""

    open_24_hours = forms.BooleanField(
        label=_("Open 24 hours"),
        required=False,
        help_text=_("When ticked, the station shows as open at any time."),
    )

    def __init__(self, *args, station=None, **kwargs):
        super().__init__(*args, **kwargs)
        hours = {}
        if station is not None:
            self.fields["open_24_hours"].initial = station.open_24_hours
            for h in station.hours.all():
                hours.setdefault(h.weekday, h)
        has_hours = bool(hours)
        for day in Weekday:
            h = hours.get(day.value)
            self.fields[f"closed_{day.value}"] = forms.BooleanField(
                label=_("Closed all day"),
                required=False,
                initial=has_hours and h is None,
            )
            self.fields[f"opens_{day.value}"] = forms.TimeField(
                label=_("Opens"),
                required=False,
                widget=_time_input(**_cell(f"{day.label}: {_('Opens')}")),
                initial=h.opens if h else None,
            )
            self.fields[f"closes_{day.value}"] = forms.TimeField(
                label=_("Closes"),
                required=False,
                widget=_time_input(**_cell(f"{day.label}: {_('Closes')}")),
                initial=h.closes if h else None,
            )

    def rows(self):
        return [
            (
                day.label,
                self[f"closed_{day.value}"],
                self[f"opens_{day.value}"],
                self[f"closes_{day.value}"],
            )
            for day in Weekday
        ]

    def clean(self):
        data = super().clean()
        around_the_clock = data.get("open_24_hours")
        for day in Weekday:
            d = day.value
            if data.get(f"closed_{d}") or f"opens_{d}" in self.errors:
                continue
            opens, closes = data.get(f"opens_{d}"), data.get(f"closes_{d}")
            if opens is None and closes is None and around_the_clock:
                continue
            if opens is None:
                self.add_error(f"opens_{d}", _("Give the opening time, or tick closed all day."))
            if closes is None and f"closes_{d}" not in self.errors:
                self.add_error(f"closes_{d}", _("Give the closing time, or tick closed all day."))
            if opens is not None and opens == closes:
                self.add_error(
                    f"closes_{d}",
                    _("Opening and closing at the same time is no opening; tick 24 hours instead."),
                )
        return data

    def days(self) -> list[DayHours]:
        data = self.cleaned_data
        return [
            DayHours(day.value, data[f"opens_{day.value}"], data[f"closes_{day.value}"])
            for day in Weekday
            if not data.get(f"closed_{day.value}")
            and data.get(f"opens_{day.value}") is not None
            and data.get(f"closes_{day.value}") is not None
        ]


class AmenitiesForm(forms.Form):
    """Every amenity of the catalogue: whether the station has it, and its details."""

    version = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, station, version: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = version
        current = {a.amenity: a for a in station.amenities.all()}
        for amenity in Amenity:
            code, row = amenity.value, current.get(amenity.value)
            self.fields[f"has_{code}"] = forms.BooleanField(
                label=amenity.label, required=False, initial=row is not None
            )
            self.fields[f"quantity_{code}"] = forms.IntegerField(
                label=_("Quantity"),
                required=False,
                min_value=0,
                max_value=MAX_QUANTITY,
                initial=row.quantity if row else 1,
                widget=forms.NumberInput(attrs=_cell(f"{amenity.label}: {_('Quantity')}")),
            )
            self.fields[f"condition_{code}"] = forms.ChoiceField(
                label=_("Condition"),
                required=False,
                choices=Condition.choices,
                initial=row.condition if row else Condition.GOOD,
                widget=forms.Select(
                    attrs=_cell(f"{amenity.label}: {_('Condition')}", "form-select")
                ),
            )
            self.fields[f"in_stock_{code}"] = forms.BooleanField(
                label=_("In stock"), required=False, initial=row.in_stock if row else True
            )
            if amenity in EXPIRING:
                self.fields[f"expires_on_{code}"] = forms.DateField(
                    label=_("Expires on"),
                    required=False,
                    widget=_date_input(**_cell(f"{amenity.label}: {_('Expires on')}")),
                    initial=row.expires_on if row else None,
                )

    def rows(self):
        return [
            (
                self[f"has_{a.value}"],
                self[f"quantity_{a.value}"],
                self[f"condition_{a.value}"],
                self[f"in_stock_{a.value}"],
                self[f"expires_on_{a.value}"] if a in EXPIRING else None,
            )
            for a in Amenity
        ]

    def clean(self):
        data = super().clean()
        for amenity in Amenity:
            code = amenity.value
            if not data.get(f"has_{code}"):
                continue
            if data.get(f"quantity_{code}") is None and f"quantity_{code}" not in self.errors:
                self.add_error(f"quantity_{code}", _("Give the quantity."))
            if not data.get(f"condition_{code}") and f"condition_{code}" not in self.errors:
                self.add_error(f"condition_{code}", _("Choose a condition."))
        return data

    def entries(self) -> list[AmenityEntry]:
        data = self.cleaned_data
        return [
            AmenityEntry(
                amenity=a.value,
                quantity=data[f"quantity_{a.value}"],
                condition=data[f"condition_{a.value}"],
                in_stock=bool(data.get(f"in_stock_{a.value}")),
                expires_on=data.get(f"expires_on_{a.value}"),
            )
            for a in Amenity
            if data.get(f"has_{a.value}")
        ]


class SupplyCheckForm(forms.Form):
    """A line per amenity the station has: condition, in stock, quantity."""

    checked_on = forms.DateField(
        label=_("Checked on"), widget=_date_input(), initial=timezone.localdate
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=300,
        required=False,
        help_text=_("What was restocked or needs replacing."),
    )

    def __init__(self, *args, amenities, **kwargs):
        super().__init__(*args, **kwargs)
        self.amenities = list(amenities)
        for a in self.amenities:
            code, name = a.amenity, a.get_amenity_display()
            self.fields[f"condition_{code}"] = forms.ChoiceField(
                label=_("Condition"),
                choices=Condition.choices,
                initial=a.condition,
                widget=forms.Select(attrs=_cell(f"{name}: {_('Condition')}", "form-select")),
            )
            self.fields[f"in_stock_{code}"] = forms.BooleanField(
                label=_("In stock"), required=False, initial=a.in_stock
            )
            self.fields[f"quantity_{code}"] = forms.IntegerField(
                label=_("Quantity"),
                min_value=0,
                max_value=MAX_QUANTITY,
                initial=a.quantity,
                widget=forms.NumberInput(attrs=_cell(f"{name}: {_('Quantity')}")),
            )

    def rows(self):
        return [
            (
                a,
                self[f"condition_{a.amenity}"],
                self[f"in_stock_{a.amenity}"],
                self[f"quantity_{a.amenity}"],
            )
            for a in self.amenities
        ]

    def lines(self) -> list[CheckLine]:
        data = self.cleaned_data
        return [
            CheckLine(
                amenity=a.amenity,
                condition=data[f"condition_{a.amenity}"],
                in_stock=bool(data.get(f"in_stock_{a.amenity}")),
                quantity=data[f"quantity_{a.amenity}"],
            )
            for a in self.amenities
        ]


class CloseForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is the station closed?"),
        max_length=200,
        help_text=_("Shown on the public page, e.g. heating repairs."),
    )
    until = forms.DateField(
        label=_("Closed until"),
        required=False,
        widget=_date_input(),
        help_text=_("The last day it stays closed; leave empty if not known."),
    )


class ModerateForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve: show it publicly")), ("reject", _("Reject"))],
        widget=forms.RadioSelect,
    )


class UsageForm(forms.Form):
    """Filter of the usage table: a station (or all in scope) and a period."""

    station = forms.ModelChoiceField(
        label=_("Station"),
        queryset=Station.objects.none(),
        required=False,
        empty_label=_("All stations"),
    )
    since = forms.DateField(label=_("From"), required=False, widget=_date_input())
    until = forms.DateField(label=_("To"), required=False, widget=_date_input())

    def __init__(self, *args, stations, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["station"].queryset = stations
        self.fields["until"].initial = today
        self.fields["since"].initial = self.default_since()

    def default_since(self):
        monday = self.today - timedelta(days=self.today.weekday())
        return monday - timedelta(weeks=USAGE_DEFAULT_WEEKS - 1)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        since = data.get("since") or self.default_since()
        until = data.get("until") or self.today
        if until < since:
            self.add_error("until", _("The end of the period cannot be before its start."))
        elif (until - since).days > USAGE_MAX_DAYS:
            self.add_error("since", _("Choose a period of at most a year."))
        data["since"], data["until"] = since, until
        return data

    def period(self):
        """The chosen period, or the default one when the input was wrong."""
        if self.is_bound and self.is_valid():
            return (
                self.cleaned_data["station"],
                self.cleaned_data["since"],
                self.cleaned_data["until"],
            )
        return None, self.default_since(), self.today


STATE_CHOICES = [("open", _("Open as usual")), ("closed", _("Temporarily closed"))]
SIX_HAVES_CHOICES = [("complete", _("All six")), ("incomplete", _("Some missing"))]


class StationFilter(django_filters.FilterSet):
    community = django_filters.ModelChoiceFilter(
        label=_("Community"), queryset=Area.objects.none(), empty_label=_("All communities")
    )
    state = django_filters.ChoiceFilter(
        label=_("State"),
        choices=STATE_CHOICES,
        empty_label=_("Open or temporarily closed"),
        method="filter_state",
    )
    six_haves = django_filters.ChoiceFilter(
        label=_("Six haves"),
        choices=SIX_HAVES_CHOICES,
        empty_label=_("Any"),
        method="filter_six_haves",
    )

    class Meta:
        model = Station
        fields = ["community", "state", "six_haves"]

    def __init__(self, *args, communities, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["community"].queryset = communities

    def filter_state(self, queryset, name, value):
        closed = closed_today_q(timezone.localdate())
        return queryset.filter(closed) if value == "closed" else queryset.exclude(closed)

    def filter_six_haves(self, queryset, name, value):
        complete = six_haves_q()
        return queryset.filter(complete) if value == "complete" else queryset.exclude(complete)
