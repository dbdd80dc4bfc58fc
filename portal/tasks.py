"""Celery tasks: thin, keyword-only ids, no results kept; each calls one service.

Routing (settings): remind_* and scan_* run on the "reminders" queue, export_* on
"exports", so a large export never delays a reminder.
"""

from celery import shared_task

from .services import audit, cases, exports, followups, retention


@shared_task(ignore_result=True, time_limit=120, soft_time_limit=100)
def scan_due_follow_ups():
    followups.followups_deliver_due()


@shared_task(ignore_result=True, time_limit=300, soft_time_limit=280)
def scan_overdue_cases():
    cases.cases_escalate_overdue()


@shared_task(ignore_result=True, time_limit=300, soft_time_limit=280)
def scan_outbox():
    followups.outbox_flush()


@shared_task(ignore_result=True, time_limit=60, soft_time_limit=50, acks_late=True)
def remind_by_email(*, outbox_id: int):
    followups.outbox_send(outbox_id=outbox_id)


@shared_task(ignore_result=True, time_limit=1800, soft_time_limit=1740)
def export_run(*, job_id: int):
    exports.export_job_run(job_id=job_id)


@shared_task(ignore_result=True, time_limit=300, soft_time_limit=280)
def scan_expired_exports():
    exports.exports_expire()


@shared_task(ignore_result=True, time_limit=3600, soft_time_limit=3540)
def scan_retention():
    retention.retention_scan()


@shared_task(ignore_result=True, time_limit=1800, soft_time_limit=1740)
def scan_audit_expiry():
    audit.audit_expire()
