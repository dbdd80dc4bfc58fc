"""Writes on consent: ballots cast online or recorded from paper, and closing the vote;
and `project_tally`, the live count under every consent rule in force."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from housing.models import Household, HouseholdClaim, Relation, Residence
from housing.services.registry import is_verified_owner
from portal.roles import Action
from portal.rules import rules_for
from portal.scope import can
from portal.services.attachments import attachment_add
from portal.services.cases import case_comment

from .. import consent
from ..models import Ballot, Project, Stage

CONSENT_RULES = "elevators.consent"
OWNER_RELATIONS = (Relation.OWNER, Relation.CO_OWNER)


@dataclass(frozen=True)
class LiveConsent:
    """The count now: the tally, every configured rule's result and which governs."""

    tally: consent.Tally
    payload: dict
    results: list  # [(rule, Result)]
    households: list  # the unit's households, by floor and room
    ballots: dict  # household_id -> choice

    @property
    def governing(self) -> int:
        return self.payload.get("governing", 0)

    @property
    def governing_result(self) -> consent.Result:
        return self.results[self.governing][1]


def vote_is_closed(project: Project, now=None) -> bool:
    now = now or timezone.now()
    return project.frozen_result is not None or (
        project.vote_closed_at is not None and project.vote_closed_at <= now
    )


def _require_open(project: Project, now) -> None:
    if vote_is_closed(project, now):
        raise ValidationError(
            _("The vote is closed; ballots can no longer be cast or changed."), code="closed"
        )
    if project.stage != Stage.VOTING:
        raise ValidationError(_("The project is not in its voting stage."), code="not_voting")


def _require_household_of(project: Project, household: Household) -> None:
    if household.unit_id != project.unit_id:
        raise ValidationError(
            {"household": _("This household is not in the project's unit.")}, code="other_unit"
        )


def _check_choice(choice: str) -> None:
    if choice not in Ballot.Choice.values:
        raise ValidationError({"choice": _("Choose agree, disagree or abstain.")}, code="choice")


def owner_households(user, project: Project):
    """The households of the project's unit `user` is the verified owner of (one query);
    the same test as `housing.services.registry.is_verified_owner`."""
    if not getattr(user, "is_authenticated", False):
        return Household.objects.none()
    return (
        Household.objects.filter(unit_id=project.unit_id)
        .filter(
            Q(
                claims__user=user,
                claims__relation=Relation.OWNER,
                claims__state=HouseholdClaim.State.APPROVED,
            )
            | Q(residences__person__user=user, residences__relation__in=OWNER_RELATIONS)
        )
        .distinct()
        .order_by("floor", "room_number")
    )


def _save_ballot(*, project: Project, household: Household, now, **values) -> Ballot:
    """Create or change the household's one ballot while the vote is open. The project
    row is locked first, so casts and the close are serialised; a concurrent first insert
    that still collides on the unique constraint is retried as an update."""
    for attempt in range(2):
        try:
            with transaction.atomic():
                locked = Project.objects.select_for_update().get(pk=project.pk)
                _require_open(locked, now)
                current = Ballot.objects.filter(project=locked, household=household).first()
                if (
                    current is not None
                    and not values["on_paper"]
                    and not current.on_paper
                    and current.choice == values["choice"]
                    and current.cast_by_id == values["cast_by"].pk
                ):
                    return current
                ballot, _created = Ballot.objects.update_or_create(
                    project=locked, household=household, defaults={**values, "cast_at": now}
                )
                return ballot
        except IntegrityError:
            if attempt:
                raise
    raise AssertionError("unreachable")


@transaction.atomic
def ballot_cast(*, user, project: Project, household: Household, choice: str, now=None) -> Ballot:
    """A verified owner casts or changes their household's ballot online, while the
    vote is open; an unchanged choice changes nothing."""
    now = now or timezone.now()
    _check_choice(choice)
    _require_household_of(project, household)
    if not is_verified_owner(user, household):
        raise PermissionDenied
    return _save_ballot(
        project=project,
        household=household,
        now=now,
        choice=choice,
        cast_by=user,
        on_paper=False,
        evidence=None,
    )


@transaction.atomic
def ballot_record_paper(
    *, actor, project: Project, household: Household, choice: str, scan, now=None
) -> Ballot:
    """Staff record a household's signed paper form; the scan is kept as evidence."""
    now = now or timezone.now()
    if not can(actor, Action.CHANGE, project):
        raise PermissionDenied
    _check_choice(choice)
    _require_household_of(project, household)
    if scan is None:
        raise ValidationError(
            {"scan": _("Attach the scan of the signed paper form.")}, code="no_scan"
        )
    # Refuse before storing a file for nothing; checked again under the lock.
    _require_open(project, now)
    try:
        evidence = attachment_add(case=project.case, actor=actor, upload=scan, is_public=False)
    except ValidationError as error:
        messages = error.message_dict.get("file") if hasattr(error, "error_dict") else None
        if messages is None:
            raise
        raise ValidationError({"scan": messages}, code="scan") from error
    return _save_ballot(
        project=project,
        household=household,
        now=now,
        choice=choice,
        cast_by=actor,
        on_paper=True,
        evidence=evidence,
    )


