"""Intake at the clinic: disputes opened by every channel, their parties and willingness
to mediate, acceptance, clinic slots and bookings, and disputes turned from other cases.

Every dispute is a case of the kit (kind "disputes.dispute"). Its risk sets the first
time limit: red is handed to the subdistrict at once, orange is due within the rule's
orange time limit, yellow takes the rule's default. Mediation is voluntary: when an
applicant or respondent refuses it, the dispute ends as "refused" and the parties are
told their other routes. Acceptance gives the rights-and-duties notice and starts the
time limit (30 days by default) from that day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F
from django.utils import timezone
from django.utils.translation import gettext as _

from housing.models import Estate, EstateIssue, IssueCategory, Person
from portal.errors import field_error as _field_error
from portal.models import Area, Case, CaseParty, User
from portal.personal import normalise_phone, validate_mobile
from portal.registry import registry
from portal.roles import Action, AreaLevel, Role
from portal.rules import ancestor_paths, rules_for
from portal.scope import active_memberships, can, may_at, reach, under_paths_q
from portal.scope import require as _require
from portal.services import cases as kit
from portal.workdays import due_after

from ..models import Booking, Category, Channel, ClinicSlot, Dispute, Party, Risk
from ..rules import DISPUTE_RULES

DISPUTE = "disputes.dispute"
TITLE_FACTS_LENGTH = 40
# A refusal by one of these ends mediation; a representative speaks for one of them.
DECIDING_ROLES = (Party.Role.APPLICANT, Party.Role.RESPONDENT)
Status = Dispute.Status


@dataclass(frozen=True)
class PartyDetails:
    """Who a party is, as a form gives it: a resident record on file, or a name and phone."""

    name: str = ""
    phone: str = ""
    person: Person | None = None

    def __bool__(self) -> bool:
        return bool(self.name.strip() or self.phone.strip() or self.person)


def _local(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


# --- Where a user may take disputes in ------------------------------------------------


def intake_communities(user):
    """The communities where the user may open disputes as staff (clinic, slots)."""
    r = reach(user, DISPUTE, Action.CREATE)
    communities = Area.objects.communities()
    if r.everything:
        return communities
    return communities.filter(under_paths_q(r.area_paths))


def referral_grids(user):
    """The grids the user may refer disputes from: a grid worker's own grid, or every
    grid of the communities a member of staff works in."""
    r = reach(user, DISPUTE, Action.CREATE)
    grids = Area.objects.filter(level=AreaLevel.GRID)
    if r.everything:
        return grids
    return grids.filter(under_paths_q(r.area_paths))


def community_of(area: Area) -> Area | None:
    """The community an area (a grid) lies in, or the area itself if it is one."""
    return Area.objects.filter(path__in=ancestor_paths(area), level=AreaLevel.COMMUNITY).first()


def resident_communities(user) -> list[Area]:
    """The communities the user lives in, by their active resident memberships."""
    seen = {}
    for membership in active_memberships(user):
        if membership.role == Role.RESIDENT and membership.area_id:
            seen.setdefault(membership.area_id, membership.area)
    return sorted(seen.values(), key=lambda a: a.path)


def open_slots(communities, *, now=None):
    """Upcoming clinic slots of `communities` that still have places, soonest first,
    each annotated with `booked`."""
    now = now or timezone.now()
    return (
        ClinicSlot.objects.filter(community__in=communities, starts_at__gt=now)
        .annotate(booked=Count("bookings"))
        .filter(booked__lt=F("capacity"))
        .order_by("starts_at", "pk")
    )


# --- Checks -----------------------------------------------------------------------


def dispute_title(category: Category, facts: str) -> str:
    """The category's name and the first words of the facts, on one line."""
    words = " ".join(facts.split())
    if len(words) > TITLE_FACTS_LENGTH:
        words = words[:TITLE_FACTS_LENGTH].rstrip() + "…"
    return f"{category.name}：{words}"


def _dispute_errors(*, community, category, channel, facts, risk, estate, filer_phone) -> dict:
    errors = {}
    if not isinstance(category, Category) or not category.is_active:
        errors["category"] = ValidationError(_("Choose a category."), code="category")
    if risk not in Risk.values:
        errors["risk"] = ValidationError(_("Choose a risk level."), code="risk")
    if channel not in Channel.values:
        raise ValueError(f"unknown channel {channel!r}")
    if not (facts or "").strip():
        errors["facts"] = ValidationError(_("Say what happened."), code="empty")
    if estate is not None and estate.community_id != community.pk:
        errors["estate"] = ValidationError(_("The estate is not in this community."), code="estate")
    if filer_phone:
        try:
            validate_mobile(filer_phone)
        except ValidationError as error:
            errors["filer_phone"] = error
    return errors


