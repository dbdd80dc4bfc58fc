"""Synthetic elevator projects for benchmarks: one per generated unit, in voting, with
ballots from most households."""

from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from housing.models import Unit
from portal.services.cases import case_open

from .models import Ballot, Project, Stage


@transaction.atomic
def generate(*, scale: int, today: date) -> str:
    """A project in voting for `scale` generated units without one."""
    admin = get_user_model().objects.filter(is_superuser=True).first()
    if admin is None:
        return "no superuser: run load_demo first"
    units = Unit.objects.filter(
        building__estate__name__startswith="生成小区", elevator_projects__isnull=True
    ).select_related("building__estate__community")[:scale]
    made = 0
    for n, unit in enumerate(units):
        when = timezone.make_aware(datetime.combine(today - timedelta(days=n % 200), time(9)))
        case = case_open(
            kind="elevators.project",
            actor=admin,
            community=unit.building.estate.community,
            title=f"{unit.building.estate.name}{unit.building.number}{unit.number}",
            now=when,
        )
        project = Project.objects.create(case=case, unit=unit, stage=Stage.VOTING)
        households = list(unit.households.all())
        Ballot.objects.bulk_create(
            Ballot(
                project=project,
                household=h,
                cast_by=admin,
                on_paper=True,
                choice=Ballot.Choice.AGREE if i % 5 else Ballot.Choice.DISAGREE,
            )
            for i, h in enumerate(households[:-1])
        )
        made += 1
    return f"{made} elevator projects"
