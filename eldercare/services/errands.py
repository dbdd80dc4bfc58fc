"""Red-vest errands (红马甲帮办代办): request, assign to a volunteer of the team roster,
done with notes, cancel, rate.

The case's organisation is the volunteer team and its handler the volunteer. The
circumstances group is sensitive: nothing here puts it in a title, a timeline entry or
a notification.
"""

from __future__ import annotations

from datetime import date, datetime, time

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from housing.models import Person
from portal.errors import field_error
from portal.models import Area, CaseParty, Membership
from portal.personal import normalise_phone, validate_mobile
from portal.roles import Action, AreaLevel, OrganisationType, Role
from portal.scope import active_memberships, can, may_at, member_of, reach
from portal.scope import require as _require
from portal.services import cases as kit
from portal.services import followups

from ..models import Errand, ErrandGroup, ErrandService, ErrandStatus

KIND = "eldercare.errand"


# --- Who ----------------------------------------------------------------------------


def _path_and_ancestors(area: Area) -> list[str]:
    return [area.path[:end] for end in range(Area.steplen, len(area.path) + 1, Area.steplen)]


def volunteer_roster(community: Area):
    """The team roster for a community: active members of volunteer teams placed at the
    community or above it (a subdistrict's team serves all its communities)."""
    return (
        Membership.objects.active()
        .filter(
            role=Role.ORGANISATION_MEMBER,
            organisation__type=OrganisationType.VOLUNTEER_TEAM,
            organisation__area__path__in=_path_and_ancestors(community),
            user__is_active=True,
        )
        .select_related("user", "organisation")
        .order_by("organisation__name", "user__display_name", "pk")
    )


def is_volunteer(user) -> bool:
    """Does the user belong to a volunteer team (and so may run errands)?"""
    return member_of(user, {OrganisationType.VOLUNTEER_TEAM})


def works_errands(user) -> bool:
    """Staff and officers who reach errands by area (the queue is theirs)."""
    if getattr(user, "is_superuser", False):
        return True
    return bool(reach(user, KIND, Action.VIEW).area_paths)


def may_request_for_others(user) -> bool:
    """Staff and grid workers who may file an errand on a resident's behalf somewhere."""
    if getattr(user, "is_superuser", False):
        return True
    return bool(reach(user, KIND, Action.CREATE).area_paths)


def resident_community(user) -> Area | None:
    """The community of the user's resident membership, if the user is a resident."""
    return next(
        (m.area for m in active_memberships(user) if m.role == Role.RESIDENT and m.area_id),
        None,
    )


def communities_for_requests(user):
    """The communities where `user` may file an errand for someone: those in their areas,
    and for a grid worker the community around the grid."""
    communities = Area.objects.communities()
    if user.is_superuser:
        return communities.order_by("path")
    paths = reach(user, KIND, Action.CREATE).area_paths
    if not paths:
        return communities.none()
    around = {p[:end] for p in paths for end in range(Area.steplen, len(p) + 1, Area.steplen)}
    under = communities.none()
    for path in paths:
        under = under | communities.filter(path__startswith=path)
    return (under | communities.filter(path__in=around)).distinct().order_by("path")


def _staff_may_close(user, case) -> bool:
    # By area, not through the team: a volunteer closes only what it was given.
    return may_at(user, Action.CLOSE, KIND, case.community)


def may_mark_done(user, errand: Errand) -> bool:
    """The volunteer it is assigned to, or staff who may close it; while it is open."""
    case = errand.case
    if case.closed_at or not getattr(user, "is_authenticated", False):
        return False
    if case.handler_id == user.pk and can(user, Action.CHANGE, case):
        return True
    return _staff_may_close(user, case)


def may_cancel(user, errand: Errand) -> bool:
    """Staff who may close it, while it is open; never the volunteer."""
    case = errand.case
    if case.closed_at or not getattr(user, "is_authenticated", False):
        return False
    return _staff_may_close(user, case)


def may_rate(user, errand: Errand) -> bool:
    """Whoever filed it, or the resident it was for (a linked record), once it is done."""
    case = errand.case
    if not (case.closed_at and case.rated_at is None and case.status == ErrandStatus.DONE):
        return False
    if not getattr(user, "is_authenticated", False):
        return False
    return case.filed_by_id == user.pk or (
        errand.person is not None and errand.person.user_id == user.pk
    )


# --- Requests -----------------------------------------------------------------------


