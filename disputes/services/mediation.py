"""Writes of mediation, from convening the panel to the return visit.

The panel is suggested by the dispute's category and confirmed by the secretary
(`panel_confirm`); sessions move an accepted dispute into mediation and remind everyone
attending the evening before (`session_schedule`); mediation ends in a numbered
agreement (`agreement_record`) or in failure with a referral (`mediation_fail`). After an
agreement the committee visits back (`return_visit_record`) and the parties may apply
for judicial confirmation within the window of the rules (`confirmation_apply`). The
time limit is extended only with the parties' recorded consent (`dispute_extend`).

Every status change goes through the case kit, so the timeline is written in the same
transaction; every reminder is a FollowUp row delivered by the beat scan.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.errors import field_error as _field_error
from portal.models import Area, Case, FollowUp, Membership, Organisation, User
from portal.roles import Action, AreaLevel, OrganisationType, Role
from portal.rules import ancestor_paths
from portal.scope import can, may_at
from portal.scope import require as _require
from portal.services import cases as kit
from portal.services import followups
from portal.workdays import due_after

from ..models import (
    Affiliation,
    Agreement,
    Dispute,
    Extension,
    JudicialConfirmation,
    Mediator,
    PanelMember,
    Party,
    Referral,
    ReturnVisit,
    Session,
)
from ..rules import DISPUTE_RULES

DISPUTE = "disputes.dispute"
MEDIATOR = "disputes.mediator"
Status = Dispute.Status

SESSION_REMINDER_TIME = time(18, 0)
VISIT_TIME = time(9, 0)
# The counter of agreement numbers, one per community (and year, by the kit).
AGREEMENT_COUNTER_PREFIX = "TJ"
# Ends the reason of the confirmation warning so it can be found again and cancelled;
# People's Mediation Law Art. 33 is the article on judicial confirmation. It reads the
# same in every language.
CONFIRMATION_TAG = "(§33)"

# Where a panel may still be chosen or changed.
PANEL_STATUSES = (Status.RECEIVED, Status.ACCEPTED, Status.MEDIATING)
# Where sessions are held, and where mediation may end in failure.
MEDIATION_STATUSES = (Status.ACCEPTED, Status.MEDIATING)
# Outcomes without an agreement that may close the case.
NO_AGREEMENT = (Status.FAILED, Status.REFUSED)

# Mediators from these bodies name their organisation, of this type.
AFFILIATION_ORGANISATION = {
    Affiliation.POLICE_STATION: OrganisationType.POLICE_STATION,
    Affiliation.COURT: OrganisationType.COURT,
    Affiliation.JUDICIAL_OFFICE: OrganisationType.JUDICIAL_OFFICE,
    Affiliation.PROPERTY_COMPANY: OrganisationType.PROPERTY_COMPANY,
}
# May name an organisation, and then one of this type.
AFFILIATION_OPTIONAL_ORGANISATION = {
    Affiliation.RELIGIOUS_FIGURE: OrganisationType.RELIGIOUS_COMMUNITY,
}
# Area roles whose holders may sit on a community's panel without an organisation.
STAFF_ROLES = (
    Role.COMMUNITY_STAFF,
    Role.PARTY_SECRETARY,
    Role.GRID_WORKER,
    Role.SUBDISTRICT_STAFF,
)


# --- Helpers ---------------------------------------------------------------------


def _locked(dispute: Dispute) -> Case:
    """The dispute's case row, locked until the transaction ends, so two status changes
    of one dispute are decided one after the other."""
    case = Case.objects.select_for_update().select_related("community").get(pk=dispute.pk)
    dispute.case = case
    return case


def _today(now: datetime) -> date:
    return timezone.localdate(now)


def _local(day: date, at: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, at), timezone.get_default_timezone())


def _when(value: datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def dispute_rules(case: Case) -> dict:
    """The dispute rules the case was opened under, completed by the defaults."""
    payload = case.rule_set.payload if case.rule_set_id else {}
    return {**DISPUTE_RULES, **payload}


def _agreement_of(dispute: Dispute) -> Agreement | None:
    return Agreement.objects.filter(dispute_id=dispute.pk).first()


def _closed_error() -> ValidationError:
    return ValidationError(_("The case is closed."), code="closed")


def _refused_error() -> ValidationError:
    return ValidationError(
        _("A party refused mediation; the dispute cannot be mediated."), code="refused"
    )


def _staff_target(case: Case) -> dict:
    """Who a follow-up of the dispute is for: its handler, else the community's staff."""
    if case.handler_id:
        return {"assignee": case.handler}
    return {"role": Role.COMMUNITY_STAFF, "area": case.community}


