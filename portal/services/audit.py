"""Keeping the audit trail as long as the law asks, and no longer.

Network logs must be kept at least six months (Cybersecurity Law Art. 21); personal
information no longer than needed (PIPL Art. 19). `AUDIT_RETENTION_DAYS` (at least 183,
checked at start-up) sets the line; each pass is recorded as a RetentionRun.
"""

from __future__ import annotations

from datetime import timedelta

from axes.models import AccessFailureLog, AccessLog
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..models import ExportJob, PersonalDataAccess, RefusedAccess, RetentionRun

# The RetentionRun "case kind" under which audit passes are recorded.
AUDIT_RETENTION_KIND = "portal.audit"


def audit_expire(*, now=None) -> int:
    """Delete audit rows older than AUDIT_RETENTION_DAYS; returns how many went."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.AUDIT_RETENTION_DAYS)
    old_exports = ExportJob.objects.filter(created_at__lt=cutoff).exclude(
        state__in=[ExportJob.State.QUEUED, ExportJob.State.RUNNING]
    )
    # Files are normally gone after a day; one the expiry scan missed goes with its row.
    for job in old_exports.exclude(file=""):
        job.file.delete(save=False)
    with transaction.atomic():
        deleted = sum(
            queryset.delete()[0]
            for queryset in (
                PersonalDataAccess.objects.filter(at__lt=cutoff),
                RefusedAccess.objects.filter(at__lt=cutoff),
                old_exports,
                AccessLog.objects.filter(attempt_time__lt=cutoff),
                AccessFailureLog.objects.filter(attempt_time__lt=cutoff),
            )
        )
        RetentionRun.objects.create(
            case_kind=AUDIT_RETENTION_KIND, cutoff=cutoff, deleted=deleted, at=now
        )
    return deleted
