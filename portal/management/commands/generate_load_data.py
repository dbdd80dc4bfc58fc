"""Generate synthetic data at any size, for benchmarks: every app's load generator.

One unit of `--scale` is one generated subdistrict of `COMMUNITIES_PER_SCALE`
communities. Each community gets 10 estates (960 households, 960 people) and about
1,000 cases in every status of their kind, filed over the last four years:
300 estate issues, 150 disputes, 50 concerns, 80 elevator projects (one per unit),
200 home adaptations, 100 errands, 144 civility findings and their supervision
orders; plus stations, check-ins, care facilities, inspections and outreach events.
So scale 1 is about 10,000 cases and scale 100 about 1,000,000 (several million rows).

Generators are deterministic and only fill generated communities that lack their
data, so running the command twice with the same scale adds nothing.
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from portal.models import Case
from portal.registry import registry, run_steps

COMMUNITIES_PER_SCALE = 10
# Measured at scale 1 (docs/performance.md): 2.8 MB a community on PostgreSQL, 1.7 MB
# on SQLite, rounded up; the margin leaves room for the WAL/journal while writing.
BYTES_PER_COMMUNITY = 4 * 1024 * 1024
MARGIN = 2


def needed_bytes(communities: int) -> int:
    """A conservative estimate of the disk space `communities` generated communities take."""
    return communities * BYTES_PER_COMMUNITY * MARGIN


def database_directory() -> Path | None:
    """Where the database's files are, when they are on this machine."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        name = str(settings["NAME"])
        return None if name == ":memory:" or "mode=memory" in name else Path(name).parent
    if connection.vendor == "postgresql":
        try:
            with connection.cursor() as cursor:
                cursor.execute("SHOW data_directory")
                directory = Path(cursor.fetchone()[0])
        except Exception:  # noqa: BLE001 - only superusers may ask; then we only warn
            return None
        return directory if directory.exists() else None
    return None


class Command(BaseCommand):
    help = (
        "Generate synthetic data through every registered load generator. One unit of "
        "--scale is a generated subdistrict of 10 communities, each with 10 estates "
        "(960 households and people) and about 1,000 cases in every status over four "
        "years: scale 1 is about 10,000 cases, scale 100 about 1,000,000. Running it "
        "again with the same scale adds nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            type=int,
            default=1,
            help="Number of generated subdistricts, about 10,000 cases each (default 1).",
        )
        # For tests: a fraction of a scale unit, e.g. 0.1 for one community.
        parser.add_argument("--fraction", type=float, default=1.0, help=argparse.SUPPRESS)

    def handle(self, *args, scale, fraction, **options):
        if scale < 1 or fraction <= 0:
            raise CommandError("--scale must be at least 1.")
        if not get_user_model().objects.filter(is_superuser=True).exists():
            # Generated cases are handled and ballots cast by the first superuser.
            raise CommandError("No superuser: run createsuperuser or load_demo first.")
        communities = max(1, round(scale * COMMUNITIES_PER_SCALE * fraction))
        self.check_disk_space(communities)
        today = timezone.localdate()
        steps = registry.load_generators
        self.stdout.write(
            f"Generating {communities} communities (about {communities * 1000:,} cases) "
            f"in {len(steps)} steps…"
        )
        cases_before = Case.objects.count()
        started = time.monotonic()
        # One chunk is one generated subdistrict: every step commits per chunk, so an
        # interrupted run keeps what it made and a re-run fills in the rest.
        targets = list(range(COMMUNITIES_PER_SCALE, communities, COMMUNITIES_PER_SCALE))
        targets.append(communities)
        for chunk, target in enumerate(targets, start=1):
            last = time.monotonic()
            for n, (step, result) in enumerate(
                run_steps(steps, communities=target, today=today), start=1
            ):
                now = time.monotonic()
                if chunk == 1 or options["verbosity"] > 1:
                    self.stdout.write(
                        f"[{n}/{len(steps)}] {step.name}: {result} "
                        f"({now - last:.1f}s, {now - started:.1f}s in all)"
                    )
                last = now
            if len(targets) > 1:
                self.stdout.write(self.progress(chunk, len(targets), target, started))
        if connection.vendor == "postgresql":
            # Fresh statistics, so the planner sees the new sizes before the first page.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        added = Case.objects.count() - cases_before
        self.stdout.write(
            self.style.SUCCESS(
                f"Done in {time.monotonic() - started:.1f}s: {added:,} cases added, "
                f"{cases_before + added:,} in all."
            )
        )

    @staticmethod
    def progress(done: int, total: int, communities: int, started: float) -> str:
        """`[#####.....] 5/10 subdistricts, 50 communities, 1m20s, about 1m20s left`."""
        elapsed = time.monotonic() - started
        left = elapsed / done * (total - done)
        bar = "#" * round(20 * done / total)
        return (
            f"[{bar:<20}] {done}/{total} subdistricts, {communities} communities, "
            f"{_duration(elapsed)}, about {_duration(left)} left"
        )

    def check_disk_space(self, communities: int) -> None:
        """Refuse to start when the database's disk obviously cannot take the data."""
        needed = needed_bytes(communities)
        directory = database_directory()
        if directory is None:
            self.stdout.write(
                self.style.WARNING(
                    f"Cannot see the database's disk from here: make sure it has "
                    f"{needed / 2**30:.1f} GiB free."
                )
            )
            return
        free = shutil.disk_usage(directory).free
        if free < needed:
            raise CommandError(
                f"Not enough disk space: {communities} communities need about "
                f"{needed / 2**30:.1f} GiB, but {directory} has {free / 2**30:.1f} GiB free."
            )


def _duration(seconds: float) -> str:
    minutes, seconds = divmod(round(seconds), 60)
    return f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"