def party_accounts(parties) -> list[User]:
    """The accounts of the parties that have one (their own or their resident record's)."""
    users = []
    for party in parties:
        user = party.user or (party.person.user if party.person_id else None)
        if user is not None and user.is_active:
            users.append(user)
    return users


# --- The mediator pool and the panel ----------------------------------------------


def mediators_for(community: Area):
    """Active mediators who may sit on a panel in `community`: its own pool, and those
    of an organisation whose area contains the community (a police station, a court)."""
    return Mediator.objects.filter(is_active=True).filter(
        Q(community=community) | Q(organisation__area__path__in=ancestor_paths(community))
    )


def panel_suggest(dispute: Dispute) -> list[Mediator]:
    """One active mediator for each affiliation the dispute's category suggests, in the
    category's order; the community's own pool first, then by name."""
    wanted = list(dict.fromkeys(dispute.category.suggested_affiliations or []))
    if not wanted:
        return []
    community = dispute.case.community
    candidates = (
        mediators_for(community)
        .filter(affiliation__in=wanted)
        .annotate(
            elsewhere=models.Case(
                models.When(community=community, then=models.Value(0)),
                default=models.Value(1),
                output_field=models.IntegerField(),
            )
        )
        .select_related("user", "organisation")
        .order_by("elsewhere", "name", "pk")
    )
    first: dict[str, Mediator] = {}
    for mediator in candidates:
        first.setdefault(mediator.affiliation, mediator)
    return [first[affiliation] for affiliation in wanted if affiliation in first]


def is_party_secretary(user, community: Area) -> bool:
    """Does `user` hold the party secretary's role of `community`?"""
    return (
        user is not None
        and Membership.objects.active()
        .filter(user=user, role=Role.PARTY_SECRETARY, area=community)
        .exists()
    )


def _check_lead(lead: Mediator, case: Case) -> None:
    if lead.affiliation != Affiliation.COMMUNITY_CADRE and not is_party_secretary(
        lead.user, case.community
    ):
        raise _field_error(
            "lead",
            _("The panel is led by a community cadre or by the party secretary."),
            "lead_affiliation",
        )
    if lead.user_id and not can(lead.user, Action.CHANGE, case):
        raise _field_error(
            "lead",
            _("%(name)s's account cannot work on this dispute; choose another lead.")
            % {"name": lead.name},
            "lead_scope",
        )


@transaction.atomic
def panel_confirm(
    *, actor, dispute: Dispute, mediators: list[Mediator], lead: Mediator, now=None
) -> list[PanelMember]:
    """The panel of the dispute, replacing any earlier one; the case goes to the lead's
    account as its handler. Organisation members on it then see the dispute."""
    _require(actor, Action.ASSIGN, dispute.case)
    case = _locked(dispute)
    if case.closed_at:
        raise _closed_error()
    if case.status not in PANEL_STATUSES:
        raise ValidationError(
            _("The panel is chosen before the mediation has an outcome."), code="panel_closed"
        )
    chosen = list(dict.fromkeys([*mediators, lead]))
    allowed = set(
        mediators_for(case.community)
        .filter(pk__in=[m.pk for m in chosen])
        .values_list("pk", flat=True)
    )
    for mediator in chosen:
        if mediator.pk not in allowed:
            raise _field_error(
                "mediators",
                _("%(name)s is not in the mediator pool for this community.")
                % {"name": mediator.name},
                "not_in_pool",
            )
    _check_lead(lead, case)
    current = {m.mediator_id: m.is_lead for m in PanelMember.objects.filter(dispute_id=dispute.pk)}
    wanted = {m.pk: m.pk == lead.pk for m in chosen}
    if current != wanted:
        PanelMember.objects.filter(dispute_id=dispute.pk).delete()
        PanelMember.objects.bulk_create(
            PanelMember(dispute_id=dispute.pk, mediator=m, is_lead=m.pk == lead.pk) for m in chosen
        )
        names = ", ".join(
            _("%(name)s (lead)") % {"name": m.name} if m.pk == lead.pk else m.name for m in chosen
        )
        kit.case_comment(
            case=case,
            actor=actor,
            comment=_("Mediation panel: %(names)s") % {"names": names},
            now=now,
        )
    if lead.user_id and case.handler_id != lead.user_id:
        kit.case_assign(
            case=case,
            actor=actor,
            handler=lead.user,
            comment=_("%(name)s leads the mediation.") % {"name": lead.name},
            now=now,
        )
    return list(
        PanelMember.objects.filter(dispute_id=dispute.pk)
        .select_related("mediator")
        .order_by("-is_lead", "mediator__name", "pk")
    )


