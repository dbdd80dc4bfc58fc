"""The dossier checklist (卷宗): which of the required records a dispute's file holds.

The required records follow the dossier template (DOMAIN.md Part 3 §2.3): application or
intake form, rights-and-duties notice, ID proof, mediation record, agreement (or the
record of a failure or refusal) and the return-visit record.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from portal.models import Attachment, TimelineEntry

from .models import Agreement, Dispute, Party, ReturnVisit, Session

# Outcomes that end mediation without an agreement; their record stands in for one.
NO_AGREEMENT = (Dispute.Status.FAILED, Dispute.Status.REFUSED)


def _flags(dispute: Dispute) -> dict:
    """Which records the file holds, in one query."""
    here = OuterRef("pk")
    principals = Party.objects.filter(
        dispute=here, role__in=[Party.Role.APPLICANT, Party.Role.RESPONDENT]
    )
    return (
        Dispute.objects.filter(pk=dispute.pk)
        .annotate(
            has_principals=Exists(principals),
            principal_without_id=Exists(
                principals.filter(Q(person__isnull=True) | Q(person__id_number_hash=""))
            ),
            has_attachment=Exists(Attachment.objects.filter(case_id=here)),
            has_minutes=Exists(Session.objects.filter(dispute=here).exclude(minutes="")),
            has_agreement=Exists(Agreement.objects.filter(dispute=here)),
            ended_without_agreement=Exists(
                TimelineEntry.objects.filter(case_id=here, status_after__in=NO_AGREEMENT)
            ),
            has_visit=Exists(ReturnVisit.objects.filter(dispute=here, visited_on__isnull=False)),
        )
        .values(
            "has_principals",
            "principal_without_id",
            "has_attachment",
            "has_minutes",
            "has_agreement",
            "ended_without_agreement",
            "has_visit",
        )
        .get()
    )


def dossier(dispute: Dispute) -> list[tuple[str, bool]]:
    """(label, present) for each required record of the dispute's file.

    ID proof is present when every applicant and respondent has a resident record with
    an ID number, or the file holds a scanned document; the agreement when there is
    one, or the mediation ended in a failure or a refusal (its record stands in).
    """
    flags = _flags(dispute)
    id_proof = flags["has_attachment"] or (
        flags["has_principals"] and not flags["principal_without_id"]
    )
    outcome = (
        flags["has_agreement"]
        or dispute.case.status in NO_AGREEMENT
        or flags["ended_without_agreement"]
    )
    return [
        (_("Application or intake form"), bool(dispute.facts.strip())),
        (_("Rights-and-duties notice"), dispute.rights_notice_given_at is not None),
        (_("ID proof of the parties"), bool(id_proof)),
        (_("Mediation record"), bool(flags["has_minutes"])),
        (_("Agreement, or record of failure or refusal"), bool(outcome)),
        (_("Return-visit record"), bool(flags["has_visit"])),
    ]


__all__ = ["dossier"]