def _consent_rows(project: Project):
    """(household_id, owner_key, area) for every household of the unit, and the
    households themselves: two queries whatever their number. The owner key is the
    person on record as owner (else co-owner) with the lowest id; a household with no
    owner on record is an owner of its own."""
    households = list(
        Household.objects.filter(unit_id=project.unit_id).order_by("floor", "room_number")
    )
    owners: dict[int, tuple] = {}
    residences = Residence.objects.filter(
        household__unit_id=project.unit_id, relation__in=OWNER_RELATIONS
    ).values_list("household_id", "relation", "person_id")
    for household_id, relation, person_id in residences:
        rank = (relation != Relation.OWNER, person_id)
        if household_id not in owners or rank < owners[household_id]:
            owners[household_id] = rank
    rows = [
        (
            h.pk,
            f"person:{owners[h.pk][1]}" if h.pk in owners else f"household:{h.pk}",
            h.area_m2,
        )
        for h in households
    ]
    return rows, households


def live_consent(project: Project, *, now=None) -> LiveConsent:
    """The count now, under every consent rule in force for the project's community,
    in a fixed number of queries."""
    rows, households = _consent_rows(project)
    ballots = dict(Ballot.objects.filter(project=project).values_list("household_id", "choice"))
    counted = consent.tally(rows, ballots)
    payload, _rule_set = rules_for(CONSENT_RULES, project.case.community, now)
    return LiveConsent(
        tally=counted,
        payload=payload,
        results=consent.evaluate_all(payload, counted),
        households=households,
        ballots=ballots,
    )


def project_tally(project: Project) -> list[tuple[dict, consent.Result]]:
    """Every configured consent rule with its result on the ballots now."""
    return live_consent(project).results


@transaction.atomic
def vote_close(*, actor, project: Project, now=None) -> Project:
    """Close the vote: freeze the tally and every rule's result under the rule version in
    force, with a public timeline entry. Nothing about ballots changes afterwards."""
    now = now or timezone.now()
    if not can(actor, Action.CHANGE, project):
        raise PermissionDenied
    locked = (
        Project.objects.select_for_update().select_related("case__community").get(pk=project.pk)
    )
    if vote_is_closed(locked, now):
        raise ValidationError(_("The vote is already closed."), code="closed")
    if locked.stage != Stage.VOTING:
        raise ValidationError(_("The project is not in its voting stage."), code="not_voting")
    payload, rule_set = rules_for(CONSENT_RULES, locked.case.community, now)
    rows, _households = _consent_rows(locked)
    ballots = dict(Ballot.objects.filter(project=locked).values_list("household_id", "choice"))
    counted = consent.tally(rows, ballots)
    results = consent.evaluate_all(payload, counted)
    governing = payload.get("governing", 0)
    locked.vote_closed_at = now
    locked.consent_rule_set = rule_set
    locked.frozen_result = {
        "closed_at": now.isoformat(),
        "rules": payload["rules"],
        "governing": governing,
        "rule_set_version": rule_set.version if rule_set else None,
        "tally": counted.as_dict(),
        "results": [result.as_dict() for _rule, result in results],
    }
    locked.save(update_fields=["vote_closed_at", "consent_rule_set", "frozen_result"])
    decisive = results[governing][1]
    case_comment(
        case=locked.case,
        actor=actor,
        comment=_("The vote is closed. Under the governing rule (%(rule)s): %(verdict)s")
        % {"rule": decisive.label, "verdict": decisive.explanation},
        public=True,
        now=now,
    )
    project.vote_closed_at = locked.vote_closed_at
    project.consent_rule_set = rule_set
    project.frozen_result = locked.frozen_result
    return project


def frozen_consent(project: Project) -> dict | None:
    """The tally and results stored at the close, rebuilt for display; None while open."""
    data = project.frozen_result
    if not data:
        return None
    results = [consent.Result.from_dict(r) for r in data["results"]]
    return {
        "closed_at": project.vote_closed_at,
        "tally": consent.Tally.from_dict(data["tally"]),
        "results": list(zip(data["rules"], results, strict=True)),
        "governing": data["governing"],
        "governing_result": results[data["governing"]],
        "rule_set_version": data.get("rule_set_version"),
    }