def organisations_near(community: Area):
    """Organisations of the community, of any area above it, or of an area inside it."""
    return Organisation.objects.filter(
        Q(area__path__in=ancestor_paths(community)) | Q(area__path__startswith=community.path)
    )


def panel_account_candidates(community: Area):
    """Accounts that may sit on the community's panel: staff whose area contains the
    community, and members of organisations near it."""
    members = Membership.objects.active().filter(
        Q(role__in=STAFF_ROLES, area__path__in=ancestor_paths(community))
        | Q(role=Role.ORGANISATION_MEMBER, organisation__in=organisations_near(community))
    )
    return User.objects.filter(pk__in=members.values("user_id"), is_active=True)


def _check_mediator(
    *, community: Area, affiliation: str, user, organisation: Organisation | None
) -> None:
    if affiliation not in Affiliation.values:
        raise _field_error("affiliation", _("Choose an affiliation."), "affiliation")
    required = AFFILIATION_ORGANISATION.get(affiliation)
    expected = required or AFFILIATION_OPTIONAL_ORGANISATION.get(affiliation)
    if required and organisation is None:
        raise _field_error(
            "organisation",
            _("Choose the %(type)s this mediator comes from.")
            % {"type": OrganisationType(required).label},
            "organisation_required",
        )
    if organisation is not None:
        if expected and organisation.type != expected:
            raise _field_error(
                "organisation",
                _("%(organisation)s is not a %(type)s.")
                % {"organisation": organisation, "type": OrganisationType(expected).label},
                "organisation_type",
            )
        if not organisations_near(community).filter(pk=organisation.pk).exists():
            raise _field_error(
                "organisation",
                _("%(organisation)s does not serve this community.")
                % {"organisation": organisation},
                "organisation_scope",
            )
    if user is None:
        return
    if organisation is not None:
        belongs = Membership.objects.active().filter(user=user, organisation=organisation)
    else:
        belongs = Membership.objects.active().filter(
            user=user, role__in=STAFF_ROLES, area__path__in=ancestor_paths(community)
        )
    if not user.is_active or not belongs.exists():
        raise _field_error(
            "user",
            _("%(name)s is neither staff of this community nor a member of the organisation.")
            % {"name": user},
            "user_scope",
        )


@transaction.atomic
def mediator_add(
    *,
    actor,
    community: Area,
    name: str,
    affiliation: str,
    user=None,
    organisation: Organisation | None = None,
) -> Mediator:
    """A mediator in the clinic's pool of `community`; by that community's staff."""
    if community.level != AreaLevel.COMMUNITY:
        raise ValidationError({"community": _("Choose a community.")}, code="not_community")
    if not may_at(actor, Action.CREATE, MEDIATOR, community):
        raise PermissionDenied
    name = (name or "").strip() or (user.display_name or user.get_username() if user else "")
    if not name:
        raise _field_error("name", _("Give the mediator's name."), "name")
    _check_mediator(
        community=community, affiliation=affiliation, user=user, organisation=organisation
    )
    if (
        user is not None
        and Mediator.objects.filter(community=community, user=user, is_active=True).exists()
    ):
        raise _field_error(
            "user",
            _("%(name)s is already in this community's mediator pool.") % {"name": user},
            "duplicate",
        )
    return Mediator.objects.create(
        community=community,
        name=name,
        affiliation=affiliation,
        user=user,
        organisation=organisation,
    )


# --- Sessions ------------------------------------------------------------------------


def session_reminder_due_at(starts_at: datetime, now: datetime) -> datetime:
    """18:00 local time the day before the session; now if that has passed."""
    day_before = timezone.localdate(starts_at) - timedelta(days=1)
    return max(_local(day_before, SESSION_REMINDER_TIME), now)


def _check_session_status(case: Case) -> None:
    if case.status == Status.REFUSED:
        raise _refused_error()
    if case.closed_at:
        raise _closed_error()
    if case.status == Status.RECEIVED:
        raise ValidationError(
            _("Sessions are scheduled once the dispute is accepted for mediation."),
            code="not_accepted",
        )
    if case.status not in MEDIATION_STATUSES:
        raise ValidationError(
            _("Sessions are scheduled only while the dispute is in mediation."),
            code="not_mediating",
        )


