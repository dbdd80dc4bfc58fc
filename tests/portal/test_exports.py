"""Exports over real HTTP: same rows as the list, masked, scoped, logged; large ones queued."""

import csv
import io
import re
from datetime import timedelta

import openpyxl
import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from portal.celery import app as celery_app
from portal.models import Case, ExportJob, Membership
from portal.registry import ExportProvider, registry
from portal.services import exports
from portal.services.cases import case_transition
from portal.tasks import export_run, scan_expired_exports
from tests.factories import UserFactory
from tests.kitapp.services import ticket_open
from tests.scope import check_scope

pytestmark = pytest.mark.django_db

PROVIDER = "kitapp.tickets"
HEADERS = ["Reference", "Subject", "Status", "Filed by", "Phone"]
URL = reverse("portal:export", args=[PROVIDER])


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def eager():
    """`.delay()` runs the task in this process, as a worker would."""
    before = celery_app.conf.get("task_always_eager", False)
    celery_app.conf.update(task_always_eager=True)
    yield
    celery_app.conf.update(task_always_eager=before)


def open_tickets(world, count=3, community="community_a", staff="own_staff"):
    return [
        ticket_open(
            actor=world.users[staff],
            community=world.areas[community],
            title=f"Broken lamp {n}",
            filer_name="张三",
            filer_phone="13812345678",
        ).case
        for n in range(count)
    ]


def csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith("\ufeff".encode()), "Excel needs the byte-order mark"
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def xlsx_rows(content: bytes) -> list[list[str]]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def references(rows) -> list[str]:
    return [row[0] for row in rows[1:]]


def visible_references(user, **filters) -> list[str]:
    cases = Case.objects.visible_to(user).filter(kind="kitapp.ticket", **filters)
    return list(cases.order_by("pk").values_list("reference", flat=True))


def test_scope_of_the_export(client, world):
    open_tickets(world, 1)

    check_scope(
        client,
        world,
        URL,
        {
            "anonymous": 302,
            "resident": 403,
            "other_staff": 200,
            "own_staff": 200,
            "programme_officer": 403,
            "official": 200,
            "org_member": 403,
        },
    )


