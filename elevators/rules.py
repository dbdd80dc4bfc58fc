"""Consent and cost rules as data (DOMAIN.md Part 2), versioned per area.

Consent payload: {"rules": [{"kind": "household_share", "threshold_percent": "80"},
{"kind": "civil_code_278"}], "governing": 0} — every configured rule is shown side by
side; `governing` (an index) decides. Cost payload: default floor coefficients.
"""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

HOUSEHOLD_SHARE = "household_share"
CIVIL_CODE_278 = "civil_code_278"
RULE_KINDS = {
    HOUSEHOLD_SHARE: _("share of the unit's households agreeing"),
    CIVIL_CODE_278: _("Civil Code Art. 278 double majority"),
}

DEFAULT_CONSENT = {"rules": [{"kind": CIVIL_CODE_278}], "governing": 0}
YANGQUAN_CONSENT = {
    "rules": [{"kind": HOUSEHOLD_SHARE, "threshold_percent": "80"}, {"kind": CIVIL_CODE_278}],
    "governing": 0,
}


def default_coefficients(floors: int = 9) -> dict[str, str]:
    """Floors 1–2 exempt; 0.7 at the 3rd floor, rising by 0.1 a floor."""
    return {
        str(f): "0" if f <= 2 else str(Decimal("0.7") + Decimal("0.1") * (f - 3))
        for f in range(1, floors + 1)
    }


DEFAULT_COST = {"coefficients": default_coefficients(12)}


def validate_consent(payload: dict) -> dict:
    rules = payload.get("rules")
    if not isinstance(rules, list) or not rules:
        raise ValidationError(_("List at least one consent rule."), code="no_rules")
    for rule in rules:
        if rule.get("kind") not in RULE_KINDS:
            raise ValidationError(_("Unknown consent rule."), code="kind")
        if rule["kind"] == HOUSEHOLD_SHARE:
            try:
                share = Decimal(str(rule.get("threshold_percent")))
            except InvalidOperation as error:
                raise ValidationError(
                    _("Give the threshold as a percentage."), code="threshold"
                ) from error
            if not Decimal(0) < share <= Decimal(100):
                raise ValidationError(_("Give the threshold as a percentage."), code="threshold")
    governing = payload.get("governing", 0)
    if not isinstance(governing, int) or not 0 <= governing < len(rules):
        raise ValidationError(_("Say which rule governs."), code="governing")
    return {"rules": rules, "governing": governing}


def validate_cost(payload: dict) -> dict:
    coefficients = payload.get("coefficients")
    if not isinstance(coefficients, dict) or not coefficients:
        raise ValidationError(_("Give a coefficient per floor."), code="coefficients")
    try:
        for floor, value in coefficients.items():
            int(floor)
            if Decimal(str(value)) < 0:
                raise ValidationError(_("Coefficients cannot be negative."), code="negative")
    except (ValueError, InvalidOperation) as error:
        raise ValidationError(_("Give a coefficient per floor."), code="coefficients") from error
    return {"coefficients": {str(k): str(v) for k, v in coefficients.items()}}


PROJECT_RULES = {
    # The case kit's keys: how long a stage may sit before the community is reminded.
    "time_limit_days": 60,
    "working_days": False,
    "subdistrict_time_limit_days": 30,
    "reminder_lead_hours": 72,
}