def _party_errors(
    *,
    actor,
    dispute: Dispute | None,
    role: str,
    details: PartyDetails,
    represents: Party | None = None,
    prefix: str = "",
) -> tuple[dict, str, str]:
    """Errors keyed `<prefix><field>`, and the party's cleaned name and phone."""
    errors = {}
    person = details.person
    if role not in Party.Role.values:
        errors[f"{prefix}role"] = ValidationError(_("Choose a role."), code="role")
    if person is not None and (
        actor is None or not Person.objects.visible_to(actor).filter(pk=person.pk).exists()
    ):
        errors[f"{prefix}person"] = ValidationError(
            _("This person is not on file in your communities."), code="person_scope"
        )
        person = None
    name = details.name.strip() or (person.name if person else "")
    phone = normalise_phone(details.phone) or (person.phone if person else "")
    if not name:
        errors[f"{prefix}name"] = ValidationError(_("Give the party's name."), code="required")
    if phone:
        try:
            validate_mobile(phone)
        except ValidationError as error:
            errors[f"{prefix}phone"] = error
    if role == Party.Role.REPRESENTATIVE:
        if represents is None:
            errors[f"{prefix}represents"] = ValidationError(
                _("Choose the party this representative speaks for."), code="represents"
            )
        elif (dispute is None or represents.dispute_id != dispute.pk) or (
            represents.role == Party.Role.REPRESENTATIVE
        ):
            errors[f"{prefix}represents"] = ValidationError(
                _("A representative speaks for an applicant or a respondent of this dispute."),
                code="represents",
            )
    elif represents is not None:
        errors[f"{prefix}represents"] = ValidationError(
            _("Only a representative speaks for another party."), code="represents"
        )
    if (
        person is not None
        and dispute is not None
        and Party.objects.filter(dispute=dispute, person=person, role=role).exists()
    ):
        errors[f"{prefix}person"] = ValidationError(
            _("This person is already a party in this role."), code="duplicate"
        )
    return errors, name, phone


def _raise(errors: dict) -> None:
    if errors:
        raise ValidationError(errors)


def _create_party(
    *,
    dispute: Dispute,
    role: str,
    name: str,
    phone: str,
    person: Person | None = None,
    user=None,
    represents: Party | None = None,
) -> Party:
    """The party row; an account (theirs or their record's) follows the case."""
    user = user or (person.user if person is not None and person.user_id else None)
    party = Party.objects.create(
        dispute=dispute,
        role=role,
        name=name,
        phone=phone,
        person=person,
        user=user,
        represents=represents,
    )
    if user is not None and user.pk != dispute.case.filed_by_id:
        CaseParty.objects.get_or_create(case=dispute.case, user=user)
    return party


def _account_of(person: Person | None):
    return person.user if person is not None and person.user_id else None


# --- Opening ----------------------------------------------------------------------


@transaction.atomic
def dispute_open(
    *,
    actor,
    community: Area,
    category: Category,
    channel: str,
    facts: str,
    risk: str = Risk.YELLOW,
    title: str = "",
    estate: Estate | None = None,
    place: str = "",
    filed_by=None,
    filer_name: str = "",
    filer_phone: str = "",
    source_case: Case | None = None,
    grid: Area | None = None,
    comment: str = "",
    now=None,
) -> Dispute:
    """A dispute opened as a case of the kit, due by its risk: red is handed to the
    subdistrict at once, orange is due within the rule's orange time limit, yellow by
    the rule's default. `comment` goes on the public "reported" entry."""
    now = now or timezone.now()
    _raise(
        _dispute_errors(
            community=community,
            category=category,
            channel=channel,
            facts=facts,
            risk=risk,
            estate=estate,
            filer_phone=filer_phone,
        )
    )
    if grid is None and estate is not None:
        grid = estate.grid
    case = kit.case_open(
        kind=DISPUTE,
        actor=actor,
        community=community,
        title=title.strip() or dispute_title(category, facts),
        filed_by=filed_by,
        filer_name=filer_name,
        filer_phone=filer_phone,
        grid=grid,
        comment=comment,
        now=now,
    )
    dispute = Dispute.objects.create(
        case=case,
        category=category,
        risk=risk,
        channel=channel,
        estate=estate,
        place=place.strip(),
        facts=facts.strip(),
        source_case=source_case,
    )
    _apply_risk(dispute, now)
    return dispute