def test_the_csv_has_the_filtered_lists_rows_masked(client, world):
    staff = world.users["own_staff"]
    solved, *new = open_tickets(world, 3)
    case_transition(case=solved, actor=staff, status="solved")
    client.force_login(staff)

    response = client.get(URL, {"format": "csv", "status": "new"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(
        r'attachment; filename="kitapp\.tickets-\d{8}-\d{4}\.csv"', response["Content-Disposition"]
    )
    rows = csv_rows(response.content)
    assert rows[0] == HEADERS
    assert references(rows) == visible_references(staff, status="new") == [c.reference for c in new]
    assert {(row[3], row[4]) for row in rows[1:]} == {("张*", "138****5678")}
    assert "13812345678" not in response.content.decode("utf-8-sig")


def test_the_xlsx_has_the_same_rows_masked(client, world):
    staff = world.users["own_staff"]
    open_tickets(world, 2)
    client.force_login(staff)

    response = client.get(URL, {"format": "xlsx"})

    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.xlsx"')
    rows = xlsx_rows(response.content)
    assert rows[0] == HEADERS
    assert references(rows) == visible_references(staff)
    assert all(row[3] == "张*" and row[4] == "138****5678" for row in rows[1:])
    assert "13812345678" not in str(rows)


def test_staff_of_another_community_export_none_of_community_a(client, world):
    open_tickets(world, 2)
    theirs = open_tickets(world, 1, community="community_b", staff="other_staff")
    client.force_login(world.users["other_staff"])

    rows = csv_rows(client.get(URL).content)

    assert references(rows) == [c.reference for c in theirs]


def test_officials_export_their_district_and_residents_cannot(client, world):
    cases = open_tickets(world, 1) + open_tickets(
        world, 1, community="community_b", staff="other_staff"
    )
    client.force_login(world.users["official"])
    assert references(csv_rows(client.get(URL).content)) == [c.reference for c in cases]

    client.force_login(world.users["resident"])
    assert client.get(URL).status_code == 403
    assert not ExportJob.objects.filter(requester=world.users["resident"]).exists()


def test_every_export_is_logged_with_its_filters_and_row_count(client, world):
    official = world.users["official"]
    open_tickets(world, 3)
    client.force_login(official)

    client.get(URL, {"format": "xlsx", "status": "new", "page": "2"})

    job = ExportJob.objects.get(requester=official)
    assert (job.provider, job.format, job.params) == (PROVIDER, "xlsx", {"status": "new"})
    assert job.rows_total == job.rows_done == 3
    assert job.state == ExportJob.State.DONE and not job.is_async
    assert job.finished_at is not None and not job.file


def test_unknown_lists_and_formats_are_refused(client, world):
    client.force_login(world.users["own_staff"])

    assert client.get(reverse("portal:export", args=["nothing.here"])).status_code == 404
    assert client.get(URL, {"format": "pdf"}).status_code == 400
    assert not ExportJob.objects.exists()


def test_a_large_export_runs_as_a_job_with_progress_and_a_download(
    client, world, monkeypatch, eager, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(exports, "SYNC_EXPORT_MAX_ROWS", 2)
    staff = world.users["own_staff"]
    open_tickets(world, 3)
    client.force_login(staff)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(URL, {"format": "csv"})

    job = ExportJob.objects.get(requester=staff)
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:export_job", args=[job.pk])
    assert job.is_async and job.state == ExportJob.State.DONE
    assert job.rows_done == job.rows_total == 3 and job.progress_percent == 100
    assert job.expires_at == job.finished_at + timedelta(hours=exports.EXPORT_KEEP_HOURS)

    page = client.get(response["Location"])
    assert page.status_code == 200
    assert 'http-equiv="refresh"' not in page.content.decode()
    download_url = reverse("portal:export_download", args=[job.pk])
    assert download_url in page.content.decode()

    download = client.get(download_url)
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    rows = csv_rows(b"".join(download.streaming_content))
    assert references(rows) == visible_references(staff)
    assert "13812345678" not in str(rows)


def test_a_waiting_job_page_refreshes_itself_until_the_file_is_written(
    client, world, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(exports, "SYNC_EXPORT_MAX_ROWS", 0)
    staff = world.users["own_staff"]
    open_tickets(world, 2)
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        client.get(URL, {"format": "xlsx"})
    job = ExportJob.objects.get(requester=staff)
    assert len(queued) == 1 and job.state == ExportJob.State.QUEUED

    page = client.get(reverse("portal:export_job", args=[job.pk])).content.decode()
    assert '<meta http-equiv="refresh" content="3">' in page
    assert client.get(reverse("portal:export_download", args=[job.pk])).status_code == 404

    assert exports.export_job_run(job_id=job.pk) is True
    assert exports.export_job_run(job_id=job.pk) is False  # a redelivered task does nothing
    job.refresh_from_db()
    assert job.state == ExportJob.State.DONE and job.rows_done == job.rows_total == 2
    assert references(xlsx_rows(job.file.read())) == visible_references(staff)


def test_progress_is_written_while_the_file_is_written(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    """A column that reads the job's row back sees the rows written before its own."""
    seen = []

    def rows_done_so_far(case):
        seen.append(ExportJob.objects.values_list("rows_done", flat=True).get())
        return case.reference

    monkeypatch.setattr(exports, "PROGRESS_EVERY", 1)
    monkeypatch.setitem(
        registry.export_providers,
        "kitapp.progress",
        ExportProvider(
            "kitapp.progress",
            "Progress",
            registry.export_providers[PROVIDER].queryset,
            (("Reference", rows_done_so_far),),
            kind="kitapp.ticket",
        ),
    )
    open_tickets(world, 3)
    with django_capture_on_commit_callbacks(execute=False):
        job = exports.export_job_create(
            provider_name="kitapp.progress", user=world.users["own_staff"], params={}
        )

    exports.export_job_run(job_id=job.pk)

    assert seen == [0, 1, 2]


def test_only_the_requester_sees_the_job_and_its_file(
    client, world, django_capture_on_commit_callbacks
):
    open_tickets(world, 1)
    with django_capture_on_commit_callbacks(execute=False):
        job = exports.export_job_create(
            provider_name=PROVIDER, user=world.users["own_staff"], params={}
        )
    exports.export_job_run(job_id=job.pk)
    page = reverse("portal:export_job", args=[job.pk])
    download = reverse("portal:export_download", args=[job.pk])

    for stranger in (world.users["other_staff"], world.users["official"], UserFactory()):
        client.force_login(stranger)
        assert client.get(page).status_code == 404
        assert client.get(download).status_code == 404

    client.force_login(world.users["own_staff"])
    assert client.get(page).status_code == 200
    assert client.get(download).status_code == 200


def test_expiry_deletes_the_file_and_marks_the_job_expired(
    client, world, django_capture_on_commit_callbacks
):
    open_tickets(world, 1)
    with django_capture_on_commit_callbacks(execute=False):
        job = exports.export_job_create(
            provider_name=PROVIDER, user=world.users["own_staff"], params={}
        )
    exports.export_job_run(job_id=job.pk)
    job.refresh_from_db()
    name = job.file.name
    assert default_storage.exists(name)

    assert exports.exports_expire(now=job.expires_at - timedelta(minutes=1)) == 0
    assert exports.exports_expire(now=job.expires_at) == 1
    assert exports.exports_expire(now=job.expires_at) == 0

    job.refresh_from_db()
    assert job.state == ExportJob.State.EXPIRED and not job.file
    assert not default_storage.exists(name)
    client.force_login(world.users["own_staff"])
    assert client.get(reverse("portal:export_download", args=[job.pk])).status_code == 404
    page = client.get(reverse("portal:export_job", args=[job.pk]))
    assert page.status_code == 200 and 'http-equiv="refresh"' not in page.content.decode()


def test_a_job_whose_task_never_ran_is_given_up(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        job = exports.export_job_create(
            provider_name=PROVIDER, user=world.users["own_staff"], params={}
        )

    exports.exports_expire(now=job.created_at + timedelta(hours=exports.EXPORT_KEEP_HOURS + 1))

    job.refresh_from_db()
    assert job.state == ExportJob.State.FAILED
    assert exports.export_job_run(job_id=job.pk) is False


def test_a_requester_who_lost_the_right_gets_a_failed_job_not_a_file(
    world, django_capture_on_commit_callbacks
):
    staff = world.users["own_staff"]
    open_tickets(world, 1)
    with django_capture_on_commit_callbacks(execute=False):
        job = exports.export_job_create(provider_name=PROVIDER, user=staff, params={})
    Membership.objects.filter(user=staff).update(ended_at=timezone.now())

    assert exports.export_job_run(job_id=job.pk) is False

    job.refresh_from_db()
    assert job.state == ExportJob.State.FAILED and job.error and not job.file


def test_the_celery_tasks_write_and_expire_the_file(world, django_capture_on_commit_callbacks):
    open_tickets(world, 2)
    with django_capture_on_commit_callbacks(execute=False):
        job = exports.export_job_create(
            provider_name=PROVIDER, user=world.users["own_staff"], params={}, format="xlsx"
        )

    export_run.apply(kwargs={"job_id": job.pk})

    job.refresh_from_db()
    assert job.state == ExportJob.State.DONE and job.rows_done == 2
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    scan_expired_exports.apply()
    job.refresh_from_db()
    assert job.state == ExportJob.State.EXPIRED


def test_cells_that_spreadsheets_would_run_as_formulas_are_neutralised(client, world):
    ticket_open(
        actor=world.users["own_staff"],
        community=world.areas["community_a"],
        title='=HYPERLINK("http://evil.example","click")',
    )
    client.force_login(world.users["own_staff"])

    rows = xlsx_rows(client.get(URL, {"format": "xlsx"}).content)

    assert rows[1][1] == '\'=HYPERLINK("http://evil.example","click")'
