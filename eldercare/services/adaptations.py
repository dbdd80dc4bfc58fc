"""Home adaptation (适老化改造), one household, one plan: application with the eligibility
check, then assessment → plan → approval → works → acceptance → subsidy paid, or
rejection; and the satisfaction survey. Each stage move goes through the case kit so
the timeline records it and the stage's due date (from the subsidy rule) is reminded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from housing.models import Household, Occupancy, Person, Residence
from portal.errors import field_error
from portal.models import CaseParty, Organisation
from portal.roles import Action, OrganisationType
from portal.rules import rules_for
from portal.scope import can, may_at, reach
from portal.services import cases as kit
from portal.services.attachments import attachment_add
from portal.workdays import due_after

from ..models import (
    Adaptation,
    AdaptationStage,
    Applicant,
    CapacityLevel,
    Eligibility,
    Exclusion,
    PlanItem,
)
from ..rules import DEFAULT_CATALOGUE, DEFAULT_STAGE_DAYS, DEFAULT_SUBSIDY

KIND = "eldercare.adaptation"
FEN = Decimal("0.01")
MAX_QUANTITY = 999

Stage = AdaptationStage
# The one way forward; rejection is the only side exit.
NEXT = {
    Stage.APPLIED: Stage.ASSESSED,
    Stage.ASSESSED: Stage.PLANNED,
    Stage.PLANNED: Stage.APPROVED,
    Stage.APPROVED: Stage.WORKS,
    Stage.WORKS: Stage.ACCEPTED,
    Stage.ACCEPTED: Stage.PAID,
}
ORDER = [Stage.APPLIED, *NEXT.values()]
REJECTABLE = (Stage.APPLIED, Stage.ASSESSED, Stage.PLANNED, Stage.APPROVED)
PLANNABLE = (Stage.ASSESSED, Stage.PLANNED)
SURVEYABLE = (Stage.ACCEPTED, Stage.PAID)


def money(value) -> Decimal:
    """Yuan to the fen."""
    return Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP)


# --- Rules ------------------------------------------------------------------------------


def subsidy_rules(adaptation: Adaptation) -> dict:
    """The subsidy rule the case was decided under (the built-in default when none)."""
    if adaptation.subsidy_rule_set_id:
        return adaptation.subsidy_rule_set.payload
    return dict(DEFAULT_SUBSIDY)


def catalogue_items(adaptation: Adaptation) -> list[dict]:
    """The catalogue version stored on the case (the built-in default when none)."""
    if adaptation.catalogue_rule_set_id:
        return list(adaptation.catalogue_rule_set.payload.get("items", []))
    return list(DEFAULT_CATALOGUE["items"])


def stage_days(adaptation: Adaptation, stage: str) -> int | None:
    days = subsidy_rules(adaptation).get("stage_days") or {}
    value = days.get(str(stage), DEFAULT_STAGE_DAYS.get(stage))
    return int(value) if value else None


def age_on(birth_date: date, day: date) -> int:
    """Full years: the birthday itself counts (born 1964-05-01 is 60 on 2024-05-01)."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


# --- Who may apply for whom ---------------------------------------------------------------


def family_homes(user) -> list[tuple[Person, Household]]:
    """(person, household) pairs a resident may apply for: their own linked record in each
    home it lives in, and every family member on record in those homes."""
    if not getattr(user, "is_authenticated", False):
        return []
    homes = Residence.objects.filter(person__user=user).values("household_id")
    residences = (
        Residence.objects.filter(household_id__in=homes)
        .select_related("person", "household__unit__building__estate")
        .order_by("household_id", "person__name", "person_id")
    )
    return [(r.person, r.household) for r in residences]


def _staff_may_apply(actor, community) -> bool:
    return may_at(actor, Action.CREATE, KIND, community)


def works_the_queue(user) -> bool:
    """The adaptation queue is for staff and officers of an area (not residents, not
    contractors)."""
    r = reach(user, KIND, Action.VIEW)
    return r.everything or bool(r.area_paths)


def may_apply(user) -> bool:
    """Show the apply page: staff who may open adaptations somewhere, or residents."""
    r = reach(user, KIND, Action.CREATE)
    return r.everything or bool(r.area_paths) or r.own


# --- Application ----------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    """Why a home does not qualify, for the form."""

    field: str
    message: str
    code: str


