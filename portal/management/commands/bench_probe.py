"""Prepare a benchmark run on generated data: its accounts, the pages it measures and
each page's query count (scripts/bench.py runs it before serving the portal).

Writes JSON: {"pages": [{"name", "path", "user", "queries"}], "cases": N}.
"""

from __future__ import annotations

import json
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.models import Area, Case, Membership, User
from portal.paging import CASE_QUEUE_SEGMENTS, cursor_at
from portal.roles import AreaLevel, Role

# The top of the generated data: every case is under it (its districts hold ten
# subdistricts each, as a real city's do).
GENERATED_CITY = "负载测试市（生成）"
OFFICIAL, RESIDENT = "bench.official", "bench.resident"
# How far down the dispute queue the "deep" page starts.
DEEP_SHARE = 0.9


def _account(username: str, password: str, role: str, area: Area) -> User:
    user, _created = User.objects.get_or_create(
        username=username, defaults={"display_name": username}
    )
    user.set_password(password)
    user.save()
    Membership.objects.get_or_create(user=user, role=role, area=area)
    return user


class Command(BaseCommand):
    help = "Accounts, pages and query counts for scripts/bench.py (generated data needed)."

    def add_arguments(self, parser):
        parser.add_argument("--password", required=True)
        parser.add_argument("--output", required=True)

    def handle(self, *args, password, output, **options):
        # Imported here: the disputes app is one of the measured pages, not a dependency.
        from disputes.models import Dispute

        # The queue's closed segment, latest first, holds the deep rows.
        closed_segment = len(CASE_QUEUE_SEGMENTS) - 1

        top = Area.objects.filter(name=GENERATED_CITY, level=AreaLevel.CITY).first()
        if top is None:
            raise CommandError("No generated data: run generate_load_data first.")
        community = Area.objects.filter(
            path__startswith=top.path, level=AreaLevel.COMMUNITY
        ).order_by("path")[0]
        official = _account(OFFICIAL, password, Role.OFFICIAL, top)
        resident = _account(RESIDENT, password, Role.RESIDENT, community)

        disputes = Dispute.objects.visible_to(official)
        total = disputes.count()
        open_count = disputes.filter(case__closed_at__isnull=True).count()
        deep = (
            disputes.filter(case__closed_at__isnull=False)
            .select_related("case")
            .order_by("-case__closed_at", "-pk")[max(0, int(total * DEEP_SHARE) - open_count)]
        )
        cursor = cursor_at(CASE_QUEUE_SEGMENTS, closed_segment, deep)
        sample = disputes.filter(case__community=community).order_by("pk").first()
        queue = reverse("disputes:queue")
        pages = [
            ("reference", reverse("portal:about"), OFFICIAL),
            ("dashboard", reverse("portal:dashboard_area", args=[top.pk]), OFFICIAL),
            ("list, first page", queue, OFFICIAL),
            ("list, deep page", f"{queue}?after={cursor}", OFFICIAL),
            ("case detail", reverse("disputes:dispute_detail", args=[sample.pk]), OFFICIAL),
            ("resident form", reverse("disputes:ask"), RESIDENT),
        ]
        users = {OFFICIAL: official, RESIDENT: resident}
        results = []
        for name, path, username in pages:
            client = Client(HTTP_HOST="127.0.0.1")
            client.force_login(users[username])
            client.get(path)  # warm caches that live per process, as a served page would
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                response = client.get(path)
            elapsed = 1000 * (time.perf_counter() - started)
            if response.status_code != 200:
                raise CommandError(f"{name} ({path}) answered {response.status_code}")
            # In this process; uncached when run with DASHBOARD_CACHE_SECONDS=0.
            results.append(
                {
                    "name": name,
                    "path": path,
                    "user": username,
                    "queries": len(queries),
                    "computed_ms": round(elapsed, 1),
                }
            )
            self.stdout.write(f"{name}: {len(queries)} queries, {elapsed:.0f} ms")
        with open(output, "w", encoding="utf-8") as handle:
            json.dump(
                {"pages": results, "cases": Case.objects.count(), "disputes": total},
                handle,
                ensure_ascii=False,
                indent=1,
            )