def _check_request(*, service, group, details, address, wanted_by, phone, now) -> dict:
    errors = {}
    if service not in ErrandService.values:
        errors["service"] = ValidationError(_("Choose a service."), code="service")
    if group not in ErrandGroup.values:
        errors["group"] = ValidationError(_("Choose the circumstances."), code="group")
    if not (details or "").strip():
        errors["details"] = ValidationError(_("Say what is needed."), code="empty")
    if not (address or "").strip():
        errors["address"] = ValidationError(_("Give the address."), code="empty")
    if wanted_by is not None and wanted_by < timezone.localdate(now):
        errors["wanted_by"] = ValidationError(
            _("The date has passed; choose today or a later day."), code="past"
        )
    try:
        validate_mobile(phone or "")
    except ValidationError as error:
        errors["phone"] = error
    if errors:
        raise ValidationError(errors)
    return {"phone": normalise_phone(phone)}


def errand_title(service: str) -> str:
    """The case's subject names the service, never the circumstances."""
    return _("Errand: %(service)s") % {"service": ErrandService(service).label}


def _wanted_by_due(case, wanted_by: date | None, now) -> None:
    """An errand wanted sooner than the time limit is due on the day asked for."""
    if wanted_by is None:
        return
    end_of_day = timezone.make_aware(datetime.combine(wanted_by, time(23, 59)))
    if case.due_at is None or end_of_day < case.due_at:
        kit.case_set_due(
            case=case,
            due_at=end_of_day,
            actor=None,
            reason=_("Wanted by %(date)s.") % {"date": wanted_by.isoformat()},
            public=True,
            now=now,
        )


def _create(*, case, person, service, group, details, address, wanted_by, now) -> Errand:
    """The errand on its case (however it was filed), due by the day it is wanted."""
    errand = Errand.objects.create(
        case=case,
        person=person,
        group=group,
        service=service,
        details=details.strip(),
        address=address.strip(),
        wanted_by=wanted_by,
    )
    # The resident on record follows it in "My requests" when the record has an account.
    if person is not None and person.user_id and person.user_id != case.filed_by_id:
        CaseParty.objects.get_or_create(case=case, user_id=person.user_id)
    _wanted_by_due(case, wanted_by, now)
    return errand


@transaction.atomic
def errand_request(
    *,
    actor,
    service: str,
    group: str,
    details: str,
    address: str,
    phone: str,
    wanted_by: date | None = None,
    on_record: bool = False,
    now=None,
) -> Errand:
    """A resident asks for an errand for themselves, in their community; `on_record`
    ties it to their linked resident record (and its community)."""
    now = now or timezone.now()
    community = resident_community(actor)
    if community is None:
        raise PermissionDenied
    person = None
    if on_record:
        person = Person.objects.filter(user=actor).select_related("community").first()
        if person is None:
            raise field_error(
                "on_record", _("Your account is not linked to a resident record."), "no_record"
            )
        community = person.community
    cleaned = _check_request(
        service=service,
        group=group,
        details=details,
        address=address,
        wanted_by=wanted_by,
        phone=phone,
        now=now,
    )
    case = kit.case_open(
        kind=KIND,
        actor=actor,
        community=community,
        title=errand_title(service),
        filed_by=actor,
        filer_name=actor.display_name or actor.get_username(),
        filer_phone=cleaned["phone"],
        now=now,
    )
    return _create(
        case=case,
        person=person,
        service=service,
        group=group,
        details=details,
        address=address,
        wanted_by=wanted_by,
        now=now,
    )


def _grid_for(actor, community: Area) -> Area | None:
    """A grid worker files on their grid: the grid of theirs inside `community`."""
    if may_at(actor, Action.CREATE, KIND, community):
        return None
    return next(
        (
            m.area
            for m in active_memberships(actor)
            if m.area is not None
            and m.area.level == AreaLevel.GRID
            and m.area.path.startswith(community.path)
            and may_at(actor, Action.CREATE, KIND, m.area)
        ),
        None,
    )


@transaction.atomic
def errand_request_for(
    *,
    actor,
    community: Area,
    name: str,
    phone: str,
    service: str,
    group: str,
    details: str,
    address: str,
    wanted_by: date | None = None,
    person: Person | None = None,
    now=None,
) -> Errand:
    """Staff or a grid worker files an errand on behalf of a resident: the name and phone
    of the person it is for (their way to follow it on the status page), optionally the
    resident on record."""
    now = now or timezone.now()
    if person is not None:
        if not Person.objects.visible_to(actor).filter(pk=person.pk).exists():
            raise PermissionDenied
        if person.community_id != community.pk:
            raise field_error(
                "person",
                _("This resident does not live in the chosen community."),
                "person_community",
            )
    if not (name or "").strip():
        raise field_error("name", _("Give the name of the person the errand is for."), "empty")
    cleaned = _check_request(
        service=service,
        group=group,
        details=details,
        address=address,
        wanted_by=wanted_by,
        phone=phone,
        now=now,
    )
    case = kit.case_open(
        kind=KIND,
        actor=actor,
        community=community,
        grid=_grid_for(actor, community),
        title=errand_title(service),
        filer_name=name,
        filer_phone=cleaned["phone"],
        now=now,
    )
    return _create(
        case=case,
        person=person,
        service=service,
        group=group,
        details=details,
        address=address,
        wanted_by=wanted_by,
        now=now,
    )


