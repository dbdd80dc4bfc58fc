"""Medical-care integration (医养结合): agreements between care and medical institutions
with a renewal reminder, family-doctor teams, their contracts with elderly residents and
the visits that keep one visit follow-up per contract scheduled."""

from __future__ import annotations

from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from housing.models import Person
from portal.errors import field_error
from portal.models import Area, FollowUp, Membership, Organisation
from portal.roles import Action, AreaLevel, OrganisationType, Programme, Role
from portal.scope import can, may_at, reach, under_paths_q
from portal.services import followups
from portal.workdays import reminder_at

from ..models import AgreementService, CareAgreement, DoctorContract, DoctorTeam, DoctorVisit
from .facilities import (
    normalise_service_phone,
    organisations_near,
    validate_service_phone,
)

AGREEMENT = "eldercare.agreement"
TEAM = "eldercare.team"
CONTRACT = "eldercare.contract"

RENEWAL_NOTICE_DAYS = 60
ELDERLY_AGE = 60
MAX_VISIT_INTERVAL_DAYS = 366


def renewal_recipients(area: Area, *, actor=None) -> dict:
    """Renewals are the eldercare office's business: its officers at `area` (officers of
    other programmes there are not asked), or whoever recorded the agreement."""
    officers = Membership.objects.active().filter(
        role=Role.PROGRAMME_OFFICER, programme=Programme.ELDERCARE, area=area
    )
    if officers.exists() or actor is None:
        return {"role": Role.PROGRAMME_OFFICER, "area": area, "programme": Programme.ELDERCARE}
    return {"assignee": actor}


def visit_recipients(team: DoctorTeam, *, actor=None) -> dict:
    """Visits are the doctors' to make: the members of the team's medical institution
    when it has accounts, otherwise as for renewals."""
    if Membership.objects.active().filter(organisation_id=team.medical_institution_id).exists():
        return {"role": Role.ORGANISATION_MEMBER, "organisation": team.medical_institution}
    return renewal_recipients(team.area, actor=actor)


def institutions(user, kind: str, organisation_type: str):
    """Institutions of one type a user may name on an agreement or team they create."""
    r = reach(user, kind, Action.CREATE)
    if r.everything:
        return Organisation.objects.filter(type=organisation_type).order_by("name")
    return organisations_near(r.area_paths, [organisation_type]).order_by("name")


def creatable_areas(user, kind: str):
    """The areas (county down to community) where `user` may create rows of `kind`."""
    r = reach(user, kind, Action.CREATE)
    areas = Area.objects.filter(
        level__in=[AreaLevel.DISTRICT, AreaLevel.SUBDISTRICT, AreaLevel.COMMUNITY]
    ).order_by("path")
    return areas if r.everything else areas.filter(under_paths_q(r.area_paths))


def _serves(organisation: Organisation, area: Area) -> bool:
    path, own = area.path, organisation.area.path
    return own.startswith(path) or path.startswith(own)


# --- Agreements -----------------------------------------------------------------


def agreement_state(agreement: CareAgreement, *, today: date) -> str:
    """ "expired", "renewal_due" (within the notice period) or "in_force"."""
    if agreement.expires_on < today:
        return "expired"
    if agreement.expires_on - timedelta(days=RENEWAL_NOTICE_DAYS) <= today:
        return "renewal_due"
    return "in_force"


def _clean_agreement(
    *, area, care_institution, medical_institution, services, signed_on, expires_on
) -> list[str]:
    errors = {}
    if care_institution.type != OrganisationType.CARE_INSTITUTION or not _serves(
        care_institution, area
    ):
        errors["care_institution"] = ValidationError(
            _("Choose a care institution of this area."), code="invalid_institution"
        )
    if medical_institution.type != OrganisationType.MEDICAL_INSTITUTION or not _serves(
        medical_institution, area
    ):
        errors["medical_institution"] = ValidationError(
            _("Choose a medical institution serving this area."), code="invalid_institution"
        )
    services = list(dict.fromkeys(services or []))
    if not services:
        errors["services"] = ValidationError(
            _("Choose at least one service the agreement covers."), code="no_services"
        )
    elif any(s not in AgreementService.values for s in services):
        errors["services"] = ValidationError(_("Choose services from the list."), code="invalid")
    if expires_on <= signed_on:
        errors["expires_on"] = ValidationError(
            _("The agreement must expire after the day it was signed."),
            code="expires_before_signed",
        )
    if errors:
        raise ValidationError(errors)
    return services


