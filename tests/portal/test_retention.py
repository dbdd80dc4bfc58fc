"""Retention: closed cases past their time lose their personal data, never their counts."""

import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile

from housing.services import desk
from portal.models import Attachment, Case, CaseParty, RetentionRun, TimelineEntry
from portal.personal import ANONYMISED
from portal.registry import registry
from portal.services.cases import case_close
from portal.services.retention import (
    RULE_KIND,
    community_groups,
    entry_for,
    replacement,
    retention_scan,
    validate_retention,
)
from portal.services.rules import rule_set_publish
from portal.tasks import scan_retention
from tests.factories import UserFactory
from tests.housing.helpers import estate_with_households

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 6, 15, 10, 0, tzinfo=SHANGHAI)
CUTOFF = NOW.replace(year=2024)  # two years, as the rule below says


def issue(world, estate, *, filed_at, closed_at=None, resident=None):
    opened = desk.estate_issue_open(
        actor=world.users["own_staff"],
        estate=estate,
        category="parking",
        description="王五的车挡住了 1 号楼的门",
        filer_name="王五",
        filer_phone="13800000055",
        filed_by=resident,
        now=filed_at,
    )
    case = Case.objects.get(pk=opened.pk)
    if resident is not None:
        CaseParty.objects.get_or_create(case=case, user=resident)
    if closed_at is not None:
        case_close(
            case=case,
            actor=world.users["own_staff"],
            status="solved",
            comment="已解决",
            now=closed_at,
        )
    return case


@pytest.fixture
def cases(world):
    rule_set_publish(
        kind=RULE_KIND,
        area=None,
        payload={"kinds": {"housing.issue": {"years": 2, "action": "anonymise"}}},
        valid_from=NOW - timedelta(days=2000),
    )
    estate, _flats = estate_with_households(world.areas["community_a"])
    resident = world.users["resident"]
    filed = CUTOFF - timedelta(days=30)
    expired = issue(
        world, estate, filed_at=filed, closed_at=CUTOFF - timedelta(minutes=1), resident=resident
    )
    Attachment.objects.create(
        case=expired,
        file=ContentFile(b"%PDF-1.4 scan", name="scan.pdf"),
        original_name="王五身份证.pdf",
        content_type="application/pdf",
        size=13,
    )
    kept = issue(world, estate, filed_at=filed, closed_at=CUTOFF + timedelta(minutes=1))
    still_open = issue(world, estate, filed_at=filed)
    return {"expired": expired, "kept": kept, "open": still_open}


def tiles(world):
    """Every dashboard figure for the district, as an official sees it."""
    admin = UserFactory(is_superuser=True)
    start, end = NOW - timedelta(days=3650), NOW + timedelta(days=1)
    return {
        provider.name: [
            (t.code, t.value)
            for t in provider.tiles(user=admin, area=world.areas["district"], start=start, end=end)
        ]
        for provider in registry.dashboard_for()
    }


def test_only_the_case_closed_before_the_cutoff_is_anonymised(world, cases):
    runs = retention_scan(now=NOW)

    expired = Case.objects.get(pk=cases["expired"].pk)
    assert expired.title == ANONYMISED
    assert (expired.filer_name, expired.filer_phone, expired.filed_by) == (ANONYMISED, "", None)
    assert not CaseParty.objects.filter(case=expired).exists()
    issue_row = registry.case_kinds["housing.issue"].model.objects.get(pk=expired.pk)
    assert issue_row.description == ANONYMISED
    # The row stays as it was for the counts: kind, status, dates, community.
    assert (expired.kind, expired.status) == ("housing.issue", "solved")
    assert expired.closed_at == CUTOFF - timedelta(minutes=1)
    assert expired.community == world.areas["community_a"]
    for name in ("kept", "open"):
        case = Case.objects.get(pk=cases[name].pk)
        assert case.title != ANONYMISED and case.filer_phone == "13800000055"
    run = next(r for r in runs if r.case_kind == "housing.issue")
    assert (run.anonymised, run.rule_version, run.cutoff) == (1, 1, CUTOFF)


def test_timeline_comments_and_attachment_files_go(
    world, cases, django_capture_on_commit_callbacks
):
    attachment = Attachment.objects.get(case=cases["expired"])
    storage, name = attachment.file.storage, attachment.file.name
    assert storage.exists(name)

    # Files are removed once the anonymisation has committed.
    with django_capture_on_commit_callbacks(execute=True):
        retention_scan(now=NOW)

    attachment.refresh_from_db()
    assert attachment.file.name == "" and attachment.original_name == ANONYMISED
    assert not storage.exists(name)
    comments = list(
        TimelineEntry.objects.filter(case=cases["expired"]).values_list("comment", flat=True)
    )
    assert "已解决" not in comments
    assert any("retention" in c or "保存期限" in c for c in comments)