def eligibility_refusals(
    *, elder: Person, household: Household, exclusions: list[str], rules: dict, on: date
) -> list[Refusal]:
    """What keeps this elder's home out under `rules` on `on` (empty: it qualifies)."""
    refusals = []
    min_age = int(rules.get("min_age", 60))
    if elder.birth_date is None:
        refusals.append(
            Refusal(
                "elder",
                _(
                    "There is no birth date on the elder's record, so the age cannot be "
                    "checked: ask community staff to add the elder's ID card number."
                ),
                "no_birth_date",
            )
        )
    elif age_on(elder.birth_date, on) < min_age:
        refusals.append(
            Refusal(
                "elder",
                _("The elder must be %(min_age)s or older; on %(date)s they are %(age)s.")
                % {"min_age": min_age, "date": on.isoformat(), "age": age_on(elder.birth_date, on)},
                "too_young",
            )
        )
    excluded = set(rules.get("exclusions", []))
    declared = set(exclusions)
    if household.occupancy == Occupancy.RENTED:
        declared.add(Exclusion.RENTED)
    for condition in Exclusion:
        if condition in declared and condition in excluded:
            refusals.append(
                Refusal(
                    "exclusions",
                    _("The rule in force excludes this home: %(condition)s.")
                    % {"condition": condition.label},
                    f"excluded_{condition.value}",
                )
            )
    return refusals


def _check_applicant(actor, *, elder: Person, household: Household, community) -> bool:
    """True when the actor applies as a resident (for themselves or family on record),
    False as staff; PermissionDenied when neither."""
    if _staff_may_apply(actor, community):
        if not Residence.objects.filter(person=elder, household=household).exists():
            raise field_error(
                "household", _("The elder does not live in this home on record."), "not_resident"
            )
        return False
    if reach(actor, KIND, Action.CREATE).own and any(
        person.pk == elder.pk and home.pk == household.pk for person, home in family_homes(actor)
    ):
        return True
    raise PermissionDenied


@transaction.atomic
def adaptation_apply(
    *,
    actor,
    elder: Person,
    household: Household,
    eligibility: str,
    exclusions: list[str] | tuple = (),
    applicant: str | None = None,
    now=None,
) -> Adaptation:
    """An application for the elder's home, checked against the rules in force; opens
    the case (SL-…) at the home's community. One live adaptation per household."""
    now = now or timezone.now()
    community = household.unit.building.estate.community
    as_resident = _check_applicant(actor, elder=elder, household=household, community=community)
    if eligibility not in Eligibility.values:
        raise field_error("eligibility", _("Choose an eligibility category."), "eligibility")
    unknown = set(exclusions) - set(Exclusion.values)
    if unknown:
        raise field_error("exclusions", _("Unknown home condition."), "unknown_condition")
    if as_resident:
        applicant = (
            Applicant.ELDER if elder.user_id and elder.user_id == actor.pk else Applicant.FAMILY
        )
    elif applicant not in Applicant.values:
        applicant = Applicant.STAFF
    subsidy, subsidy_set = rules_for("eldercare.subsidy", community, now)
    _catalogue, catalogue_set = rules_for("eldercare.catalogue", community, now)
    refusals = eligibility_refusals(
        elder=elder,
        household=household,
        exclusions=list(exclusions),
        rules=subsidy,
        on=timezone.localdate(now),
    )
    if refusals:
        by_field: dict[str, list] = {}
        for refusal in refusals:
            by_field.setdefault(refusal.field, []).append(
                ValidationError(refusal.message, code=refusal.code)
            )
        raise ValidationError(by_field)
    if _live_on(household):
        raise _already_live()
    case = kit.case_open(
        kind=KIND,
        actor=actor,
        community=community,
        grid=household.unit.building.grid or household.unit.building.estate.grid,
        title=_("Home adaptation: %(home)s") % {"home": household},
        filed_by=actor if as_resident else None,
        filer_name=str(actor) if as_resident else "",
        now=now,
    )
    try:
        with transaction.atomic():
            adaptation = Adaptation.objects.create(
                case=case,
                elder=elder,
                household=household,
                applicant=applicant,
                eligibility=eligibility,
                exclusions=sorted(set(exclusions)),
                stage=Stage.APPLIED,
                stage_changed_at=now,
                subsidy_rule_set=subsidy_set,
                catalogue_rule_set=catalogue_set,
                subsidy_cap=money(subsidy["subsidy_cap"]),
            )
    except IntegrityError as error:  # a concurrent application for the same home
        raise _already_live() from error
    if elder.user_id and elder.user_id != case.filed_by_id:
        # The elder follows their own adaptation on "My requests".
        CaseParty.objects.get_or_create(case=case, user_id=elder.user_id)
    _set_stage_due(adaptation, actor=None, now=now)
    return adaptation