def _schedule_renewal(agreement: CareAgreement, *, actor, today: date) -> FollowUp | None:
    """A reminder 60 days before expiry; none for an agreement already expired."""
    if agreement.expires_on < today:
        return None
    reason = _("Medical-care agreement %(agreement)s expires on %(date)s: renew it") % {
        "agreement": agreement,
        "date": agreement.expires_on.isoformat(),
    }
    return followups.followup_schedule(
        reason=reason,
        due_at=reminder_at(agreement.expires_on - timedelta(days=RENEWAL_NOTICE_DAYS)),
        purpose=FollowUp.Purpose.DUE_REMINDER,
        created_by=actor,
        **renewal_recipients(agreement.area, actor=actor),
    )


@transaction.atomic
def agreement_create(
    *,
    actor,
    area: Area,
    care_institution: Organisation,
    medical_institution: Organisation,
    services: list[str],
    signed_on: date,
    expires_on: date,
    note: str = "",
    now=None,
) -> CareAgreement:
    """Record an agreement and schedule its renewal reminder."""
    if not may_at(actor, Action.CREATE, AGREEMENT, area):
        raise PermissionDenied
    services = _clean_agreement(
        area=area,
        care_institution=care_institution,
        medical_institution=medical_institution,
        services=services,
        signed_on=signed_on,
        expires_on=expires_on,
    )
    agreement = CareAgreement.objects.create(
        area=area,
        care_institution=care_institution,
        medical_institution=medical_institution,
        services=services,
        signed_on=signed_on,
        expires_on=expires_on,
        note=(note or "").strip(),
    )
    agreement.renewal_follow_up = _schedule_renewal(
        agreement, actor=actor, today=timezone.localdate(now)
    )
    if agreement.renewal_follow_up:
        agreement.save(update_fields=["renewal_follow_up"])
    return agreement


@transaction.atomic
def agreement_update(
    *,
    actor,
    agreement: CareAgreement,
    care_institution: Organisation,
    medical_institution: Organisation,
    services: list[str],
    signed_on: date,
    expires_on: date,
    note: str = "",
    now=None,
) -> CareAgreement:
    """Edit an agreement; a new expiry date moves its renewal reminder."""
    agreement = (
        CareAgreement.objects.select_for_update(of=("self",))
        .select_related("area", "renewal_follow_up")
        .get(pk=agreement.pk)
    )
    if not can(actor, Action.CHANGE, agreement):
        raise PermissionDenied
    services = _clean_agreement(
        area=agreement.area,
        care_institution=care_institution,
        medical_institution=medical_institution,
        services=services,
        signed_on=signed_on,
        expires_on=expires_on,
    )
    values = {
        "care_institution": care_institution,
        "medical_institution": medical_institution,
        "services": services,
        "signed_on": signed_on,
        "expires_on": expires_on,
        "note": (note or "").strip(),
    }
    changed = [name for name, value in values.items() if getattr(agreement, name) != value]
    if not changed:
        return agreement
    moved = "expires_on" in changed
    for name in changed:
        setattr(agreement, name, values[name])
    if moved:
        now = now or timezone.now()
        followups.followups_withdraw(ids=[agreement.renewal_follow_up_id], now=now)
        agreement.renewal_follow_up = _schedule_renewal(
            agreement, actor=actor, today=timezone.localdate(now)
        )
        changed.append("renewal_follow_up")
    agreement.save(update_fields=changed)
    return agreement


# --- Family-doctor teams and contracts --------------------------------------------


@transaction.atomic
def team_create(
    *,
    actor,
    area: Area,
    name: str,
    medical_institution: Organisation,
    members: str,
    phone: str = "",
) -> DoctorTeam:
    """Register a family-doctor team of a medical institution serving `area`."""
    if not may_at(actor, Action.CREATE, TEAM, area):
        raise PermissionDenied
    errors = {}
    name = (name or "").strip()
    members = "\n".join(line.strip() for line in (members or "").splitlines() if line.strip())
    phone = normalise_service_phone(phone)
    if not name:
        errors["name"] = ValidationError(_("Give the team a name."), code="required")
    if not members:
        errors["members"] = ValidationError(
            _("List the team's members, one per line."), code="required"
        )
    if medical_institution.type != OrganisationType.MEDICAL_INSTITUTION or not _serves(
        medical_institution, area
    ):
        errors["medical_institution"] = ValidationError(
            _("Choose a medical institution serving this area."), code="invalid_institution"
        )
    try:
        validate_service_phone(phone)
    except ValidationError as error:
        errors.update(error.error_dict)
    if errors:
        raise ValidationError(errors)
    return DoctorTeam.objects.create(
        area=area, name=name, medical_institution=medical_institution, members=members, phone=phone
    )