@transaction.atomic
def session_schedule(
    *,
    actor,
    dispute: Dispute,
    format: str,
    starts_at: datetime,
    place: str,
    parties=(),
    mediators=(),
    now=None,
) -> Session:
    """A mediation session; an accepted dispute is then in mediation (a public timeline
    entry). Attending mediators and parties with an account are reminded the day before
    at 18:00."""
    _require(actor, Action.CHANGE, dispute.case)
    now = now or timezone.now()
    case = _locked(dispute)
    _check_session_status(case)
    if format not in Session.Format.values:
        raise _field_error("format", _("Choose the format of the session."), "format")
    if timezone.is_naive(starts_at):
        raise ValueError("starts_at must be aware")
    if starts_at < now:
        raise _field_error("starts_at", _("Choose a time that has not passed."), "past")
    place = (place or "").strip()
    if not place:
        raise _field_error("place", _("Say where the session takes place."), "place")
    parties = list(dict.fromkeys(parties))
    mediators = list(dict.fromkeys(mediators))
    if any(p.dispute_id != dispute.pk for p in parties):
        raise _field_error("parties", _("Choose parties of this dispute."), "party_scope")
    on_panel = set(
        PanelMember.objects.filter(dispute_id=dispute.pk).values_list("mediator_id", flat=True)
    )
    if any(m.pk not in on_panel for m in mediators):
        raise _field_error(
            "mediators", _("Choose mediators on this dispute's panel."), "mediator_scope"
        )
    session = Session.objects.create(
        dispute=dispute, format=format, starts_at=starts_at, place=place, created_by=actor
    )
    session.attending_parties.set(parties)
    session.attending_mediators.set(mediators)
    announcement = _("Mediation session (%(format)s) on %(when)s at %(place)s.") % {
        "format": session.get_format_display(),
        "when": _when(starts_at),
        "place": place,
    }
    if case.status == Status.ACCEPTED:
        kit.case_transition(
            case=case,
            actor=actor,
            status=Status.MEDIATING,
            comment=announcement,
            public=True,
            now=now,
        )
    else:
        kit.case_comment(case=case, actor=actor, comment=announcement, public=True, now=now)
    reason = _("%(reference)s: mediation session on %(when)s at %(place)s.") % {
        "reference": case.reference,
        "when": _when(starts_at),
        "place": place,
    }
    due_at = session_reminder_due_at(starts_at, now)
    users = [m.user for m in mediators if m.user_id and m.user.is_active]
    users += party_accounts(parties)
    for user in dict.fromkeys(users):
        followups.followup_schedule(
            case=case, assignee=user, reason=reason, due_at=due_at, created_by=actor
        )
    return session


@transaction.atomic
def session_record(*, actor, session: Session, minutes: str, now=None) -> Session:
    """The minutes of a session that has taken place."""
    case = session.dispute.case
    _require(actor, Action.CHANGE, case)
    now = now or timezone.now()
    minutes = (minutes or "").strip()
    if not minutes:
        raise _field_error("minutes", _("Write the minutes."), "empty")
    if session.starts_at > now:
        raise _field_error(
            "minutes", _("Minutes are recorded after the session has taken place."), "not_held"
        )
    if session.minutes == minutes:
        return session
    session.minutes = minutes
    session.save(update_fields=["minutes"])
    kit.case_comment(
        case=case,
        actor=actor,
        comment=_("Minutes of the session on %(when)s recorded.")
        % {"when": _when(session.starts_at)},
        now=now,
    )
    return session


# --- Outcome ------------------------------------------------------------------------


def committee_abbreviation(community: Area) -> str:
    """The community's short name in agreement numbers: the shortest start of its name
    that starts no other community's name (团结社区 → 团), so numbers never clash."""
    name = community.name.strip()
    others = list(
        Area.objects.filter(level=AreaLevel.COMMUNITY, name__startswith=name[:1])
        .exclude(pk=community.pk)
        .values_list("name", flat=True)
    )
    for length in range(1, len(name) + 1):
        if not any(other.strip().startswith(name[:length]) for other in others):
            return name[:length]
    return f"{name}{community.pk}"


def agreement_number(community: Area, *, now=None) -> str:
    """`团调字〔2026〕第0001号`: the next number of the community's year, race-free (the
    kit's counter row stays locked until the transaction ends)."""
    reference = kit.next_reference(f"{AGREEMENT_COUNTER_PREFIX}{community.pk}", now=now)
    _prefix, year, sequence = reference.rsplit("-", 2)
    return f"{committee_abbreviation(community)}调字〔{year}〕第{int(sequence):04d}号"


def _check_agreement_status(case: Case, dispute: Dispute) -> None:
    if case.status == Status.REFUSED:
        raise ValidationError(
            _("A party refused mediation, so no agreement can be recorded."), code="refused"
        )
    existing = _agreement_of(dispute)
    if existing is not None:
        raise ValidationError(
            _("This dispute already has agreement %(number)s.") % {"number": existing.number},
            code="has_agreement",
        )
    if case.closed_at:
        raise _closed_error()
    if case.status != Status.MEDIATING:
        raise ValidationError(
            _(
                "An agreement is recorded only while the dispute is in mediation; "
                "schedule a session first."
            ),
            code="not_mediating",
        )


