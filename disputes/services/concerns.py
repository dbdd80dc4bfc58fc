"""Writes of the concerns register (急难愁盼): the secretary records each resident's urgent
concern at a tea talk or in the clinic, then answers it or turns it into a dispute or an
estate issue. Every concern is a case of the kit (kind "disputes.concern", prefix JP),
so the resident who raised it follows it on "My requests".
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from housing.services.desk import estate_issue_open
from portal.errors import field_error as _field_error
from portal.models import Area, Case, User
from portal.personal import normalise_phone, validate_mobile
from portal.registry import registry
from portal.roles import Action, Role
from portal.scope import require as _require
from portal.services import cases as kit

from ..models import Concern

CONCERN = "disputes.concern"
TITLE_LENGTH = 60
INTO_DISPUTE = "dispute"
INTO_ISSUE = "issue"


def concern_title(description: str) -> str:
    """The case's subject: the first 60 characters of the concern, on one line."""
    return " ".join(description.split())[:TITLE_LENGTH]


def _locked(concern: Concern) -> Concern:
    return Concern.objects.select_for_update().select_related("case").get(pk=concern.pk)


def resident_with_phone(*, community: Area, phone: str):
    """The resident account of `community` with this mobile phone, if exactly one: the
    concern is then theirs to follow on "My requests"."""
    phone = normalise_phone(phone)
    if not phone:
        return None
    accounts = list(
        User.objects.filter(
            phone=phone,
            is_active=True,
            memberships__role=Role.RESIDENT,
            memberships__area=community,
            memberships__ended_at__isnull=True,
        ).distinct()[:2]
    )
    return accounts[0] if len(accounts) == 1 else None


@transaction.atomic
def concern_record(
    *,
    actor,
    community: Area,
    description: str,
    raised_at_event: str = "",
    filed_by=None,
    filer_name: str = "",
    filer_phone: str = "",
    now=None,
) -> Concern:
    """A resident's urgent concern, recorded (usually by the secretary at a tea talk)."""
    if not description.strip():
        raise _field_error("description", _("Write down the concern."), "empty")
    if filer_phone.strip():
        try:
            validate_mobile(filer_phone)
        except ValidationError as error:
            raise ValidationError({"filer_phone": error}) from None
    if filed_by is not None:
        filer_name = filer_name.strip() or filed_by.display_name
        filer_phone = filer_phone.strip() or filed_by.phone
    event = raised_at_event.strip()
    case = kit.case_open(
        kind=CONCERN,
        actor=actor,
        community=community,
        title=concern_title(description),
        filed_by=filed_by,
        filer_name=filer_name,
        filer_phone=filer_phone,
        comment=_("Raised at %(event)s.") % {"event": event} if event else "",
        now=now,
    )
    return Concern.objects.create(case=case, raised_at_event=event, description=description.strip())


@transaction.atomic
def concern_answer(*, actor, concern: Concern, answer: str, now=None) -> Concern:
    """Answer the concern: the answer is the public closing entry the resident reads."""
    concern = _locked(concern)
    case = concern.case
    _require(actor, Action.CLOSE, case)
    answer = answer.strip()
    if case.closed_at:
        if case.status == Concern.Status.ANSWERED and concern.answer == answer:
            return concern
        raise ValidationError(_("This concern has already been dealt with."), code="closed")
    if not answer:
        raise _field_error("answer", _("Write the answer."), "empty")
    concern.answer = answer
    concern.save(update_fields=["answer"])
    kit.case_close(case=case, actor=actor, status=Concern.Status.ANSWERED, comment=answer, now=now)
    return concern


def _turn_into_dispute(*, actor, case: Case, now=None, **details) -> Case:
    target = registry.hand_over_target("dispute_from")
    if target is None:
        raise ValidationError(_("Disputes are not available yet."), code="no_disputes")
    if now is not None:
        details["now"] = now
    turned = target.create(actor=actor, case=case, **details)
    # The target answers with the dispute's case or with the dispute itself.
    return turned if isinstance(turned, Case) else turned.case


def _turn_into_issue(*, actor, concern: Concern, estate=None, category: str = "", now=None) -> Case:
    if estate is None:
        raise _field_error("estate", _("Choose the estate."), "estate")
    case = concern.case
    if estate.community_id != case.community_id:
        raise _field_error(
            "estate", _("Choose an estate of the concern's community."), "estate_community"
        )
    issue = estate_issue_open(
        actor=actor,
        estate=estate,
        category=category,
        description=concern.description,
        filed_by=case.filed_by,
        filer_name=case.filer_name,
        filer_phone=case.filer_phone,
        now=now,
    )
    return issue.case


@transaction.atomic
def concern_turn(*, actor, concern: Concern, into: str, now=None, **details) -> Concern:
    """Turn the concern into a dispute (through the "dispute_from" hand-over target) or an
    estate issue (`estate=`, `category=`); the concern closes naming the new case.

    Turning a concern that was already turned returns it unchanged.
    """
    concern = _locked(concern)
    case = concern.case
    _require(actor, Action.CLOSE, case)
    if concern.turned_into_id:
        return concern
    if case.closed_at:
        raise ValidationError(_("This concern has already been dealt with."), code="closed")
    if into == INTO_DISPUTE:
        turned = _turn_into_dispute(actor=actor, case=case, now=now, **details)
    elif into == INTO_ISSUE:
        turned = _turn_into_issue(actor=actor, concern=concern, now=now, **details)
    else:
        raise _field_error("into", _("Choose what to turn the concern into."), "into")
    concern.turned_into = turned
    concern.save(update_fields=["turned_into"])
    kit.case_close(
        case=case,
        actor=actor,
        status=Concern.Status.TURNED,
        comment=_("Turned into %(reference)s.") % {"reference": turned.reference},
        now=now,
    )
    return concern


__all__ = [
    "concern_answer",
    "concern_record",
    "concern_title",
    "concern_turn",
    "resident_with_phone",
]