def _age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _schedule_visit(contract: DoctorContract, *, after: date, actor) -> FollowUp:
    due_on = after + timedelta(days=contract.visit_every_days)
    reason = _("Family-doctor visit due: %(team)s, contract %(contract)s") % {
        "team": contract.team.name,
        "contract": contract.pk,
    }
    return followups.followup_schedule(
        reason=reason,
        due_at=reminder_at(due_on),
        purpose=FollowUp.Purpose.DUE_REMINDER,
        created_by=actor,
        **visit_recipients(contract.team, actor=actor),
    )


@transaction.atomic
def contract_sign(
    *,
    actor,
    team: DoctorTeam,
    person: Person,
    signed_on: date,
    visit_every_days: int = 30,
    now=None,
) -> DoctorContract:
    """An elderly resident signs with a team; the first visit falls due
    `visit_every_days` after signing."""
    today = timezone.localdate(now)
    if not (
        DoctorTeam.objects.visible_to(actor).filter(pk=team.pk).exists()
        and Person.objects.visible_to(actor).filter(pk=person.pk).exists()
        and may_at(actor, Action.CREATE, CONTRACT, person.community)
    ):
        raise PermissionDenied
    errors = {}
    if signed_on > today:
        errors["signed_on"] = ValidationError(
            _("The signing day cannot be in the future."), code="future"
        )
    if not visit_every_days or not 1 <= visit_every_days <= MAX_VISIT_INTERVAL_DAYS:
        errors["visit_every_days"] = ValidationError(
            _("Visits are due every 1 to 366 days."), code="out_of_range"
        )
    if person.birth_date and _age_on(person.birth_date, signed_on) < ELDERLY_AGE:
        errors["person"] = ValidationError(
            _("Family-doctor contracts here are for residents aged 60 or over."),
            code="not_elderly",
        )
    if errors:
        raise ValidationError(errors)
    # The team row lock serialises two signings of the same resident.
    DoctorTeam.objects.select_for_update().filter(pk=team.pk).first()
    if DoctorContract.objects.filter(team=team, person=person, ended_on__isnull=True).exists():
        raise field_error(
            "person", _("This resident already has a contract with this team."), "exists"
        )
    try:
        with transaction.atomic():
            contract = DoctorContract.objects.create(
                team=team, person=person, signed_on=signed_on, visit_every_days=visit_every_days
            )
    except IntegrityError as error:
        raise field_error(
            "person", _("This resident already has a contract with this team."), "exists"
        ) from error
    contract.next_visit_follow_up = _schedule_visit(contract, after=signed_on, actor=actor)
    contract.save(update_fields=["next_visit_follow_up"])
    return contract


def _locked_live_contract(actor, contract: DoctorContract) -> DoctorContract:
    contract = (
        DoctorContract.objects.select_for_update(of=("self",))
        .select_related("team__area")
        .get(pk=contract.pk)
    )
    if not can(actor, Action.CHANGE, contract):
        raise PermissionDenied
    if contract.ended_on:
        raise ValidationError(_("This contract has ended."), code="ended")
    return contract


@transaction.atomic
def visit_record(
    *, actor, contract: DoctorContract, visited_on: date, note: str = "", now=None
) -> DoctorVisit:
    """A visit done: it completes the scheduled visit follow-up and schedules the next,
    due `visit_every_days` after the latest visit."""
    now = now or timezone.now()
    contract = _locked_live_contract(actor, contract)
    if visited_on > timezone.localdate(now):
        raise field_error("visited_on", _("The visit cannot be in the future."), "future")
    if visited_on < contract.signed_on:
        raise field_error(
            "visited_on", _("The visit cannot be before the contract was signed."), "before_signing"
        )
    visit = DoctorVisit.objects.create(
        contract=contract, visited_on=visited_on, note=(note or "").strip(), recorded_by=actor
    )
    latest = contract.visits.order_by("-visited_on").values_list("visited_on", flat=True).first()
    followups.followups_settle(
        ids=[contract.next_visit_follow_up_id],
        note=_("Visited on %(day)s") % {"day": visited_on.isoformat()},
        now=now,
    )
    contract.next_visit_follow_up = _schedule_visit(contract, after=latest, actor=actor)
    contract.save(update_fields=["next_visit_follow_up"])
    return visit


@transaction.atomic
def contract_end(*, actor, contract: DoctorContract, ended_on: date, now=None) -> DoctorContract:
    """End a contract; its scheduled visit is cancelled."""
    now = now or timezone.now()
    contract = _locked_live_contract(actor, contract)
    if ended_on > timezone.localdate(now):
        raise field_error("ended_on", _("The end cannot be in the future."), "future")
    if ended_on < contract.signed_on:
        raise field_error(
            "ended_on", _("The end cannot be before the contract was signed."), "before_signing"
        )
    followups.followups_withdraw(ids=[contract.next_visit_follow_up_id], now=now)
    contract.ended_on = ended_on
    contract.save(update_fields=["ended_on"])
    return contract
