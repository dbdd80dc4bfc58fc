"""Exports of the apps' lists: small ones at once, large ones by a worker; all logged.

Every export leaves an ExportJob row (who, which list, which filters, how many rows).
Nothing here runs inside one long transaction: with SQLite every transaction takes the
write lock, so a file is built first and the log row written after, and a worker's
progress updates commit one by one so the progress page can read them.
"""

from __future__ import annotations

import csv
import io
import logging
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import tablib
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from openpyxl import Workbook

from ..models import ExportJob
from ..registry import ExportProvider, registry
from ..roles import Action
from ..scope import may

log = logging.getLogger(__name__)
State = ExportJob.State

SYNC_EXPORT_MAX_ROWS = 2000
EXPORT_KEEP_HOURS = 24
PROGRESS_EVERY = 500

CONTENT_TYPES = {
    ExportJob.Format.CSV: "text/csv; charset=utf-8",
    ExportJob.Format.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# Spreadsheets run cells starting with these as formulas (CSV/formula injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ExportResult:
    """The logged job, and the file's bytes when it was built at once (else b"")."""

    job: ExportJob
    content: bytes = b""


def _provider(name: str) -> ExportProvider:
    try:
        return registry.export_providers[name]
    except KeyError:
        raise Http404 from None


def export_queryset(*, provider_name: str, user, params: dict):
    """The provider's rows for `user` and `params`, cut to those the user may export.

    A provider may compute its rows (a list, e.g. a dashboard's league table of
    aggregates) instead of handing over a queryset; it then scopes them itself.
    """
    provider = _provider(provider_name)
    queryset = provider.queryset(user, params)
    if not may(user, Action.EXPORT, provider.kind):
        raise PermissionDenied
    if not isinstance(queryset, QuerySet):
        return list(queryset)
    # Providers scope by VIEW, as their pages do; exporting is a right of its own, so the
    # rows are cut again by EXPORT with the same `visible_to` the model's pages use.
    manager = queryset.model._default_manager
    if hasattr(manager, "visible_to"):
        queryset = queryset.filter(pk__in=manager.visible_to(user, Action.EXPORT).values("pk"))
    return queryset


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, Promise):
        value = str(value)
    if isinstance(value, datetime):
        # Local wall-clock time: Excel has no time zones and openpyxl refuses aware values.
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    if isinstance(value, (int, float, date)):
        return value
    return str(value)


def export_rows(*, provider: ExportProvider, queryset) -> Iterator[list]:
    """The header row, then one row per object, through the provider's columns."""
    yield [str(header) for header, _accessor in provider.columns]
    objects = (
        queryset.iterator(chunk_size=PROGRESS_EVERY) if isinstance(queryset, QuerySet) else queryset
    )
    for obj in objects:
        yield [_cell(accessor(obj)) for _header, accessor in provider.columns]


def _count(rows) -> int:
    return rows.count() if isinstance(rows, QuerySet) else len(rows)


def export_filename(job: ExportJob) -> str:
    """`<provider>-<YYYYmmdd-HHMM>.<format>`, in local time."""
    return f"{job.provider}-{timezone.localtime(job.created_at):%Y%m%d-%H%M}.{job.format}"


def _check_format(format: str) -> None:
    if format not in ExportJob.Format.values:
        raise ValidationError(_("Choose CSV or Excel."), code="format")


def _build(format: str, rows: list[list]) -> bytes:
    data = tablib.Dataset(*rows[1:], headers=rows[0])
    if format == ExportJob.Format.XLSX:
        return data.export("xlsx")
    # With a byte-order mark Excel reads the file as UTF-8, so Chinese text survives.
    return ("\ufeff" + data.export("csv")).encode("utf-8")


def export_request(
    *, provider_name: str, user, params: dict, format: str = "csv", now=None
) -> ExportResult:
    """Export at once when small (logged as done), else queue a job; 404/403 as for pages."""
    queryset = export_queryset(provider_name=provider_name, user=user, params=params)
    _check_format(format)
    if _count(queryset) > SYNC_EXPORT_MAX_ROWS:
        job = export_job_create(
            provider_name=provider_name, user=user, params=params, format=format, now=now
        )
        return ExportResult(job=job)
    rows = list(export_rows(provider=_provider(provider_name), queryset=queryset))
    content = _build(format, rows)
    now = now or timezone.now()
    job = ExportJob.objects.create(
        requester=user,
        provider=provider_name,
        format=format,
        params=params,
        state=State.DONE,
        is_async=False,
        rows_total=len(rows) - 1,
        rows_done=len(rows) - 1,
        created_at=now,
        finished_at=now,
    )
    return ExportResult(job=job, content=content)


@transaction.atomic
def export_job_create(
    *, provider_name: str, user, params: dict, format: str = "csv", now=None
) -> ExportJob:
    """A queued export, handed to a worker once the transaction commits."""
    export_queryset(provider_name=provider_name, user=user, params=params)
    _check_format(format)
    job = ExportJob.objects.create(
        requester=user,
        provider=provider_name,
        format=format,
        params=params,
        state=State.QUEUED,
        is_async=True,
        created_at=now or timezone.now(),
    )
    from ..tasks import export_run

    # robust: a broker outage must not lose the request; the job then shows as waiting
    # until `exports_expire` gives up on it.
    transaction.on_commit(lambda: export_run.delay(job_id=job.pk), robust=True)
    return job