def _apply_risk(dispute: Dispute, now) -> None:
    """The risk's time limit, applied by the rule as the dispute is opened (no actor:
    a grid worker may open a red dispute it could not hand up itself)."""
    case = dispute.case
    if dispute.risk == Risk.RED:
        kit.case_escalate(
            case=case,
            actor=None,
            comment=_("Red risk: handed to the subdistrict at once."),
            now=now,
        )
    elif dispute.risk == Risk.ORANGE:
        payload, _rule_set = rules_for(DISPUTE, case.community, now)
        days = payload.get("orange_time_limit_days", DISPUTE_RULES["orange_time_limit_days"])
        # Calendar days: an orange dispute does not wait for the weekend.
        due_at = due_after(now, days, working_days=False)
        kit.case_set_due(
            case=case,
            due_at=due_at,
            actor=None,
            reason=_("Orange risk: to be handled by %(due)s.") % {"due": _local(due_at)},
            public=True,
            now=now,
        )


def _open_with_parties(
    *,
    actor,
    community: Area,
    category,
    channel: str,
    facts: str,
    risk: str,
    applicant: PartyDetails,
    respondent: PartyDetails | None,
    estate=None,
    place: str = "",
    grid=None,
    now=None,
) -> Dispute:
    """Check the dispute and both sides together (every error at once), then open it
    with the applicant as its filer and add the parties."""
    errors = _dispute_errors(
        community=community,
        category=category,
        channel=channel,
        facts=facts,
        risk=risk,
        estate=estate,
        filer_phone="",
    )
    sides = [(Party.Role.APPLICANT, applicant, "applicant_")]
    if respondent:
        sides.append((Party.Role.RESPONDENT, respondent, "respondent_"))
    cleaned = []
    for role, details, prefix in sides:
        party_errors, name, phone = _party_errors(
            actor=actor, dispute=None, role=role, details=details, prefix=prefix
        )
        errors.update(party_errors)
        cleaned.append((role, details.person, name, phone))
    _raise(errors)
    _role, applicant_person, applicant_name, applicant_phone = cleaned[0]
    dispute = dispute_open(
        actor=actor,
        community=community,
        category=category,
        channel=channel,
        facts=facts,
        risk=risk,
        estate=estate,
        place=place,
        grid=grid,
        filed_by=_account_of(applicant_person),
        filer_name=applicant_name,
        filer_phone=applicant_phone,
        now=now,
    )
    for role, person, name, phone in cleaned:
        _create_party(dispute=dispute, role=role, name=name, phone=phone, person=person)
    return dispute


@transaction.atomic
def dispute_walk_in(
    *,
    actor,
    community: Area,
    category: Category,
    facts: str,
    applicant: PartyDetails,
    respondent: PartyDetails | None = None,
    risk: str = Risk.YELLOW,
    estate: Estate | None = None,
    place: str = "",
    now=None,
) -> Dispute:
    """A dispute brought to the clinic in person: staff record the facts and both sides
    (a name and phone, or a resident on file)."""
    return _open_with_parties(
        actor=actor,
        community=community,
        category=category,
        channel=Channel.WALK_IN,
        facts=facts,
        risk=risk,
        applicant=applicant,
        respondent=respondent,
        estate=estate,
        place=place,
        now=now,
    )


@transaction.atomic
def dispute_refer(
    *,
    actor,
    grid: Area,
    category: Category,
    facts: str,
    applicant: PartyDetails,
    respondent: PartyDetails | None = None,
    risk: str = Risk.YELLOW,
    place: str = "",
    now=None,
) -> Dispute:
    """A grid worker hands a conflict found on the grid to the clinic (网格化管理)."""
    if grid.level != AreaLevel.GRID:
        raise _field_error("grid", _("Choose a grid."), "grid")
    community = community_of(grid)
    if community is None:
        raise _field_error("grid", _("This grid belongs to no community."), "grid")
    return _open_with_parties(
        actor=actor,
        community=community,
        category=category,
        channel=Channel.GRID_REFERRAL,
        facts=facts,
        risk=risk,
        applicant=applicant,
        respondent=respondent,
        place=place,
        grid=grid,
        now=now,
    )


