"""Writes on estate governance: management mode, the 1+3+N roster, property service reviews.

The next review is a portal follow-up for the community's staff, not a timer. Each
estate has at most one scheduled review follow-up; it is found by the stable marker
its reason starts with (`review_marker`), together with `case=None`, the purpose, the
role and the community. Role and community alone would not do: a community's staff
receive follow-ups for every estate of the community and from other apps.
"""

from __future__ import annotations

from datetime import date, datetime, time

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from portal.errors import field_error as _field_error
from portal.models import FollowUp, Organisation
from portal.roles import Action, OrganisationType, Role
from portal.scope import require
from portal.services import followups
from portal.workdays import SHANGHAI

from ..governance import next_review_date
from ..models import (
    Building,
    Estate,
    ManagementMode,
    ModeChange,
    Person,
    PropertyReview,
    RosterEntry,
    RosterRole,
)

REVIEW_HOUR = time(9, 0)
SCORE_FIELDS = ("security", "cleaning", "maintenance", "responsiveness")


def _require_change(actor, estate: Estate) -> None:
    require(actor, Action.CHANGE, estate)


# --- Management mode -----------------------------------------------------------------


@transaction.atomic
def estate_mode_change(
    *, actor, estate: Estate, mode: str, reason: str, changed_on: date
) -> ModeChange | None:
    """A new management mode with its reason, kept in the mode history; None when the
    estate already has that mode. The review follow-up follows the new mode."""
    _require_change(actor, estate)
    if mode not in ManagementMode.values:
        raise _field_error("mode", _("Choose a management mode."), "invalid_mode")
    # Locked so two simultaneous changes record the right previous mode each.
    locked = Estate.objects.select_for_update().get(pk=estate.pk)
    if locked.management_mode == mode:
        return None
    reason = (reason or "").strip()
    if not reason:
        raise _field_error("reason", _("Say why the management mode changes."), "reason_required")
    change = ModeChange.objects.create(
        estate=locked,
        mode=mode,
        previous_mode=locked.management_mode,
        changed_on=changed_on,
        reason=reason,
        changed_by=actor,
    )
    locked.management_mode = mode
    locked.save(update_fields=["management_mode"])
    estate.management_mode = mode
    review_schedule_next(estate=locked, after=changed_on, created_by=actor)
    return change


# --- Roster --------------------------------------------------------------------------


@transaction.atomic
def roster_add(
    *,
    actor,
    estate: Estate,
    role: str,
    started_on: date,
    person: Person | None = None,
    organisation: Organisation | None = None,
    name: str = "",
    building: Building | None = None,
) -> RosterEntry:
    """Someone takes a role in the estate's governance: a person on file, an
    organisation, or (for neither) a name."""
    _require_change(actor, estate)
    name = (name or "").strip()
    errors: dict[str, ValidationError] = {}
    if role not in RosterRole.values:
        errors["role"] = ValidationError(_("Choose a role."), code="invalid_role")
    if building is not None:
        if role != RosterRole.BUILDING_HEAD:
            errors["building"] = ValidationError(
                _("Only a building head is recorded for one building."), code="building_not_head"
            )
        elif building.estate_id != estate.pk:
            errors["building"] = ValidationError(
                _("This building is not in this estate."), code="building_elsewhere"
            )
    if person is not None and not Person.objects.visible_to(actor).filter(pk=person.pk).exists():
        errors["person"] = ValidationError(
            _("Choose a person from the records you can see."), code="person_not_visible"
        )
    if errors:
        raise ValidationError(errors)
    if sum(bool(holder) for holder in (person, organisation, name)) != 1:
        raise ValidationError(
            _("Give exactly one of: a person on file, an organisation, or a name."),
            code="one_holder",
        )
    return RosterEntry.objects.create(
        estate=estate,
        role=role,
        started_on=started_on,
        person=person,
        organisation=organisation,
        name=name,
        building=building,
    )