def _live_on(household: Household) -> bool:
    return Adaptation.objects.filter(household=household).exclude(stage=Stage.REJECTED).exists()


def _already_live() -> ValidationError:
    return field_error(
        "household",
        _("This home already has a home adaptation under way (one household, one plan)."),
        "already_live",
    )


def elder_cases(person: Person):
    """Cases of the adaptations of `person`'s home (a person-cases finder): a resident
    account linked later follows them."""
    return Adaptation.objects.filter(elder=person).values_list("case_id", flat=True)


# --- Stage moves ------------------------------------------------------------------------


def may_work_on(user, adaptation: Adaptation) -> bool:
    """Staff and eldercare officers whose area holds the case; not its contractor."""
    return may_at(user, Action.CHANGE, KIND, adaptation.case.community)


def _require_staff(actor, adaptation: Adaptation) -> None:
    if actor is None or not may_work_on(actor, adaptation):
        raise PermissionDenied


def _lock(adaptation: Adaptation) -> Adaptation:
    """Re-read the row under a lock so two clerks cannot move one case twice."""
    locked = Adaptation.objects.select_for_update().get(pk=adaptation.pk)
    adaptation.stage = locked.stage
    adaptation.stage_changed_at = locked.stage_changed_at
    return adaptation


def _out_of_order(adaptation: Adaptation, to: str) -> ValidationError:
    current = Stage(adaptation.stage)
    if current == Stage.PAID:
        message = _("The subsidy is paid; the adaptation has no further stage.")
    elif current == Stage.REJECTED:
        message = _("The application was rejected; it cannot move any more.")
    else:
        message = _(
            "From “%(current)s” the adaptation can only move on to “%(next)s”, not to “%(to)s”."
        ) % {"current": current.label, "next": Stage(NEXT[current]).label, "to": Stage(to).label}
    return ValidationError(message, code="out_of_order")


def _check_next(adaptation: Adaptation, to: str) -> None:
    if NEXT.get(adaptation.stage) != to:
        raise _out_of_order(adaptation, to)


def _set_stage_due(adaptation: Adaptation, *, actor, now) -> None:
    days = stage_days(adaptation, adaptation.stage)
    if not days or adaptation.case.closed_at:
        return
    kit.case_set_due(
        case=adaptation.case,
        due_at=due_after(now, days, working_days=False),
        actor=actor,
        reason=_("Due for the stage “%(stage)s”: %(days)s days.")
        % {"stage": Stage(adaptation.stage).label, "days": days},
        now=now,
    )


def _move(adaptation: Adaptation, *, actor, to: str, now, comment: str = "", fields=()) -> None:
    """Record the move on the case (public timeline), the row, and the next due date."""
    kit.case_transition(
        case=adaptation.case,
        actor=actor,
        status=to,
        comment=comment or _("Stage: %(stage)s.") % {"stage": Stage(to).label},
        public=True,
        now=now,
    )
    adaptation.stage, adaptation.stage_changed_at = to, now
    adaptation.save(update_fields=["stage", "stage_changed_at", *fields])
    if to in (Stage.PAID, Stage.REJECTED):
        kit.case_close(case=adaptation.case, actor=actor, status=to, now=now)
    else:
        _set_stage_due(adaptation, actor=actor, now=now)


def _level(value, field: str):
    if value in (None, ""):
        return None
    if int(value) not in CapacityLevel.values:
        raise field_error(field, _("Choose a capacity level."), "capacity_level")
    return int(value)