def test_dashboard_figures_are_the_same_before_and_after(world, cases):
    before = tiles(world)

    retention_scan(now=NOW)

    assert tiles(world) == before


def test_a_second_pass_does_nothing_more(world, cases):
    retention_scan(now=NOW)
    timeline = TimelineEntry.objects.count()

    runs = retention_scan(now=NOW)

    assert sum(r.anonymised for r in runs) == 0
    assert TimelineEntry.objects.count() == timeline
    assert Case.objects.filter(title=ANONYMISED).count() == 1


def test_a_community_rule_overrides_the_national_one(world, cases):
    rule_set_publish(
        kind=RULE_KIND,
        area=world.areas["community_a"],
        payload={"kinds": {"housing": {"years": 10, "action": "anonymise"}}},
        valid_from=NOW - timedelta(days=1),
    )

    groups = community_groups({world.areas["community_a"].pk}, NOW)
    runs = retention_scan(now=NOW)

    assert [rs.area for rs in groups] == [world.areas["community_a"]]
    assert sum(r.anonymised for r in runs) == 0


def test_keep_means_never_anonymised(world, cases):
    rule_set_publish(
        kind=RULE_KIND,
        area=None,
        payload={"kinds": {"WY": {"years": 1, "action": "keep"}}},
        valid_from=NOW - timedelta(days=1),
    )

    retention_scan(now=NOW)

    assert not Case.objects.filter(title=ANONYMISED).exists()


@pytest.mark.parametrize(
    "payload",
    [
        {"kinds": {"nowhere.nothing": {"years": 3, "action": "anonymise"}}},
        {"kinds": {"disputes.dispute": {"years": 0, "action": "anonymise"}}},
        {"kinds": {"disputes.dispute": {"years": "many", "action": "anonymise"}}},
        {"kinds": {"disputes.dispute": {"years": 3, "action": "shred"}}},
        {"kinds": ["disputes.dispute"]},
        {"default": "forever"},
        {"surprise": 1},
    ],
)
def test_malformed_rules_are_refused(payload):
    with pytest.raises(ValidationError):
        rule_set_publish(kind=RULE_KIND, area=None, payload=payload, valid_from=NOW)


def test_a_kind_is_found_by_name_prefix_or_app():
    payload = validate_retention(
        {
            "kinds": {
                "JF": {"years": 3, "action": "anonymise"},
                "eldercare": {"years": 8, "action": "keep"},
            },
            "default": {"years": 6, "action": "anonymise"},
        }
    )

    assert entry_for(payload, "disputes.dispute")["years"] == 3
    assert entry_for(payload, "eldercare.errand")["action"] == "keep"
    assert entry_for(payload, "housing.issue")["years"] == 6


def test_every_declaration_names_real_fields_and_can_be_anonymised():
    for entry in registry.personal_data.values():
        if entry.given_fields():
            entry.model._base_manager.none().values(*entry.given_fields())
        if entry.case_path and not entry.delete_rows:
            for name in entry.fields:
                replacement(entry, name)
            entry.model._base_manager.filter(**{f"{entry.case_path}__in": []}).exists()


def test_every_case_kind_has_its_own_personal_data_declared():
    declared = {e.case_kind for e in registry.personal_data.values() if e.case_kind}
    undeclared = set(registry.case_kinds) - declared - {"kitapp.ticket", "civility.finding"}
    assert undeclared == set()


@pytest.mark.django_db(transaction=True)
def test_the_beat_task_runs_on_a_real_worker(world, celery_worker_for_tests):
    rule_set_publish(
        kind=RULE_KIND,
        area=None,
        payload={"kinds": {"housing.issue": {"years": 2, "action": "anonymise"}}},
        valid_from=datetime(2000, 1, 1, tzinfo=SHANGHAI),
    )
    estate, _flats = estate_with_households(world.areas["community_a"])
    old = datetime.now(SHANGHAI) - timedelta(days=3 * 365)
    case = issue(world, estate, filed_at=old, closed_at=old + timedelta(days=1))

    scan_retention.apply_async(queue=celery_worker_for_tests)

    deadline = time.monotonic() + 30
    while not RetentionRun.objects.filter(case_kind="housing.issue").exists():
        assert time.monotonic() < deadline, "the worker did not run the retention scan"
        time.sleep(0.2)
    case.refresh_from_db()
    assert case.title == ANONYMISED
