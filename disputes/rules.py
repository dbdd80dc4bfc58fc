"""The clinic's rules (rules as data): mediation time limits, return visits, confirmation."""

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.rules import CaseRulesForm


class DisputeRulesForm(CaseRulesForm):
    return_visit_days = forms.IntegerField(
        label=_("Return visit after (days)"), min_value=1, max_value=365
    )
    confirmation_window_days = forms.IntegerField(
        label=_("Judicial confirmation window (days)"), min_value=1, max_value=90
    )
    confirmation_warning_days = forms.IntegerField(
        label=_("Warn this many days before the window closes"), min_value=0, max_value=30
    )
    orange_time_limit_days = forms.IntegerField(
        label=_("Time limit for orange-risk disputes (days)"), min_value=1, max_value=30
    )


# Mediation: 30 days from acceptance (People's Mediation Law, DOMAIN.md Part 2), calendar
# days; red escalates at once, orange is due the next day, yellow as usual.
DISPUTE_RULES = {
    "time_limit_days": 30,
    "working_days": False,
    "subdistrict_time_limit_days": 15,
    "reminder_lead_hours": 72,
    "return_visit_days": 15,
    "confirmation_window_days": 30,
    "confirmation_warning_days": 5,
    "orange_time_limit_days": 1,
}
CONCERN_RULES = {
    "time_limit_days": 10,
    "working_days": True,
    "subdistrict_time_limit_days": 10,
    "reminder_lead_hours": 24,
}