@transaction.atomic
def adaptation_assess(
    *,
    actor,
    adaptation: Adaptation,
    capacity_level: int,
    daily_living=None,
    mental_state=None,
    sensory=None,
    social=None,
    home_assessment: str,
    photos=(),
    now=None,
) -> Adaptation:
    """The capacity assessment (GB/T 42195 domains) and the home assessment with photos;
    applied → assessed, or a correction while still assessed."""
    _require_staff(actor, adaptation)
    now = now or timezone.now()
    _lock(adaptation)
    if adaptation.stage not in (Stage.APPLIED, Stage.ASSESSED):
        raise _out_of_order(adaptation, Stage.ASSESSED)
    if capacity_level in (None, ""):
        raise field_error("capacity_level", _("Give the overall capacity level."), "required")
    if not home_assessment.strip():
        raise field_error("home_assessment", _("Describe what the home visit found."), "required")
    adaptation.capacity_level = _level(capacity_level, "capacity_level")
    adaptation.daily_living = _level(daily_living, "daily_living")
    adaptation.mental_state = _level(mental_state, "mental_state")
    adaptation.sensory = _level(sensory, "sensory")
    adaptation.social = _level(social, "social")
    adaptation.home_assessment = home_assessment.strip()
    adaptation.assessed_at = now
    fields = [
        "capacity_level",
        "daily_living",
        "mental_state",
        "sensory",
        "social",
        "home_assessment",
        "assessed_at",
    ]
    for photo in photos:
        attachment_add(case=adaptation.case, actor=actor, upload=photo, is_public=True)
    if adaptation.stage == Stage.APPLIED:
        _move(adaptation, actor=actor, to=Stage.ASSESSED, now=now, fields=fields)
    else:
        adaptation.save(update_fields=fields)
        kit.case_comment(
            case=adaptation.case, actor=actor, comment=_("The assessment was corrected."), now=now
        )
    return adaptation


# --- The plan -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanTotals:
    total: Decimal
    basic: Decimal
    subsidy: Decimal
    self_pay: Decimal


def plan_totals(lines, cap: Decimal) -> PlanTotals:
    """Basic (subsidised) lines count towards the subsidy up to the cap; the rest of the
    total is self-paid. `lines` have `basic`, `quantity`, `unit_price`."""
    total = money(sum((line.unit_price * line.quantity for line in lines), Decimal(0)))
    basic = money(
        sum((line.unit_price * line.quantity for line in lines if line.basic), Decimal(0))
    )
    subsidy = money(min(basic, cap))
    return PlanTotals(total=total, basic=basic, subsidy=subsidy, self_pay=total - subsidy)


@dataclass(frozen=True)
class PlanLine:
    """What the plan builder sends: an item code, a quantity and a price (None: the
    catalogue's guide price)."""

    code: str
    quantity: int
    unit_price: Decimal | None = None


@transaction.atomic
def adaptation_plan_save(
    *, actor, adaptation: Adaptation, lines: list[PlanLine], now=None
) -> Adaptation:
    """The household's plan from the case's catalogue version: replaces its items and
    stores total, subsidy and self-pay; assessed → planned, or a revision while planned."""
    _require_staff(actor, adaptation)
    now = now or timezone.now()
    _lock(adaptation)
    if adaptation.stage not in PLANNABLE:
        if adaptation.stage == Stage.APPLIED:
            message = _("Assess the elder and the home before making the plan.")
        else:
            message = _("The plan is approved; it can no longer be changed.")
        raise ValidationError(message, code="plan_locked")
    catalogue = {item["code"]: item for item in catalogue_items(adaptation)}
    items = []
    seen = set()
    for line in lines:
        if not line.quantity:
            continue
        item = catalogue.get(line.code)
        if item is None:
            raise ValidationError(
                _("“%(code)s” is not in this case's catalogue.") % {"code": line.code},
                code="unknown_item",
            )
        if line.code in seen:
            raise ValidationError(
                _("“%(name)s” is listed twice.") % {"name": item["name"]}, code="duplicate_item"
            )
        if not 0 < line.quantity <= MAX_QUANTITY:
            raise ValidationError(
                _("The quantity of “%(name)s” must be 1 to %(max)s.")
                % {"name": item["name"], "max": MAX_QUANTITY},
                code="quantity",
            )
        price = item["guide_price"] if line.unit_price is None else line.unit_price
        price = Decimal(str(price))
        if price < 0 or price != price.quantize(FEN):
            raise ValidationError(
                _("The price of “%(name)s” must be in yuan and fen, not negative.")
                % {"name": item["name"]},
                code="price",
            )
        seen.add(line.code)
        items.append(
            PlanItem(
                adaptation=adaptation,
                code=line.code,
                area=item["area"],
                name=item["name"],
                basic=bool(item["basic"]),
                quantity=line.quantity,
                unit_price=money(price),
            )
        )
    if not items:
        raise ValidationError(_("Choose at least one item for the plan."), code="empty_plan")
    totals = plan_totals(items, adaptation.subsidy_cap)
    adaptation.items.all().delete()
    PlanItem.objects.bulk_create(items)
    adaptation.total_cost, adaptation.subsidy, adaptation.self_pay = (
        totals.total,
        totals.subsidy,
        totals.self_pay,
    )
    fields = ["total_cost", "subsidy", "self_pay"]
    summary = _(
        "Plan: %(count)s items, total %(total)s, subsidy %(subsidy)s, self-pay %(self)s."
    ) % {
        "count": len(items),
        "total": totals.total,
        "subsidy": totals.subsidy,
        "self": totals.self_pay,
    }
    if adaptation.stage == Stage.ASSESSED:
        _move(adaptation, actor=actor, to=Stage.PLANNED, now=now, comment=summary, fields=fields)
    else:
        adaptation.save(update_fields=fields)
        kit.case_comment(case=adaptation.case, actor=actor, comment=summary, public=True, now=now)
    return adaptation


