"""Rules as data: which version is in force for an area, and how payloads are checked."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import F, Q
from django.db.models.functions import Length
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Area, RuleSet
from .registry import registry


def ancestor_paths(area: Area) -> list[str]:
    """The area's own path and those of everything above it."""
    return [area.path[:end] for end in range(Area.steplen, len(area.path) + 1, Area.steplen)]


def rule_in_force(kind: str, area: Area | None, at=None) -> RuleSet | None:
    """The rule set of `kind` governing `area` at `at`: the nearest area up the tree that
    has one valid then, its latest version; nationwide rules last. One query."""
    at = at or timezone.now()
    here = Q(area__isnull=True)
    if area is not None:
        here |= Q(area__path__in=ancestor_paths(area))
    return (
        RuleSet.objects.filter(here, kind=kind, valid_from__lte=at)
        .alias(depth=Length("area__path"))
        .order_by(F("depth").desc(nulls_last=True), "-valid_from", "-version")
        .first()
    )


def rules_for(kind: str, area: Area | None, at=None) -> tuple[dict, RuleSet | None]:
    """The payload in force, or the rule kind's built-in default when no set exists."""
    rule_set = rule_in_force(kind, area, at)
    if rule_set is not None:
        return rule_set.payload, rule_set
    return dict(registry.rule_kinds[kind].default), None


def form_validator(form_class):
    """A RuleKind.validate made from a Form: the cleaned payload or a ValidationError."""

    def validate(payload: dict) -> dict:
        form = form_class(data=payload)
        if not form.is_valid():
            raise ValidationError(form.errors.as_data())
        return {**payload, **form.cleaned_data}

    return validate


class CaseRulesForm(forms.Form):
    """What every case kind's rules hold: time limits and reminder lead time."""

    time_limit_days = forms.IntegerField(
        label=_("Time limit at the community (days)"), min_value=1, max_value=365
    )
    working_days = forms.BooleanField(label=_("Count working days only"), required=False)
    subdistrict_time_limit_days = forms.IntegerField(
        label=_("Time limit after escalation to the subdistrict (days)"),
        min_value=1,
        max_value=365,
    )
    reminder_lead_hours = forms.IntegerField(
        label=_("Remind the handler this many hours before the due time"),
        min_value=0,
        max_value=24 * 30,
    )
    reminder_text = forms.CharField(
        label=_("Reminder text"),
        required=False,
        max_length=200,
        help_text=_("Optional; may use {reference}, {due} and {title}."),
    )

    def clean_reminder_text(self):
        text = self.cleaned_data["reminder_text"]
        try:
            text.format(reference="", due="", title="")
        except (KeyError, IndexError, ValueError) as error:
            raise forms.ValidationError(
                _("Only {reference}, {due} and {title} may be used."), code="placeholder"
            ) from error
        return text


validate_case_rules = form_validator(CaseRulesForm)

DEFAULT_CASE_RULES = {
    "time_limit_days": 15,
    "working_days": True,
    "subdistrict_time_limit_days": 10,
    "reminder_lead_hours": 24,
}