@transaction.atomic
def dispute_ask(
    *,
    user,
    category: Category,
    facts: str,
    other_party_name: str,
    community: Area | None = None,
    slot: ClinicSlot | None = None,
    now=None,
) -> Dispute:
    """A resident asks for mediation from the web form, or books a clinic slot to come
    and talk; the resident is the applicant, the other side the respondent."""
    now = now or timezone.now()
    communities = resident_communities(user)
    if not communities:
        raise PermissionDenied
    errors = {}
    if slot is not None:
        # The row lock makes concurrent bookings of the last place wait for each other.
        slot = ClinicSlot.objects.select_for_update().select_related("community").get(pk=slot.pk)
        community = slot.community
        if slot.community_id not in {c.pk for c in communities}:
            errors["slot"] = ValidationError(
                _("This clinic slot is not in your community."), code="slot_community"
            )
        elif slot.starts_at <= now:
            errors["slot"] = ValidationError(_("This clinic slot has passed."), code="slot_past")
        elif slot.bookings.count() >= slot.capacity:
            errors["slot"] = ValidationError(
                _("This clinic slot is full. Choose another."), code="slot_full"
            )
    elif community is None:
        if len(communities) == 1:
            community = communities[0]
        else:
            errors["community"] = ValidationError(_("Choose your community."), code="community")
    elif community.pk not in {c.pk for c in communities}:
        errors["community"] = ValidationError(_("Choose your community."), code="community")
    if not other_party_name.strip():
        errors["other_party_name"] = ValidationError(
            _("Give the other party's name, or how you know them."), code="required"
        )
    _raise(errors)
    person = Person.objects.filter(user=user).first()
    name = (person.name if person else "") or user.display_name or user.get_username()
    phone = user.phone or (person.phone if person else "")
    booked = slot is not None
    dispute = dispute_open(
        actor=user,
        community=community,
        category=category,
        channel=Channel.CLINIC_BOOKING if booked else Channel.WEB_FORM,
        facts=facts,
        filed_by=user,
        filer_name=name,
        filer_phone=phone,
        comment=_("Clinic slot booked: %(when)s.") % {"when": _local(slot.starts_at)}
        if booked
        else "",
        now=now,
    )
    _create_party(
        dispute=dispute,
        role=Party.Role.APPLICANT,
        name=name,
        phone=phone,
        person=person,
        user=user,
    )
    _create_party(
        dispute=dispute, role=Party.Role.RESPONDENT, name=other_party_name.strip(), phone=""
    )
    if booked:
        Booking.objects.create(slot=slot, dispute=dispute)
    return dispute


# --- Turning another case into a dispute --------------------------------------------------

SOURCE_TEXT_FIELDS = ("description", "facts", "reason")


def _source_details(case: Case) -> tuple[str, str, Estate | None, Person | None]:
    """(category code, facts, estate, reporter) of the case a dispute is turned from."""
    if case.kind == "housing.issue":
        issue = EstateIssue.objects.select_related("estate", "reporter").get(pk=case.pk)
        code = (
            "property_management"
            if issue.category == IssueCategory.PROPERTY_SERVICE
            else "neighbours"
        )
        return code, issue.description, issue.estate, issue.reporter
    facts = ""
    kind = registry.case_kinds.get(case.kind)
    row = kind.model._default_manager.filter(pk=case.pk).first() if kind else None
    for field in SOURCE_TEXT_FIELDS:
        facts = facts or str(getattr(row, field, "") or "")
    return "neighbours", facts or case.title, None, None