# --- Approval, works, acceptance, payment, rejection -------------------------------------


@transaction.atomic
def adaptation_approve(*, actor, adaptation: Adaptation, note: str = "", now=None) -> Adaptation:
    """The plan is approved (the subsidy committed): planned → approved."""
    _require_staff(actor, adaptation)
    now = now or timezone.now()
    _lock(adaptation)
    _check_next(adaptation, Stage.APPROVED)
    if not adaptation.items.exists():
        raise ValidationError(_("The plan has no items yet."), code="empty_plan")
    adaptation.approved_at = now
    _move(
        adaptation,
        actor=actor,
        to=Stage.APPROVED,
        now=now,
        comment=note.strip(),
        fields=["approved_at"],
    )
    return adaptation


@transaction.atomic
def adaptation_start_works(
    *, actor, adaptation: Adaptation, contractor: Organisation, started_on: date, now=None
) -> Adaptation:
    """The tendered contractor starts: approved → works."""
    _require_staff(actor, adaptation)
    now = now or timezone.now()
    _lock(adaptation)
    _check_next(adaptation, Stage.WORKS)
    if contractor is None or contractor.type != OrganisationType.CONTRACTOR:
        raise field_error("contractor", _("Choose a contractor."), "not_contractor")
    if started_on is None:
        raise field_error("started_on", _("Give the day works started."), "required")
    if adaptation.approved_at and started_on < timezone.localdate(adaptation.approved_at):
        raise field_error(
            "started_on", _("Works cannot start before the plan was approved."), "before_approval"
        )
    adaptation.contractor, adaptation.works_started_on = contractor, started_on
    _move(
        adaptation,
        actor=actor,
        to=Stage.WORKS,
        now=now,
        comment=_("Works started on %(date)s by %(contractor)s.")
        % {"date": started_on.isoformat(), "contractor": contractor.name},
        fields=["contractor", "works_started_on"],
    )
    return adaptation


@transaction.atomic
def adaptation_accept(
    *, actor, adaptation: Adaptation, accepted_on: date, record: str, photos=(), now=None
) -> Adaptation:
    """Professional acceptance with its record and at least one photo: works → accepted."""
    _require_staff(actor, adaptation)
    now = now or timezone.now()
    _lock(adaptation)
    _check_next(adaptation, Stage.ACCEPTED)
    if accepted_on is None:
        raise field_error("accepted_on", _("Give the day of acceptance."), "required")
    if accepted_on > timezone.localdate(now):
        raise field_error("accepted_on", _("The date cannot be in the future."), "future")
    if adaptation.works_started_on and accepted_on < adaptation.works_started_on:
        raise field_error(
            "accepted_on", _("Acceptance cannot come before the works started."), "before_works"
        )
    if not record.strip():
        raise field_error("record", _("Write the acceptance record."), "required")
    photos = [p for p in photos if p]
    if not photos:
        raise field_error(
            "photos", _("Add at least one photo of the finished work."), "photo_required"
        )
    for photo in photos:
        attachment_add(case=adaptation.case, actor=actor, upload=photo, is_public=True)
    adaptation.accepted_on, adaptation.acceptance_record = accepted_on, record.strip()
    _move(
        adaptation,
        actor=actor,
        to=Stage.ACCEPTED,
        now=now,
        comment=_("Accepted on %(date)s.") % {"date": accepted_on.isoformat()},
        fields=["accepted_on", "acceptance_record"],
    )
    return adaptation