def person_errands(person: Person):
    """Cases of the errands filed for `person` (a person-cases finder: a resident whose
    account is linked later follows them)."""
    return Errand.objects.filter(person=person).values_list("case_id", flat=True)


# --- Working an errand ------------------------------------------------------------------


def _locked(errand: Errand) -> Errand:
    return (
        # Only the errand and its case rows are locked: the joined person, handler and
        # team may be missing, and PostgreSQL cannot lock the empty side of a join.
        Errand.objects.select_for_update(of=("self", "case"))
        .select_related("case__community", "case__handler", "case__organisation", "person")
        .get(pk=errand.pk)
    )


def _open_case(errand: Errand):
    if errand.case.closed_at:
        raise ValidationError(_("This errand is closed."), code="closed")
    return errand.case


@transaction.atomic
def errand_assign(*, actor, errand: Errand, volunteer, team, comment: str = "", now=None):
    """Hand the errand to a volunteer of the team roster: the team becomes the case's
    organisation, the volunteer its handler, and the volunteer is told."""
    errand = _locked(errand)
    _require(actor, Action.ASSIGN, errand.case)
    case = _open_case(errand)
    on_roster = (
        volunteer is not None
        and team is not None
        and volunteer_roster(case.community).filter(user=volunteer, organisation=team).exists()
    )
    if not on_roster:
        raise field_error("volunteer", _("Choose a volunteer on the team roster."), "not_on_roster")
    if (
        case.handler_id == volunteer.pk
        and case.organisation_id == team.pk
        and case.status == ErrandStatus.ASSIGNED
    ):
        return errand
    # The volunteer reaches the case through the team, so the team is handed it first.
    if case.organisation_id != team.pk:
        kit.case_assign(case=case, actor=actor, organisation=team, now=now)
    kit.case_assign(case=case, actor=actor, handler=volunteer, comment=comment.strip(), now=now)
    kit.case_transition(
        case=case,
        actor=actor,
        status=ErrandStatus.ASSIGNED,
        comment=_("A volunteer of %(team)s will run this errand.") % {"team": team.name},
        public=True,
        now=now,
    )
    followups.notify(
        users=[volunteer],
        case=case,
        message=_("Errand %(reference)s is assigned to you: %(service)s.")
        % {"reference": case.reference, "service": errand.get_service_display()},
        now=now,
    )
    return errand


@transaction.atomic
def errand_done(*, actor, errand: Errand, note: str, now=None) -> Errand:
    """The volunteer (or staff) reports what was done; the case closes as done."""
    errand = _locked(errand)
    _require(actor, Action.VIEW, errand.case)
    case = _open_case(errand)
    if not may_mark_done(actor, errand):
        raise PermissionDenied
    if not (note or "").strip():
        raise field_error("note", _("Say what was done."), "empty")
    now = now or timezone.now()
    errand.done_note, errand.done_at = note.strip(), now
    errand.save(update_fields=["done_note", "done_at"])
    kit.case_close(case=case, actor=actor, status=ErrandStatus.DONE, comment=note.strip(), now=now)
    return errand


@transaction.atomic
def errand_cancel(*, actor, errand: Errand, reason: str, now=None) -> Errand:
    """Staff cancel an errand with the reason (shown to the resident); a volunteer
    already on it is told."""
    errand = _locked(errand)
    _require(actor, Action.CLOSE, errand.case)
    case = _open_case(errand)
    if not may_cancel(actor, errand):
        raise PermissionDenied
    if not (reason or "").strip():
        raise field_error("reason", _("Say why the errand is cancelled."), "empty")
    kit.case_close(
        case=case, actor=actor, status=ErrandStatus.CANCELLED, comment=reason.strip(), now=now
    )
    if case.handler_id and case.handler_id != actor.pk:
        followups.notify(
            users=[case.handler],
            case=case,
            message=_("Errand %(reference)s was cancelled.") % {"reference": case.reference},
            now=now,
        )
    return errand


@transaction.atomic
def errand_rate(
    *, actor, errand: Errand, rating: int, comment: str = "", solved: bool = True, now=None
) -> Errand:
    """The resident rates a done errand (the kit's rating; "not solved" reopens it)."""
    errand = _locked(errand)
    if not may_rate(actor, errand):
        raise PermissionDenied
    kit.case_rate(case=errand.case, rating=rating, comment=comment, solved=solved, now=now)
    return errand