def confirmation_last_day(agreement: Agreement, rules: dict) -> date:
    """The last day to apply for judicial confirmation of the agreement."""
    return agreement.effective_on + timedelta(days=rules["confirmation_window_days"])


def _confirmation_warnings(dispute: Dispute):
    return FollowUp.objects.filter(
        case_id=dispute.pk,
        purpose=FollowUp.Purpose.MANUAL,
        state__in=[FollowUp.State.SCHEDULED, FollowUp.State.SENT],
        reason__endswith=CONFIRMATION_TAG,
    )


def _schedule_after_agreement(case: Case, agreement: Agreement, actor, now) -> ReturnVisit:
    rules = dispute_rules(case)
    target = _staff_target(case)
    visit_on = agreement.effective_on + timedelta(days=rules["return_visit_days"])
    follow_up = followups.followup_schedule(
        case=case,
        reason=_("%(reference)s: return visit for agreement %(number)s: is it kept?")
        % {"reference": case.reference, "number": agreement.number},
        due_at=max(_local(visit_on, VISIT_TIME), now),
        created_by=actor,
        **target,
    )
    visit = ReturnVisit.objects.create(dispute_id=case.pk, due_on=visit_on, follow_up=follow_up)
    last_day = confirmation_last_day(agreement, rules)
    if last_day >= _today(now):
        warn_on = last_day - timedelta(days=rules["confirmation_warning_days"])
        text = _(
            "%(reference)s: the last day to apply for judicial confirmation of agreement "
            "%(number)s is %(date)s."
        ) % {
            "reference": case.reference,
            "number": agreement.number,
            "date": last_day.isoformat(),
        }
        followups.followup_schedule(
            case=case,
            reason=f"{text} {CONFIRMATION_TAG}",
            due_at=max(_local(warn_on, VISIT_TIME), now),
            created_by=actor,
            **target,
        )
    return visit


@transaction.atomic
def agreement_record(
    *,
    actor,
    dispute: Dispute,
    form: str,
    facts: str,
    terms: str,
    responsibilities: str = "",
    performance_deadline: date | None = None,
    effective_on: date,
    now=None,
) -> Agreement:
    """The agreement that ends a mediation, numbered per community and year; the
    dispute is agreed and then being carried out; the return visit and the
    judicial-confirmation warning are scheduled, and the case is next due at the visit."""
    _require(actor, Action.CHANGE, dispute.case)
    now = now or timezone.now()
    case = _locked(dispute)
    _check_agreement_status(case, dispute)
    if form not in Agreement.Form.values:
        raise _field_error("form", _("Choose written or oral."), "form")
    facts, terms = (facts or "").strip(), (terms or "").strip()
    if not facts:
        raise _field_error("facts", _("State the facts and the points in dispute."), "facts")
    if not terms:
        raise _field_error("terms", _("State what the parties agree."), "terms")
    if effective_on > _today(now):
        raise _field_error(
            "effective_on",
            _("An agreement takes effect when it is signed; choose a day that has come."),
            "future",
        )
    if performance_deadline is not None and performance_deadline < effective_on:
        raise _field_error(
            "performance_deadline",
            _("The agreement is carried out after it takes effect."),
            "deadline_before_effect",
        )
    agreement = Agreement.objects.create(
        dispute=dispute,
        form=form,
        number=agreement_number(case.community, now=now),
        facts=facts,
        responsibilities=(responsibilities or "").strip(),
        terms=terms,
        performance_deadline=performance_deadline,
        effective_on=effective_on,
        recorded_by=actor,
    )
    kit.case_transition(
        case=case,
        actor=actor,
        status=Status.AGREED,
        comment=_("Agreement %(number)s reached, effective from %(date)s.")
        % {"number": agreement.number, "date": effective_on.isoformat()},
        public=True,
        now=now,
    )
    kit.case_transition(
        case=case,
        actor=actor,
        status=Status.PERFORMING,
        comment=_("The parties carry out the agreement by %(date)s.")
        % {"date": performance_deadline.isoformat()}
        if performance_deadline
        else "",
        public=True,
        now=now,
    )
    visit = _schedule_after_agreement(case, agreement, actor, now)
    # Mediation's time limit is met; what is due now is the return visit, so the overdue
    # scan does not escalate a dispute whose agreement is being carried out.
    kit.case_set_due(
        case=case,
        due_at=max(_local(visit.due_on + timedelta(days=1), time(0)), now + timedelta(days=1)),
        actor=actor,
        reason=_("Agreement reached; next due: the return visit on %(date)s.")
        % {"date": visit.due_on.isoformat()},
        public=True,
        now=now,
    )
    return agreement