@transaction.atomic
def dispute_from_case(*, actor, case: Case, now=None) -> Case:
    """The hand-over target `dispute_from`: a dispute opened from another case (an
    estate issue, an elevator objection), its filer the applicant; both timelines name
    the other's reference. Returns the dispute's case; a second call returns the same."""
    now = now or timezone.now()
    _require(actor, Action.CHANGE, case)
    existing = Dispute.objects.filter(source_case=case).select_related("case").first()
    if existing is not None:
        return existing.case
    if case.closed_at:
        raise ValidationError(_("The case is closed."), code="closed")
    code, facts, estate, reporter = _source_details(case)
    if (
        reporter is not None
        and not Person.objects.visible_to(actor).filter(pk=reporter.pk).exists()
    ):
        reporter = None
    filer = case.filed_by
    person = reporter or (Person.objects.filter(user=filer).first() if filer else None)
    name = (
        case.filer_name or (person.name if person else "") or (filer.display_name if filer else "")
    )
    phone = case.filer_phone or (person.phone if person else "") or (filer.phone if filer else "")
    dispute = dispute_open(
        actor=actor,
        community=case.community,
        category=Category.objects.get(code=code),
        channel=Channel.HAND_OVER,
        facts=facts,
        estate=estate,
        grid=case.grid,
        filed_by=filer,
        filer_name=name,
        filer_phone=phone,
        source_case=case,
        comment=_("Turned from %(reference)s.") % {"reference": case.reference},
        now=now,
    )
    if name:
        _create_party(
            dispute=dispute,
            role=Party.Role.APPLICANT,
            name=name,
            phone=phone,
            person=person,
            user=filer or _account_of(person),
        )
    kit.case_comment(
        case=case,
        actor=actor,
        comment=_("Handed to the clinic as dispute %(reference)s.")
        % {"reference": dispute.case.reference},
        public=True,
        now=now,
    )
    return dispute.case


# --- Parties and their willingness ------------------------------------------------------


def _locked_case(dispute: Dispute) -> Case:
    return Case.objects.select_for_update().select_related("community").get(pk=dispute.pk)


@transaction.atomic
def party_add(
    *,
    actor,
    dispute: Dispute,
    role: str,
    name: str = "",
    phone: str = "",
    person: Person | None = None,
    user=None,
    represents: Party | None = None,
) -> Party:
    """A party to an open dispute: a resident on file (visible to the actor) or a name
    and phone; an account (given, or the record's) follows the case as a party."""
    case = _locked_case(dispute)
    _require(actor, Action.CHANGE, case)
    if case.closed_at:
        raise ValidationError(_("The dispute is closed."), code="closed")
    dispute.case = case
    errors, name, phone = _party_errors(
        actor=actor,
        dispute=dispute,
        role=role,
        details=PartyDetails(name=name, phone=phone, person=person),
        represents=represents,
    )
    if user is not None and not _may_follow(user, person, case):
        errors["user"] = ValidationError(
            _("This account is not a resident of the dispute's community."), code="user"
        )
    _raise(errors)
    party = _create_party(
        dispute=dispute,
        role=role,
        name=name,
        phone=phone,
        person=person,
        user=user,
        represents=represents,
    )
    kit.case_comment(
        case=case,
        actor=actor,
        comment=_("Party added: %(name)s (%(role)s).")
        % {"name": name, "role": party.get_role_display()},
    )
    return party


def _may_follow(user: User, person: Person | None, case: Case) -> bool:
    """An account given for a party: the record's own, or a resident of the community."""
    if person is not None:
        return person.user_id == user.pk
    return user.memberships.filter(
        role=Role.RESIDENT, area=case.community, ended_at__isnull=True
    ).exists()


def refusal_notice(party: Party) -> str:
    """The public entry when a party refuses: mediation ends; the other routes."""
    return _(
        "The %(role)s does not agree to mediation, so the clinic's mediation ends. "
        "The parties may still: bring a lawsuit at the people's court; apply for "
        "arbitration where the law provides for it (e.g. labour disputes); petition "
        "(信访) the competent department; ask the judicial office or the legal-aid centre "
        "for legal aid."
    ) % {"role": party.get_role_display()}


def has_refusal(dispute: Dispute) -> bool:
    return dispute.parties.filter(role__in=DECIDING_ROLES, willing=False).exists()


@transaction.atomic
def party_willingness(*, actor, party: Party, willing: bool, now=None) -> Party:
    """Record whether a party agrees to mediation. A refusal by an applicant or a
    respondent ends it: the dispute becomes "refused" with a public entry naming the
    other routes, and closes; after that no willingness changes."""
    now = now or timezone.now()
    dispute = Dispute.objects.get(pk=party.dispute_id)
    case = _locked_case(dispute)
    _require(actor, Action.CHANGE, case)
    party = Party.objects.select_for_update().get(pk=party.pk)
    if case.status == Status.REFUSED or has_refusal(dispute):
        raise ValidationError(
            _("A party refused mediation, so it has ended; willingness can no longer change."),
            code="refused",
        )
    if case.closed_at:
        raise ValidationError(_("The dispute is closed."), code="closed")
    willing = bool(willing)
    if party.willing is willing:
        return party
    ends = not willing and party.role in DECIDING_ROLES
    if ends and not can(actor, Action.CLOSE, case):
        raise PermissionDenied
    party.willing = willing
    party.willingness_recorded_at = now
    party.save(update_fields=["willing", "willingness_recorded_at"])
    if ends:
        kit.case_transition(
            case=case,
            actor=actor,
            status=Status.REFUSED,
            comment=refusal_notice(party),
            public=True,
            now=now,
        )
        kit.case_close(
            case=case,
            actor=actor,
            status=Status.REFUSED,
            comment=_("Mediation ended: a party refused it."),
            now=now,
        )
    else:
        text = (
            _("%(name)s (%(role)s) agrees to mediation.")
            if willing
            else _("%(name)s (%(role)s) does not agree to mediation.")
        )
        kit.case_comment(
            case=case,
            actor=actor,
            comment=text % {"name": party.name, "role": party.get_role_display()},
            now=now,
        )
    return party