def _write_csv(rows: Iterable[list], out, progress: Callable[[int], None]) -> int:
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
    writer = csv.writer(text)
    done = -1
    for done, row in enumerate(rows):
        writer.writerow(row)
        if done and done % PROGRESS_EVERY == 0:
            progress(done)
    text.flush()
    text.detach()  # leave `out` open for the storage to read
    return max(done, 0)


def _write_xlsx(rows: Iterable[list], out, progress: Callable[[int], None]) -> int:
    # Write-only mode streams rows to disk instead of holding the sheet in memory.
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    done = -1
    for done, row in enumerate(rows):
        sheet.append(row)
        if done and done % PROGRESS_EVERY == 0:
            progress(done)
    book.save(out)
    return max(done, 0)


def export_job_run(*, job_id: int, now=None) -> bool:
    """Write a queued job's file, recording progress; True when it is ready."""
    claimed = ExportJob.objects.filter(pk=job_id, state=State.QUEUED).update(state=State.RUNNING)
    if not claimed:
        return False  # another worker has it, or it was given up
    job = ExportJob.objects.select_related("requester").get(pk=job_id)
    jobs = ExportJob.objects.filter(pk=job_id)
    try:
        # Scope is checked again: the requester may have lost the right since asking.
        queryset = export_queryset(
            provider_name=job.provider, user=job.requester, params=job.params
        )
        jobs.update(rows_total=_count(queryset))
        rows = export_rows(provider=_provider(job.provider), queryset=queryset)
        write = _write_xlsx if job.format == ExportJob.Format.XLSX else _write_csv
        with tempfile.TemporaryFile() as out:
            done = write(rows, out, lambda n: jobs.update(rows_done=n))
            out.seek(0)
            job.file.save(export_filename(job), File(out), save=False)
    except Exception as error:  # noqa: BLE001 - whatever went wrong, the job must say so
        log.exception("export %s failed", job_id)
        if job.file:
            job.file.delete(save=False)
        jobs.update(
            state=State.FAILED,
            error=(str(error) or type(error).__name__)[:300],
            finished_at=now or timezone.now(),
        )
        return False
    now = now or timezone.now()
    # The count may have moved while writing; the file's own count is the one to keep.
    jobs.update(
        state=State.DONE,
        file=job.file.name,
        rows_total=done,
        rows_done=done,
        finished_at=now,
        expires_at=now + timedelta(hours=EXPORT_KEEP_HOURS),
    )
    return True


def exports_expire(*, now=None) -> int:
    """Delete the files of jobs past their time and mark them expired; returns how many."""
    now = now or timezone.now()
    expired = 0
    for job in ExportJob.objects.filter(state=State.DONE, expires_at__lte=now):
        # Claim first, so two overlapping scans never both count (or delete) one file.
        if not ExportJob.objects.filter(pk=job.pk, state=State.DONE).update(
            state=State.EXPIRED, file=""
        ):
            continue
        if job.file:
            job.file.delete(save=False)
        expired += 1
    # A job whose task was lost (broker outage, killed worker) would spin forever.
    ExportJob.objects.filter(
        state__in=[State.QUEUED, State.RUNNING],
        created_at__lt=now - timedelta(hours=EXPORT_KEEP_HOURS),
    ).update(state=State.FAILED, error="did not finish in time", finished_at=now)
    return expired


def export_job_for(*, user, pk: int) -> ExportJob:
    """The user's own job; anyone else's is a 404, never a 403."""
    return get_object_or_404(ExportJob.objects.filter(requester=user), pk=pk)


def is_downloadable(job: ExportJob, *, now=None) -> bool:
    """Done, its file written and not yet past its time."""
    now = now or timezone.now()
    return (
        job.state == State.DONE
        and bool(job.file)
        and job.expires_at is not None
        and job.expires_at > now
    )


def export_job_download(*, user, pk: int, now=None) -> ExportJob:
    """The user's own job while its file may be downloaded; otherwise 404."""
    job = export_job_for(user=user, pk=pk)
    if not is_downloadable(job, now=now):
        raise Http404
    return job


# --- Helpers for providers' row functions ----------------------------------------------


def yes_no(value: bool) -> str:
    return _("yes") if value else _("no")


def choice_label(choices, value: str) -> str:
    """The label of a stored choice; the raw value when the choices no longer have it."""
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def choice_param(params, name: str, choices, message: str) -> str:
    """An optional filter that must be one of `choices`; a coded error otherwise."""
    value = (params.get(name) or "").strip()
    if value and value not in choices.values:
        raise ValidationError(message, code=name)
    return value


def pk_param(params, name: str, message: str) -> int | None:
    value = (params.get(name) or "").strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise ValidationError(message, code=name) from None


def date_param(params, name: str) -> date | None:
    value = (params.get(name) or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationError(
            _("Enter a date as YYYY-MM-DD, e.g. 2026-03-01."), code=name
        ) from None