@transaction.atomic
def mediation_fail(
    *, actor, dispute: Dispute, reason: str, referral_kind: str, provider: str = "", now=None
) -> Referral:
    """Mediation ends without agreement: the parties are referred elsewhere (People's
    Mediation Law Art. 26) and the case is closed as failed."""
    _require(actor, Action.CLOSE, dispute.case)
    now = now or timezone.now()
    case = _locked(dispute)
    if case.status == Status.REFUSED:
        raise _refused_error()
    if case.closed_at:
        raise _closed_error()
    if case.status not in MEDIATION_STATUSES:
        raise ValidationError(
            _("Only a dispute in mediation can end in failure."), code="not_mediating"
        )
    reason = (reason or "").strip()
    if not reason:
        raise _field_error("reason", _("Say why the mediation failed."), "reason")
    if referral_kind not in Referral.Kind.values:
        raise _field_error(
            "referral_kind", _("Choose where the parties are referred."), "referral_kind"
        )
    referral = Referral.objects.create(
        dispute=dispute,
        kind=referral_kind,
        provider=(provider or "").strip(),
        reason=reason,
        referred_at=now,
    )
    kit.case_close(
        case=case,
        actor=actor,
        status=Status.FAILED,
        comment=_("Mediation failed: %(reason)s Referred to: %(route)s.")
        % {"reason": reason, "route": referral.get_kind_display()},
        now=now,
    )
    return referral


@transaction.atomic
def dispute_close(*, actor, dispute: Dispute, now=None) -> Dispute:
    """Close the dispute: settled after an agreement, or as it ended (failed, refused).
    Refused before either; nothing changes when it is already closed."""
    _require(actor, Action.CLOSE, dispute.case)
    case = _locked(dispute)
    if case.closed_at:
        return dispute
    agreement = _agreement_of(dispute)
    if agreement is not None:
        kit.case_close(
            case=case,
            actor=actor,
            status=Status.SETTLED,
            comment=_("Settled by agreement %(number)s.") % {"number": agreement.number},
            now=now,
        )
    elif case.status in NO_AGREEMENT:
        kit.case_close(case=case, actor=actor, status=case.status, now=now)
    else:
        raise ValidationError(
            _("A dispute closes after an agreement or a failed mediation."), code="not_closable"
        )
    return dispute


# --- After the agreement ------------------------------------------------------------


def _complete_follow_up(follow_up: FollowUp | None, actor, note: str, now) -> None:
    """Done by the actor when it is theirs; otherwise (a colleague visited) cancelled,
    so it does not remind anyone of a visit already made."""
    if follow_up is None:
        return
    if FollowUp.objects.for_user(actor).filter(pk=follow_up.pk).exists():
        followups.followup_complete(follow_up=follow_up, actor=actor, note=note, now=now)
    else:
        followups.followup_cancel(follow_up=follow_up, now=now)


def _reopen_mediation(case: Case, actor, now) -> None:
    reason = _("The agreement was not kept; mediation is reopened.")
    if case.closed_at:
        # Reopening gives the case a new time limit; then it is back in mediation.
        kit.case_reopen(case=case, actor=actor, reason=reason, now=now)
        kit.case_transition(case=case, actor=actor, status=Status.MEDIATING, public=True, now=now)
        return
    kit.case_transition(
        case=case, actor=actor, status=Status.MEDIATING, comment=reason, public=True, now=now
    )
    rules = dispute_rules(case)
    kit.case_set_due(
        case=case,
        due_at=due_after(now, rules["time_limit_days"], working_days=rules["working_days"]),
        actor=actor,
        reason=_("A new time limit for the renewed mediation."),
        public=True,
        now=now,
    )


