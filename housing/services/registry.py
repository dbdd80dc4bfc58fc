"""Writes on the estate registry: estates, buildings, households, people, binding, reveal."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import crypto
from portal.models import PersonalDataAccess
from portal.personal import (
    id_birth_date,
    id_gender,
    mask_id_number,
    normalise_id_number,
    normalise_phone,
    validate_id_number,
    validate_mobile,
)
from portal.roles import Action, Role
from portal.scope import active_memberships, may_at
from portal.scope import require as _require

from ..models import (
    Building,
    Estate,
    Household,
    HouseholdClaim,
    Person,
    Relation,
    Residence,
    Unit,
)


@transaction.atomic
def estate_create(*, actor, community, name: str, **fields) -> Estate:
    """A new estate in a community the actor may change."""
    if not may_at(actor, Action.CREATE, "housing.estate", community):
        raise PermissionDenied
    return Estate.objects.create(community=community, name=name.strip(), **fields)


def building_ensure(*, estate: Estate, number: str, floors: int, **fields) -> Building:
    building, _created = Building.objects.get_or_create(
        estate=estate, number=number, defaults={"floors": floors, **fields}
    )
    return building


def unit_ensure(*, building: Building, number: str, floors: int | None = None) -> Unit:
    unit, _created = Unit.objects.get_or_create(
        building=building, number=number, defaults={"floors": floors or building.floors}
    )
    return unit


def household_ensure(
    *, unit: Unit, room_number: str, floor: int, area_m2: Decimal, occupancy: str = "owner"
) -> Household:
    household, _created = Household.objects.get_or_create(
        unit=unit,
        room_number=room_number,
        defaults={"floor": floor, "area_m2": area_m2, "occupancy": occupancy},
    )
    return household


def id_fields(id_number: str) -> dict:
    """What a Person stores for an ID number: ciphertext, keyed hash, mask, birth, gender."""
    if not id_number:
        return {}
    number = normalise_id_number(id_number)
    validate_id_number(number)
    return {
        "id_number_encrypted": crypto.encrypt(number),
        "id_number_hash": crypto.keyed_hash(number),
        "id_number_masked": mask_id_number(number),
        "birth_date": id_birth_date(number),
        "gender": id_gender(number),
    }


def find_person_by_id(id_number: str) -> Person | None:
    number = normalise_id_number(id_number)
    return Person.objects.filter(id_number_hash=crypto.keyed_hash(number)).first()


def _check_sensitive_reasons(*, ethnicity, care_tags, ethnicity_reason, care_tags_reason):
    """Sensitive personal information (PIPL Art. 28) is recorded only with its purpose."""
    errors = {}
    if (ethnicity or "").strip() and not (ethnicity_reason or "").strip():
        errors["ethnicity_reason"] = _("Say why ethnicity is recorded.")
    if care_tags and not (care_tags_reason or "").strip():
        errors["care_tags_reason"] = _("Say why care needs are recorded.")
    if errors:
        raise ValidationError(errors, code="reason_required")


@transaction.atomic
def person_create(
    *,
    actor,
    community,
    name: str,
    id_number: str = "",
    phone: str = "",
    ethnicity: str = "",
    care_tags: list[str] | None = None,
    ethnicity_reason: str = "",
    care_tags_reason: str = "",
    household: Household | None = None,
    relation: str = Relation.OWNER,
    check_scope: bool = True,
) -> Person:
    """A resident record; an ID number already on file is refused (one person, one record)."""
    if check_scope and not may_at(actor, Action.CREATE, "housing.person", community):
        raise PermissionDenied
    _check_sensitive_reasons(
        ethnicity=ethnicity,
        care_tags=care_tags,
        ethnicity_reason=ethnicity_reason,
        care_tags_reason=care_tags_reason,
    )
    fields = id_fields(id_number)
    if phone:
        phone = normalise_phone(phone)
        validate_mobile(phone)
    try:
        with transaction.atomic():
            person = Person.objects.create(
                community=community,
                name=name.strip(),
                phone=phone,
                ethnicity=ethnicity.strip(),
                care_tags=sorted(set(care_tags or [])),
                ethnicity_reason=ethnicity_reason.strip() if ethnicity.strip() else "",
                care_tags_reason=care_tags_reason.strip() if care_tags else "",
                **fields,
            )
    except IntegrityError as error:
        raise ValidationError(
            {"id_number": _("A person with this ID card number is already on file.")},
            code="duplicate_person",
        ) from error
    if household is not None:
        Residence.objects.get_or_create(
            person=person, household=household, defaults={"relation": relation}
        )
    return person


@transaction.atomic
def person_link_user(*, actor, person: Person, user) -> Person:
    """Link a resident account to its person record: it then sees that person's matters."""
    _require(actor, Action.CHANGE, person)
    if Person.objects.filter(user=user).exclude(pk=person.pk).exists():
        raise ValidationError(
            _("This account is already linked to another person."), code="linked_elsewhere"
        )
    person.user = user
    person.save(update_fields=["user"])
    follow_person_cases(person)
    return person


@transaction.atomic
def person_create_with_account(*, actor, community, name: str, phone: str, **person_fields):
    """A resident record and its account together: (person, user, one-time password).

    The phone is the login; the account is a resident of the person's community and
    must change the printed password at its first login.
    """
    from portal.services.accounts import account_create

    if not phone:
        raise ValidationError(
            {"phone": _("An account needs a mobile phone number.")}, code="phone_required"
        )
    person = person_create(
        actor=actor, community=community, name=name, phone=phone, **person_fields
    )
    user, password = account_create(
        actor=actor, phone=phone, display_name=name, role=Role.RESIDENT, area=community
    )
    person.user = user
    person.save(update_fields=["user"])
    return person, user, password


