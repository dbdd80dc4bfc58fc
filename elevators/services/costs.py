"""Writes and reads of cost sharing: schedules, their agreement, compensation to households."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from housing.models import Household
from portal.errors import field_error as _invalid
from portal.roles import Action
from portal.rules import rules_for
from portal.scope import require
from portal.services.cases import case_comment

from .. import costs
from ..models import Compensation, CostSchedule, Project

COST_RULES = "elevators.cost"
MAX_AMOUNT = Decimal("9999999999.99")


def _require_change(actor, project: Project) -> None:
    require(actor, Action.CHANGE, project)


def _money(value, field: str) -> Decimal:
    """A non-negative amount in yuan with at most two decimals, or a ValidationError."""
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        amount = None
    if amount is None or not amount.is_finite():
        raise ValidationError({field: _("Give an amount in yuan.")}, code="amount")
    if amount < 0:
        raise ValidationError({field: _("The amount cannot be negative.")}, code="negative")
    if amount != amount.quantize(costs.FEN) or amount > MAX_AMOUNT:
        raise ValidationError(
            {field: _("Give the amount in yuan with at most two decimals.")}, code="amount"
        )
    return amount.quantize(costs.FEN)


def unit_floors(project: Project, households=()) -> list[int]:
    """Every floor that needs a coefficient: the unit's floors and any household's floor."""
    floors = set(range(1, project.unit.floors + 1))
    floors.update(h[1] for h in households)
    return sorted(floors)


def default_coefficients(project: Project) -> dict[int, Decimal]:
    """The coefficients in force for the project's community (rule kind elevators.cost)."""
    payload, _rule_set = rules_for(COST_RULES, project.case.community)
    return {int(k): Decimal(str(v)) for k, v in payload.get("coefficients", {}).items()}


def coefficients_of(schedule: CostSchedule) -> dict[int, Decimal]:
    return {int(k): Decimal(str(v)) for k, v in (schedule.coefficients or {}).items()}


def _clean_coefficients(raw, floors: list[int]) -> dict[int, Decimal]:
    cleaned: dict[int, Decimal] = {}
    for floor in floors:
        value = raw.get(floor, raw.get(str(floor)))
        if value is None or value == "":
            raise _invalid(
                "coefficients",
                _("Give a coefficient for floor %(floor)s.") % {"floor": floor},
                "missing",
            )
        try:
            coefficient = Decimal(str(value))
        except InvalidOperation:
            coefficient = None
        if coefficient is None or not coefficient.is_finite():
            raise _invalid(
                "coefficients",
                _("The coefficient of floor %(floor)s is not a number.") % {"floor": floor},
                "coefficient",
            )
        if coefficient < 0:
            raise _invalid(
                "coefficients",
                _("The coefficient of floor %(floor)s cannot be negative.") % {"floor": floor},
                "negative",
            )
        cleaned[floor] = coefficient
    return cleaned


def _households(project: Project) -> list[tuple[int, int, Decimal]]:
    return list(
        Household.objects.filter(unit_id=project.unit_id)
        .order_by("floor", "pk")
        .values_list("pk", "floor", "area_m2")
    )


def _compensation_total(project: Project) -> Decimal:
    total = Compensation.objects.filter(project=project).aggregate(total=Sum("amount"))["total"]
    return total or Decimal(0)


def shared_amount(schedule: CostSchedule, project: Project, compensation_total: Decimal) -> Decimal:
    """What the households share: construction is cost − subsidy + compensation; the
    annual schedules share their amount as it is. ValueError when negative."""
    if schedule.kind == CostSchedule.Kind.CONSTRUCTION:
        return costs.amount_to_share(schedule.amount, project.subsidy, [compensation_total])
    return costs.amount_to_share(schedule.amount, Decimal(0), [])


def lines_for(schedule, project, households, compensation_total) -> list[costs.Line]:
    """The schedule's lines from data already read (raises ValueError like `shares`)."""
    return costs.shares(
        households,
        shared_amount(schedule, project, compensation_total),
        coefficients_of(schedule),
    )


def _check_shareable(schedule: CostSchedule, project: Project) -> None:
    households = _households(project)
    if not households:
        return  # The unit's households are not registered yet; the page says so.
    try:
        lines_for(schedule, project, households, _compensation_total(project))
    except ValueError:
        if schedule.kind == CostSchedule.Kind.CONSTRUCTION and (
            schedule.amount - project.subsidy + _compensation_total(project) < 0
        ):
            raise _invalid(
                "amount",
                _("The subsidy is larger than the cost: there is nothing to share."),
                "negative_share",
            ) from None
        raise _invalid(
            "coefficients",
            _("Every household would pay nothing: give a floor a coefficient."),
            "nobody_pays",
        ) from None


@transaction.atomic
def schedule_set(
    *,
    actor,
    project: Project,
    kind: str,
    amount,
    coefficients: dict | None = None,
) -> CostSchedule:
    """Create or change a project's schedule of `kind`; a change needs agreeing again."""
    _require_change(actor, project)
    if kind not in CostSchedule.Kind.values:
        raise _invalid("kind", _("Choose a schedule from the list."), "kind")
    amount = _money(amount, "amount")
    floors = unit_floors(project, _households(project))
    raw = default_coefficients(project) if coefficients is None else coefficients
    cleaned = _clean_coefficients(raw, floors)
    stored = {str(f): str(c) for f, c in cleaned.items()}

    schedule = CostSchedule.objects.select_for_update().filter(project=project, kind=kind).first()
    if schedule is not None and schedule.amount == amount and schedule.coefficients == stored:
        return schedule
    if schedule is None:
        schedule = CostSchedule(project=project, kind=kind)
    schedule.amount, schedule.coefficients, schedule.agreed_on = amount, stored, None
    _check_shareable(schedule, project)
    schedule.save()
    case_comment(
        case=project.case,
        actor=actor,
        comment=_("Cost schedule “%(kind)s” set: %(amount)s yuan.")
        % {"kind": schedule.get_kind_display(), "amount": f"{amount:,.2f}"},
    )
    return schedule