@transaction.atomic
def return_visit_record(
    *,
    actor,
    visit: ReturnVisit,
    visited_on: date,
    kept: bool,
    satisfaction: int,
    note: str = "",
    reopen_mediation: bool = True,
    now=None,
) -> ReturnVisit:
    """The return visit (回访): was the agreement kept, how satisfied are the parties. Its
    follow-up is done; an agreement not kept reopens mediation unless told otherwise."""
    dispute = visit.dispute
    _require(actor, Action.CHANGE, dispute.case)
    now = now or timezone.now()
    case = _locked(dispute)
    visit = ReturnVisit.objects.select_for_update().get(pk=visit.pk)
    if visit.visited_on is not None:
        raise ValidationError(_("This return visit is already recorded."), code="recorded")
    if visited_on > _today(now):
        raise _field_error("visited_on", _("Choose a day that has come."), "future")
    agreement = _agreement_of(dispute)
    if agreement is not None and visited_on < agreement.effective_on:
        raise _field_error(
            "visited_on",
            _("The visit comes after the agreement took effect (%(date)s).")
            % {"date": agreement.effective_on.isoformat()},
            "before_agreement",
        )
    if kept not in (True, False):
        raise _field_error("kept", _("Say whether the agreement was kept."), "kept")
    if not isinstance(satisfaction, int) or not 1 <= satisfaction <= 5:
        raise _field_error("satisfaction", _("Choose from 1 to 5."), "satisfaction")
    note = (note or "").strip()
    visit.visited_on, visit.visitor, visit.kept = visited_on, actor, kept
    visit.satisfaction, visit.note = satisfaction, note
    visit.save(update_fields=["visited_on", "visitor", "kept", "satisfaction", "note"])
    summary = (
        _("Return visit on %(date)s: the agreement is kept; satisfaction %(score)s/5.")
        if kept
        else _("Return visit on %(date)s: the agreement is not kept; satisfaction %(score)s/5.")
    ) % {"date": visited_on.isoformat(), "score": satisfaction}
    _complete_follow_up(visit.follow_up, actor, note or summary, now)
    kit.case_comment(case=case, actor=actor, comment=summary, now=now)
    if not kept and reopen_mediation and case.status != Status.MEDIATING:
        _reopen_mediation(case, actor, now)
    return visit


def courts_near(community: Area):
    """Courts that may confirm the community's agreements: those whose area contains
    the community (the basic court of the district, the city's court) or lies in it."""
    return organisations_near(community).filter(type=OrganisationType.COURT)


@transaction.atomic
def confirmation_apply(
    *, actor, dispute: Dispute, applied_on: date, court: Organisation, now=None
) -> JudicialConfirmation:
    """The parties applied to a court for judicial confirmation, within the window after
    the agreement took effect (People's Mediation Law Art. 33); the warning is cancelled."""
    _require(actor, Action.CHANGE, dispute.case)
    now = now or timezone.now()
    case = _locked(dispute)
    agreement = _agreement_of(dispute)
    if agreement is None:
        raise ValidationError(_("There is no agreement to confirm."), code="no_agreement")
    if JudicialConfirmation.objects.filter(dispute_id=dispute.pk).exists():
        raise ValidationError(
            _("An application for judicial confirmation is already recorded."), code="applied"
        )
    if court is None or court.type != OrganisationType.COURT:
        raise _field_error("court", _("Choose a court."), "court")
    rules = dispute_rules(case)
    last_day = confirmation_last_day(agreement, rules)
    if applied_on < agreement.effective_on:
        raise _field_error(
            "applied_on",
            _("The application comes after the agreement took effect (%(date)s).")
            % {"date": agreement.effective_on.isoformat()},
            "before_agreement",
        )
    if applied_on > last_day:
        raise _field_error(
            "applied_on",
            _(
                "Judicial confirmation is applied for within %(days)s days of the agreement "
                "taking effect; the last day was %(date)s."
            )
            % {"days": rules["confirmation_window_days"], "date": last_day.isoformat()},
            "window_closed",
        )
    if applied_on > _today(now):
        raise _field_error("applied_on", _("Record the application once it is made."), "future")
    confirmation = JudicialConfirmation.objects.create(
        dispute=dispute, applied_on=applied_on, court=court
    )
    for warning in _confirmation_warnings(dispute):
        followups.followup_cancel(follow_up=warning, now=now)
    kit.case_comment(
        case=case,
        actor=actor,
        comment=_("Judicial confirmation applied for at %(court)s on %(date)s.")
        % {"court": court, "date": applied_on.isoformat()},
        public=True,
        now=now,
    )
    return confirmation


@transaction.atomic
def confirmation_result(
    *, actor, confirmation: JudicialConfirmation, result: str, result_on: date, now=None
) -> JudicialConfirmation:
    """The court's decision on the application."""
    case = confirmation.dispute.case
    _require(actor, Action.CHANGE, case)
    now = now or timezone.now()
    decided = (JudicialConfirmation.Result.CONFIRMED, JudicialConfirmation.Result.REJECTED)
    if result not in decided:
        raise _field_error("result", _("Choose confirmed or not confirmed."), "result")
    if result_on < confirmation.applied_on:
        raise _field_error(
            "result_on",
            _("The court decides after the application (%(date)s).")
            % {"date": confirmation.applied_on.isoformat()},
            "before_application",
        )
    if result_on > _today(now):
        raise _field_error("result_on", _("Choose a day that has come."), "future")
    if confirmation.result == result and confirmation.result_on == result_on:
        return confirmation
    confirmation.result, confirmation.result_on = result, result_on
    confirmation.save(update_fields=["result", "result_on"])
    if result == JudicialConfirmation.Result.CONFIRMED:
        comment = _("The court confirmed the agreement on %(date)s.")
    else:
        comment = _(
            "The court did not confirm the agreement on %(date)s; the parties may mediate "
            "again or go to court."
        )
    kit.case_comment(
        case=case,
        actor=actor,
        comment=comment % {"date": result_on.isoformat()},
        public=True,
        now=now,
    )
    return confirmation


