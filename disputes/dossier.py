"""The dossier checklist (卷宗): which of the required records a dispute's file holds.

The required records follow the dossier template (DOMAIN.md Part 3 §2.3): application or
intake form, rights-and-duties notice, ID proof, mediation record, agreement (or the
record of a failure or refusal) and the return-visit record.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from portal.models import Attachment

from .models import Dispute, Party

# Outcomes that end mediation without an agreement; their record stands in for one.
NO_AGREEMENT = (Dispute.Status.FAILED, Dispute.Status.REFUSED)
PRINCIPALS = (Party.Role.APPLICANT, Party.Role.RESPONDENT)


def dossier(
    dispute: Dispute, *, parties, sessions, agreement, return_visits, timeline
) -> list[tuple[str, bool]]:
    """(label, present) for each required record of the dispute's file, read off the
    records the dispute page has loaded anyway: its parties (with their resident
    records), sessions, agreement, return visits and whole timeline. At most one query,
    for a scanned document.

    ID proof is present when every applicant and respondent has a resident record with
    an ID number, or the file holds a scanned document; the agreement when there is
    one, or the mediation ended in a failure or a refusal (its record stands in).
    """
    principals = [p for p in parties if p.role in PRINCIPALS]
    identified = bool(principals) and all(
        p.person is not None and p.person.id_number_hash for p in principals
    )
    id_proof = identified or Attachment.objects.filter(case_id=dispute.pk).exists()
    outcome = (
        agreement is not None
        or dispute.case.status in NO_AGREEMENT
        or any(entry.status_after in NO_AGREEMENT for entry in timeline)
    )
    return [
        (_("Application or intake form"), bool(dispute.facts.strip())),
        (_("Rights-and-duties notice"), dispute.rights_notice_given_at is not None),
        (_("ID proof of the parties"), id_proof),
        (_("Mediation record"), any(session.minutes for session in sessions)),
        (_("Agreement, or record of failure or refusal"), outcome),
        (_("Return-visit record"), any(v.visited_on is not None for v in return_visits)),
    ]


__all__ = ["dossier"]