@transaction.atomic
def adaptation_pay(*, actor, adaptation: Adaptation, paid_on: date, now=None) -> Adaptation:
    """The subsidy is paid: accepted → paid, and the case is closed."""
    _require_staff(actor, adaptation)
    now = now or timezone.now()
    _lock(adaptation)
    _check_next(adaptation, Stage.PAID)
    if paid_on is None:
        raise field_error("paid_on", _("Give the day the subsidy was paid."), "required")
    if paid_on > timezone.localdate(now):
        raise field_error("paid_on", _("The date cannot be in the future."), "future")
    if adaptation.accepted_on and paid_on < adaptation.accepted_on:
        raise field_error(
            "paid_on", _("The subsidy cannot be paid before acceptance."), "before_acceptance"
        )
    adaptation.paid_on = paid_on
    _move(
        adaptation,
        actor=actor,
        to=Stage.PAID,
        now=now,
        comment=_("Subsidy of %(amount)s yuan paid on %(date)s.")
        % {"amount": adaptation.subsidy, "date": paid_on.isoformat()},
        fields=["paid_on"],
    )
    return adaptation


@transaction.atomic
def adaptation_reject(*, actor, adaptation: Adaptation, reason: str, now=None) -> Adaptation:
    """Rejected with a reason, before works start; the case closes and the home may apply
    again."""
    _require_staff(actor, adaptation)
    now = now or timezone.now()
    _lock(adaptation)
    if adaptation.stage not in REJECTABLE:
        if adaptation.stage == Stage.REJECTED:
            message = _("The application is already rejected.")
        else:
            message = _("Works have started; the adaptation can no longer be rejected.")
        raise ValidationError(message, code="out_of_order")
    if not reason.strip():
        raise field_error("reason", _("Give the reason for rejection."), "required")
    adaptation.rejection_reason = reason.strip()
    _move(
        adaptation,
        actor=actor,
        to=Stage.REJECTED,
        now=now,
        comment=_("Rejected: %(reason)s") % {"reason": reason.strip()},
        fields=["rejection_reason"],
    )
    return adaptation


# --- Satisfaction survey ----------------------------------------------------------------


def may_survey(user, adaptation: Adaptation) -> bool:
    """After acceptance, once: the elder, the family member who applied, or staff."""
    if adaptation.stage not in SURVEYABLE or adaptation.surveyed_at is not None:
        return False
    if not getattr(user, "is_authenticated", False):
        return False
    if may_work_on(user, adaptation):
        return True
    own = Q(elder__user=user) | Q(case__filed_by=user)
    return Adaptation.objects.filter(own, pk=adaptation.pk).exists()


@transaction.atomic
def adaptation_survey(
    *, actor, adaptation: Adaptation, satisfaction: int, comment: str = "", now=None
) -> Adaptation:
    """The household's satisfaction with the works (1–5), after acceptance."""
    now = now or timezone.now()
    locked = Adaptation.objects.select_for_update().get(pk=adaptation.pk)
    adaptation.stage, adaptation.surveyed_at = locked.stage, locked.surveyed_at
    if adaptation.stage not in SURVEYABLE:
        raise ValidationError(
            _("The survey is taken after the works are accepted."), code="not_accepted"
        )
    if adaptation.surveyed_at is not None:
        raise ValidationError(_("The survey is already recorded."), code="already_surveyed")
    if not may_survey(actor, adaptation):
        raise PermissionDenied
    try:
        satisfaction = int(satisfaction)
    except (TypeError, ValueError):
        satisfaction = 0
    if not 1 <= satisfaction <= 5:
        raise field_error("satisfaction", _("Choose from 1 to 5."), "satisfaction")
    adaptation.satisfaction = satisfaction
    adaptation.survey_comment = comment.strip()
    adaptation.surveyed_at = now
    adaptation.save(update_fields=["satisfaction", "survey_comment", "surveyed_at"])
    if can(actor, Action.CHANGE, adaptation.case) and not adaptation.case.closed_at:
        kit.case_comment(
            case=adaptation.case,
            actor=actor,
            comment=_("Satisfaction survey: %(score)s of 5.") % {"score": satisfaction},
            public=True,
            now=now,
        )
    return adaptation


__all__ = [
    "adaptation_accept",
    "adaptation_apply",
    "adaptation_approve",
    "adaptation_assess",
    "adaptation_pay",
    "adaptation_plan_save",
    "adaptation_reject",
    "adaptation_start_works",
    "adaptation_survey",
    "eligibility_refusals",
    "plan_totals",
]