# --- Time limit ---------------------------------------------------------------------


@transaction.atomic
def dispute_extend(
    *, actor, dispute: Dispute, new_due_at: datetime, consent: str, now=None
) -> Extension:
    """A later time limit, only with the parties' consent recorded; the case's due date
    and its reminder move with it (a public timeline entry)."""
    _require(actor, Action.CHANGE, dispute.case)
    now = now or timezone.now()
    case = _locked(dispute)
    if case.closed_at:
        raise _closed_error()
    if case.due_at is None or case.status not in PANEL_STATUSES:
        raise ValidationError(
            _("The mediation's time limit runs only until the mediation has an outcome."),
            code="no_time_limit",
        )
    consent = (consent or "").strip()
    if not consent:
        raise _field_error(
            "consent",
            _("Record how the parties consented to the extension."),
            "consent",
        )
    if timezone.is_naive(new_due_at):
        raise ValueError("new_due_at must be aware")
    if new_due_at <= case.due_at or new_due_at <= now:
        raise _field_error(
            "new_due_at",
            _("Choose a time later than the current time limit (%(due)s).")
            % {"due": _when(case.due_at)},
            "not_later",
        )
    extension = Extension.objects.create(
        dispute=dispute,
        new_due_at=new_due_at,
        consent=consent,
        recorded_by=actor,
        recorded_at=now,
    )
    kit.case_set_due(
        case=case,
        due_at=new_due_at,
        actor=actor,
        reason=_("Time limit extended to %(due)s with the parties' consent: %(consent)s")
        % {"due": _when(new_due_at), "consent": consent},
        public=True,
        now=now,
    )
    return extension


# --- Referrals ----------------------------------------------------------------------


@transaction.atomic
def referral_add(
    *,
    actor,
    dispute: Dispute,
    kind: str,
    party: Party | None = None,
    provider: str = "",
    reason: str = "",
    now=None,
) -> Referral:
    """A referral from the clinic: legal aid (with why the party qualifies),
    counselling, or another route."""
    case = dispute.case
    _require(actor, Action.CHANGE, case)
    now = now or timezone.now()
    if kind not in Referral.Kind.values:
        raise _field_error("kind", _("Choose where to refer."), "kind")
    if party is not None and party.dispute_id != dispute.pk:
        raise _field_error("party", _("Choose a party of this dispute."), "party_scope")
    reason = (reason or "").strip()
    if kind == Referral.Kind.LEGAL_AID and not reason:
        raise _field_error(
            "reason",
            _(
                "Say why the party qualifies for legal aid: economic hardship (Legal Aid Law "
                "Art. 31) or, without a means test, e.g. domestic violence (Art. 32)."
            ),
            "legal_aid_reason",
        )
    referral = Referral.objects.create(
        dispute=dispute,
        kind=kind,
        party=party,
        provider=(provider or "").strip(),
        reason=reason,
        referred_at=now,
    )
    kit.case_comment(
        case=case,
        actor=actor,
        comment=_("Referred to %(route)s.") % {"route": referral.get_kind_display()},
        now=now,
    )
    return referral


@transaction.atomic
def referral_outcome(*, actor, referral: Referral, outcome: str, now=None) -> Referral:
    """What came of a referral."""
    case = referral.dispute.case
    _require(actor, Action.CHANGE, case)
    outcome = (outcome or "").strip()
    if not outcome:
        raise _field_error("outcome", _("Write the outcome."), "empty")
    if referral.outcome == outcome:
        return referral
    referral.outcome = outcome
    referral.save(update_fields=["outcome"])
    kit.case_comment(
        case=case,
        actor=actor,
        comment=_("Outcome of the referral to %(route)s: %(outcome)s")
        % {"route": referral.get_kind_display(), "outcome": outcome},
        now=now,
    )
    return referral


__all__ = [
    "agreement_number",
    "agreement_record",
    "committee_abbreviation",
    "confirmation_apply",
    "confirmation_last_day",
    "confirmation_result",
    "courts_near",
    "dispute_close",
    "dispute_extend",
    "dispute_rules",
    "mediation_fail",
    "mediator_add",
    "mediators_for",
    "panel_account_candidates",
    "panel_confirm",
    "panel_suggest",
    "referral_add",
    "referral_outcome",
    "return_visit_record",
    "session_record",
    "session_schedule",
]
