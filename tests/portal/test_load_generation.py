"""The load generator: every case kind in every status, idempotent, and a disk check."""

import shutil
from collections import namedtuple
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count

from portal.management.commands import generate_load_data
from portal.models import Area, Case, User
from portal.registry import registry

# The kinds of the apps that register a load generator (not the kit's test app's).
GENERATED_KINDS = {
    name: kind
    for name, kind in registry.case_kinds.items()
    if name.split(".")[0] in {step.split(".")[0] for step in registry.load_generators}
}


def generate(*args) -> str:
    out = StringIO()
    call_command("generate_load_data", "--fraction", "0.1", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("admin", password="x")


def test_one_community_has_every_case_kind_in_every_status(superuser):
    output = generate()

    found = {
        (row["kind"], row["status"])
        for row in Case.objects.values("kind", "status").annotate(n=Count("pk"))
    }
    missing = [
        (name, status.value)
        for name, kind in GENERATED_KINDS.items()
        for status in kind.statuses
        if (name, status.value) not in found
    ]
    assert len(GENERATED_KINDS) >= 8 and missing == []
    assert Area.objects.filter(level="community", is_placeholder=True).count() == 1
    assert 800 < Case.objects.count() < 1500
    for step in registry.load_generators:
        assert f"] {step}: " in output


def test_the_cases_are_spread_over_several_years_and_some_are_overdue(superuser):
    generate()

    years = {d.year for d in Case.objects.dates("created_at", "year")}
    assert len(years) >= 4
    assert Case.objects.filter(
        closed_at__isnull=True, due_at__lt=Case.objects.latest("created_at").created_at
    ).exists()
    assert Case.objects.filter(escalated_at__isnull=False, closed_at__isnull=True).exists()
    assert Case.objects.filter(rating__isnull=False).exists()


def test_a_second_run_adds_nothing(superuser):
    generate()
    counts = Case.objects.count(), Area.objects.count()

    output = generate()

    assert (Case.objects.count(), Area.objects.count()) == counts
    assert "0 cases added" in output


def test_it_refuses_to_start_without_enough_disk_space(superuser, monkeypatch, tmp_path):
    Usage = namedtuple("Usage", "total used free")
    # The test database is in memory: pretend it is a file in tmp_path.
    monkeypatch.setattr(generate_load_data, "database_directory", lambda: tmp_path)
    monkeypatch.setattr(shutil, "disk_usage", lambda path: Usage(10**9, 10**9, 1024))

    with pytest.raises(CommandError, match="Not enough disk space"):
        generate()

    assert not Case.objects.exists()


def test_it_refuses_to_start_without_a_superuser(db):
    with pytest.raises(CommandError, match="superuser"):
        generate()