def follow_person_cases(person: Person) -> None:
    """The linked account becomes a party to the cases its person is in (estate issues
    it reported, and whatever other apps register), so the resident sees them."""
    from portal.models import CaseParty
    from portal.registry import registry

    if person.user_id is None:
        return
    case_ids = {case_id for finder in registry.person_cases.values() for case_id in finder(person)}
    for case_id in case_ids:
        CaseParty.objects.get_or_create(case_id=case_id, user_id=person.user_id)


def reported_issues(person: Person):
    """Cases of the estate issues `person` reported (registered as a person-cases finder)."""
    from ..models import EstateIssue

    return EstateIssue.objects.filter(reporter=person).values_list("case_id", flat=True)


def person_reveal_id(*, actor, person: Person, reason: str) -> str:
    """The full ID number, for the owning community's staff, with a recorded reason."""
    if not reason.strip():
        raise ValidationError({"reason": _("Say why you need the full number.")}, code="reason")
    if not may_see_sensitive(actor, person, reveal=True):
        raise PermissionDenied
    PersonalDataAccess.objects.create(
        user=actor,
        kind=PersonalDataAccess.Kind.REVEAL,
        target=f"housing.person:{person.pk}",
        field="id_number",
        reason=reason.strip(),
    )
    return crypto.decrypt(person.id_number_encrypted)


def may_see_sensitive(user, person: Person, *, reveal: bool = False) -> bool:
    """Ethnicity and care needs: the owning community's staff (and superusers); care needs
    also eldercare officers whose area covers the person. Reveal: community staff only."""
    return may_see_sensitive_at(user, person.community, reveal=reveal)


def may_see_sensitive_at(user, community, *, reveal: bool = False) -> bool:
    """The same rule for any sensitive fact held about a resident of `community`
    (eligibility for adaptation, the circumstances an errand serves)."""
    if user.is_superuser:
        return True
    for m in active_memberships(user):
        if m.area is None or not community.path.startswith(m.area.path):
            continue
        if m.role in (Role.COMMUNITY_STAFF, Role.PARTY_SECRETARY) and m.area.level == "community":
            return True
        if not reveal and m.role == Role.PROGRAMME_OFFICER and m.programme == "eldercare":
            return True
    return False


def record_sensitive_opening(
    *, user, person: Person | None = None, target: str = "", field: str = "care_tags"
) -> None:
    """Opening sensitive data is logged, as the law on sensitive data asks: a record's
    care needs, or another app's sensitive `field` of `target` ("app.model:pk")."""
    PersonalDataAccess.objects.create(
        user=user,
        kind=PersonalDataAccess.Kind.SENSITIVE,
        target=target or f"housing.person:{person.pk}",
        field=field,
    )


# --- Household binding -------------------------------------------------------------


@transaction.atomic
def household_claim(
    *, user, household: Household, relation: str, owner_name: str, owner_id_last4: str
) -> HouseholdClaim:
    """A resident asks to be bound to a household, with the owner's name and ID tail."""
    if HouseholdClaim.objects.filter(
        user=user, household=household, state=HouseholdClaim.State.PENDING
    ).exists():
        raise ValidationError(
            _("You have already asked to be bound to this household."), code="pending"
        )
    return HouseholdClaim.objects.create(
        user=user,
        household=household,
        relation=relation,
        owner_name=owner_name.strip(),
        owner_id_last4=owner_id_last4.strip().upper(),
    )


def claim_matches_owner(claim: HouseholdClaim) -> Person | None:
    """The owner on file whose name and last four ID characters match the claim."""
    owners = Person.objects.filter(
        residences__household=claim.household,
        residences__relation__in=[Relation.OWNER, Relation.CO_OWNER],
        name=claim.owner_name,
    )
    return next((p for p in owners if p.id_number_masked.endswith(claim.owner_id_last4)), None)


@transaction.atomic
def household_claim_decide(*, actor, claim: HouseholdClaim, approve: bool, note: str = ""):
    """Community staff approve or reject a binding request; approval of an owner claim
    links the account to the matching owner record."""
    claim = HouseholdClaim.objects.select_for_update().get(pk=claim.pk)
    _require(actor, Action.CHANGE, claim.household)
    if claim.state != HouseholdClaim.State.PENDING:
        return claim
    owner = claim_matches_owner(claim)
    if approve and claim.relation == Relation.OWNER and owner is None:
        raise ValidationError(
            _("No owner on file matches this name and ID ending; check the household record."),
            code="no_match",
        )
    claim.state = HouseholdClaim.State.APPROVED if approve else HouseholdClaim.State.REJECTED
    claim.decided_by, claim.decided_at, claim.decision_note = actor, timezone.now(), note
    claim.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
    if approve and owner is not None and claim.relation == Relation.OWNER and owner.user_id is None:
        owner.user = claim.user
        owner.save(update_fields=["user"])
        follow_person_cases(owner)
    return claim


def is_verified_owner(user, household: Household) -> bool:
    """Only a verified owner may act for a household (e.g. vote on an elevator)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return (
        HouseholdClaim.objects.filter(
            user=user,
            household=household,
            relation=Relation.OWNER,
            state=HouseholdClaim.State.APPROVED,
        ).exists()
        or Residence.objects.filter(
            person__user=user, household=household, relation__in=[Relation.OWNER, Relation.CO_OWNER]
        ).exists()
    )