@transaction.atomic
def schedule_agree(*, actor, schedule: CostSchedule, agreed_on: date) -> CostSchedule:
    """Record the day the households agreed the schedule (not in the future)."""
    project = schedule.project
    _require_change(actor, project)
    if agreed_on is None or agreed_on > timezone.localdate():
        raise _invalid(
            "agreed_on",
            _("Give the day the households agreed; it cannot be in the future."),
            "agreed_on",
        )
    schedule = CostSchedule.objects.select_for_update().get(pk=schedule.pk)
    if schedule.agreed_on == agreed_on:
        return schedule
    schedule.agreed_on = agreed_on
    schedule.save(update_fields=["agreed_on"])
    case_comment(
        case=project.case,
        actor=actor,
        comment=_("Cost schedule “%(kind)s” agreed on %(date)s.")
        % {"kind": schedule.get_kind_display(), "date": agreed_on.isoformat()},
    )
    return schedule


@transaction.atomic
def compensation_set(
    *, actor, project: Project, household: Household, amount, note: str = ""
) -> Compensation:
    """Record (or change) the compensation agreed for a household of the project's unit;
    it is added to the construction amount to share, which then needs agreeing again."""
    _require_change(actor, project)
    if household is None or household.unit_id != project.unit_id:
        raise _invalid("household", _("Choose a household of this unit."), "household")
    amount = _money(amount, "amount")
    if amount <= 0:
        raise _invalid("amount", _("Compensation must be more than zero."), "not_positive")
    note = (note or "").strip()
    compensation = (
        Compensation.objects.select_for_update()
        .filter(project=project, household=household)
        .first()
    )
    if compensation is not None and compensation.amount == amount and compensation.note == note:
        return compensation
    if compensation is None:
        compensation = Compensation(project=project, household=household)
    compensation.amount, compensation.note = amount, note
    compensation.save()
    CostSchedule.objects.filter(project=project, kind=CostSchedule.Kind.CONSTRUCTION).update(
        agreed_on=None
    )
    case_comment(
        case=project.case,
        actor=actor,
        comment=_("Compensation for %(household)s: %(amount)s yuan.")
        % {"household": household.room_number, "amount": f"{amount:,.2f}"},
    )
    return compensation


# --- Reads ----------------------------------------------------------------------------


@dataclass
class ScheduleShares:
    """A schedule with its lines, or the reason it cannot be shared yet (`problem`)."""

    schedule: CostSchedule
    amount_to_share: Decimal | None
    lines: list[costs.Line]
    problem: str = ""


def project_schedules(project: Project) -> tuple[list[ScheduleShares], list, list]:
    """Every schedule of the project with its lines, the unit's households and the
    compensations: three queries whatever the number of schedules and households."""
    schedules = list(CostSchedule.objects.filter(project=project).order_by("kind"))
    households = list(
        Household.objects.filter(unit_id=project.unit_id).order_by("floor", "room_number", "pk")
    )
    compensations = list(
        Compensation.objects.filter(project=project)
        .select_related("household")
        .order_by("household__floor", "pk")
    )
    triples = [(h.pk, h.floor, h.area_m2) for h in households]
    compensation_total = sum((c.amount for c in compensations), Decimal(0))
    order = {k: i for i, k in enumerate(CostSchedule.Kind.values)}
    result = []
    for schedule in sorted(schedules, key=lambda s: order.get(s.kind, 99)):
        try:
            amount = shared_amount(schedule, project, compensation_total)
        except ValueError:
            result.append(
                ScheduleShares(
                    schedule, None, [], _("The subsidy is larger than the cost plus compensation.")
                )
            )
            continue
        if not triples:
            result.append(
                ScheduleShares(schedule, amount, [], _("The unit has no households on record."))
            )
            continue
        try:
            lines = costs.shares(triples, amount, coefficients_of(schedule))
        except ValueError:
            result.append(
                ScheduleShares(
                    schedule,
                    amount,
                    [],
                    _("The coefficients leave nobody paying, or miss a floor: set them again."),
                )
            )
            continue
        result.append(ScheduleShares(schedule, amount, lines))
    return result, households, compensations


def project_shares(project: Project, kind: str) -> list[costs.Line]:
    """The lines of the project's schedule of `kind` ([] when there is none): three
    queries. Raises ValueError when the schedule cannot be shared (see `costs.shares`)."""
    schedule = CostSchedule.objects.filter(project=project, kind=kind).first()
    if schedule is None:
        return []
    return lines_for(schedule, project, _households(project), _compensation_total(project))


__all__ = [
    "ScheduleShares",
    "coefficients_of",
    "compensation_set",
    "default_coefficients",
    "project_schedules",
    "project_shares",
    "schedule_agree",
    "schedule_set",
    "shared_amount",
    "unit_floors",
]
