"""Home-adaptation rules as data, versioned per area (DOMAIN.md Part 2, Part 3 §4.1).

Subsidy payload: {"subsidy_cap": "3000.00", "min_age": 60, "exclusions": ["rented", ...],
"stage_days": {"applied": 15, ...}}. Catalogue payload: {"items": [{"code": "T01",
"area": "toilet_bathing", "name": "...", "basic": true, "guide_price": "380.00"}]}.
"""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import AdaptationArea, AdaptationStage, Exclusion

# Days a case may sit in each stage before it is due (and its handler reminded).
DEFAULT_STAGE_DAYS = {
    AdaptationStage.APPLIED: 15,
    AdaptationStage.ASSESSED: 15,
    AdaptationStage.PLANNED: 10,
    AdaptationStage.APPROVED: 30,
    AdaptationStage.WORKS: 45,
    AdaptationStage.ACCEPTED: 30,
}

DEFAULT_SUBSIDY = {
    "subsidy_cap": "3000.00",
    "min_age": 60,
    "exclusions": [Exclusion.RENTED, Exclusion.DEMOLITION, Exclusion.DANGEROUS],
    "stage_days": {str(k): v for k, v in DEFAULT_STAGE_DAYS.items()},
}
# Fengyang county's version.
FENGYANG_SUBSIDY = {**DEFAULT_SUBSIDY, "subsidy_cap": "5000.00"}


def _item(code, area, name, basic, price):
    return {"code": code, "area": area, "name": name, "basic": basic, "guide_price": price}


A = AdaptationArea
# The 2020 guideline's shape: a few basic (subsidised) items per area, the rest optional.
DEFAULT_CATALOGUE = {
    "items": [
        _item("T01", A.TOILET_BATHING, "卫生间扶手", True, "380.00"),
        _item("T02", A.TOILET_BATHING, "淋浴椅", True, "260.00"),
        _item("T03", A.TOILET_BATHING, "防滑地面处理", True, "900.00"),
        _item("T04", A.TOILET_BATHING, "坐便器改造", False, "1200.00"),
        _item("E01", A.HOME_ENVIRONMENT, "高差处理与坡道", True, "650.00"),
        _item("E02", A.HOME_ENVIRONMENT, "感应夜灯", True, "120.00"),
        _item("E03", A.HOME_ENVIRONMENT, "门槛移除", False, "300.00"),
        _item("E04", A.HOME_ENVIRONMENT, "推拉门改造", False, "1500.00"),
        _item("W01", A.INDOOR_WALKING, "走廊扶手", True, "420.00"),
        _item("W02", A.INDOOR_WALKING, "门把手更换（杠杆式）", False, "90.00"),
        _item("M01", A.SMART_MONITORING, "紧急呼叫器", True, "280.00"),
        _item("M02", A.SMART_MONITORING, "烟雾报警器", True, "150.00"),
        _item("M03", A.SMART_MONITORING, "燃气泄漏报警器", False, "220.00"),
        _item("M04", A.SMART_MONITORING, "闪光门铃", False, "160.00"),
        _item("D01", A.ASSISTIVE_DEVICES, "助行器", True, "200.00"),
        _item("D02", A.ASSISTIVE_DEVICES, "轮椅", False, "800.00"),
        _item("D03", A.ASSISTIVE_DEVICES, "护理床", False, "2600.00"),
    ]
}


def _money(value, code: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except InvalidOperation as error:
        raise ValidationError(_("Give amounts in yuan, like 3000.00."), code=code) from error
    if amount < 0 or amount != amount.quantize(Decimal("0.01")):
        raise ValidationError(_("Give amounts in yuan, like 3000.00."), code=code)
    return amount


def validate_subsidy(payload: dict) -> dict:
    cap = _money(payload.get("subsidy_cap"), "cap")
    min_age = payload.get("min_age", 60)
    if not isinstance(min_age, int) or not 0 < min_age < 120:
        raise ValidationError(_("Give the minimum age in years."), code="min_age")
    exclusions = payload.get("exclusions", [])
    if not isinstance(exclusions, list) or not set(exclusions) <= set(Exclusion.values):
        raise ValidationError(_("Unknown home condition in the exclusions."), code="exclusions")
    stage_days = payload.get("stage_days", DEFAULT_SUBSIDY["stage_days"])
    if not isinstance(stage_days, dict) or not all(
        key in AdaptationStage.values and isinstance(days, int) and 0 < days <= 365
        for key, days in stage_days.items()
    ):
        raise ValidationError(_("Give each stage's time in days (1–365)."), code="stage_days")
    return {
        "subsidy_cap": str(cap),
        "min_age": min_age,
        "exclusions": sorted(set(exclusions)),
        "stage_days": stage_days,
    }


def validate_catalogue(payload: dict) -> dict:
    items = payload.get("items")
    if not isinstance(items, list) or not items:
        raise ValidationError(_("List at least one catalogue item."), code="no_items")
    codes = set()
    cleaned = []
    for item in items:
        code = str(item.get("code", "")).strip()
        if not code or code in codes:
            raise ValidationError(_("Each item needs its own code."), code="code")
        if item.get("area") not in AdaptationArea.values:
            raise ValidationError(_("Unknown adaptation area."), code="area")
        if not str(item.get("name", "")).strip():
            raise ValidationError(_("Each item needs a name."), code="name")
        codes.add(code)
        cleaned.append(
            {
                "code": code,
                "area": item["area"],
                "name": str(item["name"]).strip(),
                "basic": bool(item.get("basic")),
                "guide_price": str(_money(item.get("guide_price"), "price")),
            }
        )
    return {"items": cleaned}


# The case kit's keys for both case kinds: reminders before the due time; adaptation
# stages set their own due dates from "stage_days" above.
ADAPTATION_CASE_RULES = {
    "time_limit_days": 15,
    "working_days": False,
    "subdistrict_time_limit_days": 15,
    "reminder_lead_hours": 72,
}
ERRAND_CASE_RULES = {
    "time_limit_days": 5,
    "working_days": True,
    "subdistrict_time_limit_days": 5,
    "reminder_lead_hours": 24,
}