# --- Acceptance -------------------------------------------------------------------------


@transaction.atomic
def dispute_accept(*, actor, dispute: Dispute, now=None) -> Dispute:
    """Accept a received dispute for mediation: the rights-and-duties notice is given
    now, and the time limit (30 days by default) runs from today, unless a red or
    orange risk already set a shorter one."""
    now = now or timezone.now()
    case = _locked_case(dispute)
    _require(actor, Action.CHANGE, case)
    dispute = Dispute.objects.select_for_update().get(pk=dispute.pk)
    dispute.case = case
    if case.status == Status.REFUSED or has_refusal(dispute):
        raise ValidationError(
            _("A party refused mediation, so the dispute cannot be accepted."), code="refused"
        )
    if case.status != Status.RECEIVED or case.closed_at:
        raise ValidationError(_("Only a received dispute can be accepted."), code="not_received")
    payload, _rule_set = rules_for(DISPUTE, case.community, now)
    days = payload["time_limit_days"]
    due_at = due_after(now, days, working_days=payload.get("working_days", False))
    keeps_shorter = (
        dispute.risk in (Risk.RED, Risk.ORANGE) and case.due_at is not None and case.due_at < due_at
    )
    dispute.accepted_at = dispute.rights_notice_given_at = now
    dispute.save(update_fields=["accepted_at", "rights_notice_given_at"])
    kit.case_transition(
        case=case,
        actor=actor,
        status=Status.ACCEPTED,
        comment=_(
            "Accepted for mediation; the parties were told their rights and duties. "
            "To be settled by %(due)s."
        )
        % {"due": _local(case.due_at if keeps_shorter else due_at)},
        public=True,
        now=now,
    )
    if not keeps_shorter:
        kit.case_set_due(
            case=case,
            due_at=due_at,
            actor=actor,
            reason=_("Time limit: %(days)s days from acceptance.") % {"days": days},
            now=now,
        )
    return dispute


# --- Clinic slots -------------------------------------------------------------------------


@transaction.atomic
def clinic_slot_create(
    *,
    actor,
    community: Area,
    starts_at: datetime,
    ends_at: datetime,
    capacity: int = 3,
    now=None,
) -> ClinicSlot:
    """A time the clinic offers in a community; residents book its places."""
    now = now or timezone.now()
    if community.level != AreaLevel.COMMUNITY:
        raise _field_error("community", _("Choose a community."), "not_community")
    if not may_at(actor, Action.CREATE, DISPUTE, community):
        raise PermissionDenied
    errors = {}
    if starts_at <= now:
        errors["starts_at"] = ValidationError(_("Choose a time that has not passed."), code="past")
    if ends_at <= starts_at:
        errors["ends_at"] = ValidationError(
            _("The slot must end after it starts."), code="ends_before"
        )
    if capacity < 1:
        errors["capacity"] = ValidationError(_("Offer at least one place."), code="capacity")
    _raise(errors)
    return ClinicSlot.objects.create(
        community=community, starts_at=starts_at, ends_at=ends_at, capacity=capacity
    )


__all__ = [
    "DECIDING_ROLES",
    "PartyDetails",
    "clinic_slot_create",
    "community_of",
    "dispute_accept",
    "dispute_ask",
    "dispute_from_case",
    "dispute_open",
    "dispute_refer",
    "dispute_title",
    "dispute_walk_in",
    "has_refusal",
    "intake_communities",
    "open_slots",
    "party_add",
    "party_willingness",
    "referral_grids",
    "refusal_notice",
    "resident_communities",
]