@transaction.atomic
def roster_end(*, actor, entry: RosterEntry, ended_on: date) -> RosterEntry:
    """Someone leaves a roster role; from `ended_on` the entry no longer counts."""
    _require_change(actor, entry.estate)
    entry = RosterEntry.objects.select_for_update().select_related("estate").get(pk=entry.pk)
    if entry.ended_on == ended_on:
        return entry
    if ended_on < entry.started_on:
        raise _field_error(
            "ended_on",
            _("The end cannot be before the start (%(start)s)."),
            "ends_before_start",
            params={"start": entry.started_on.isoformat()},
        )
    entry.ended_on = ended_on
    entry.save(update_fields=["ended_on"])
    return entry


# --- Property service reviews ----------------------------------------------------------


def review_marker(estate: Estate) -> str:
    """The language-independent start of an estate's review follow-up reason."""
    return f"[housing.review:{estate.pk}]"


def review_follow_ups(estate: Estate):
    """The estate's review follow-ups that have not been done or cancelled."""
    return FollowUp.objects.filter(
        case__isnull=True,
        purpose=FollowUp.Purpose.MANUAL,
        assignee_role=Role.COMMUNITY_STAFF,
        assignee_area_id=estate.community_id,
        reason__startswith=review_marker(estate),
    ).pending()


@transaction.atomic
def review_schedule_next(*, estate: Estate, after: date, created_by=None) -> FollowUp | None:
    """Replace the estate's scheduled review follow-up with one at the next due date
    for its mode (`REVIEW_INTERVAL_MONTHS`), 09:00 Shanghai time; none when the mode
    has no regular review."""
    # The estate row lock serialises concurrent reviews, so one follow-up survives.
    estate = Estate.objects.select_for_update().get(pk=estate.pk)
    for follow_up in review_follow_ups(estate).filter(state=FollowUp.State.SCHEDULED):
        followups.followup_cancel(follow_up=follow_up)
    due_on = next_review_date(estate.management_mode, after)
    if due_on is None:
        return None
    reason = _("Property service review due at %(estate)s") % {"estate": estate.name}
    return followups.followup_schedule(
        reason=f"{review_marker(estate)} {reason}",
        due_at=datetime.combine(due_on, REVIEW_HOUR, tzinfo=SHANGHAI),
        role=Role.COMMUNITY_STAFF,
        area=estate.community,
        purpose=FollowUp.Purpose.MANUAL,
        created_by=created_by,
    )


def score_errors(scores: dict) -> dict[str, ValidationError]:
    """A clear error for each score that is not a whole number from 1 to 5."""
    errors = {}
    for field, value in scores.items():
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
            errors[field] = ValidationError(
                _("Give a score from 1 (poor) to 5 (very good)."), code="score_range"
            )
    return errors


@transaction.atomic
def review_add(
    *,
    actor,
    estate: Estate,
    company: Organisation,
    reviewed_on: date,
    security: int,
    cleaning: int,
    maintenance: int,
    responsiveness: int,
    problems_raised: str = "",
    help_given: str = "",
) -> PropertyReview:
    """The party organisation's review of a property company's service at the estate;
    the next review is scheduled from the latest one."""
    _require_change(actor, estate)
    scores = dict(
        security=security, cleaning=cleaning, maintenance=maintenance, responsiveness=responsiveness
    )
    errors = score_errors(scores)
    if company is None or company.type != OrganisationType.PROPERTY_COMPANY:
        errors["company"] = ValidationError(
            _("Choose a property company."), code="not_property_company"
        )
    if errors:
        raise ValidationError(errors)
    review = PropertyReview.objects.create(
        estate=estate,
        company=company,
        reviewed_on=reviewed_on,
        reviewer=actor,
        problems_raised=(problems_raised or "").strip(),
        help_given=(help_given or "").strip(),
        **scores,
    )
    # The reminder that asked for this review is done.
    sent = review_follow_ups(estate).filter(state=FollowUp.State.SENT)
    for follow_up in FollowUp.objects.for_user(actor).filter(pk__in=sent.values("pk")):
        followups.followup_complete(
            follow_up=follow_up, actor=actor, note=_("The review was recorded.")
        )
    latest = PropertyReview.objects.filter(estate=estate).aggregate(on=Max("reviewed_on"))["on"]
    review_schedule_next(estate=estate, after=latest, created_by=actor)
    return review
