"""Synthetic elevator projects for benchmarks, in the generated communities of
`housing.load`: one project for every unit, in every stage, filed over several years;
those in voting have ballots from all households but one. Every table is written in bulk."""

from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction

from housing.models import Household, Unit
from portal.load import CaseSpec, bulk_cases, filed_on, moment
from portal.models import Area
from portal.roles import AreaLevel

from .models import Ballot, Project, Stage

GENERATED_PROVINCE = "负载测试省（生成）"
CLOSED = {Stage.IN_USE, Stage.CANCELLED}
STAGES = list(Stage)


@transaction.atomic
def generate(*, communities: int, today: date, **_kwargs) -> str:
    """A project for every unit of up to `communities` generated communities without one."""
    admin = get_user_model().objects.filter(is_superuser=True).first()
    province = Area.objects.filter(name=GENERATED_PROVINCE, depth=1).first()
    if province is None:
        return "no generated communities: the housing generator runs first"
    todo = list(
        Area.objects.filter(path__startswith=province.path, level=AreaLevel.COMMUNITY)
        .exclude(pk__in=Project.objects.values("case__community"))
        .order_by("path")[:communities]
    )
    units = list(
        Unit.objects.filter(building__estate__community__in=todo)
        .select_related("building__estate__community")
        .order_by("pk")
    )
    if not units:
        return "0 elevator projects"
    first_n = Project.objects.count()
    specs = []
    for i, unit in enumerate(units):
        n = first_n + i
        stage = STAGES[n % len(STAGES)]
        specs.append(
            CaseSpec(
                community=unit.building.estate.community,
                title=f"{unit.building.estate.name}{unit.building.number}{unit.number}",
                status=stage,
                filed_at=moment(filed_on(today, n)),
                closed=stage in CLOSED,
                due_days=60,
            )
        )
    cases = bulk_cases("elevators.project", "DT", specs, handler=admin)
    projects = Project.objects.bulk_create(
        (
            Project(
                case=case,
                unit=unit,
                stage=case.status,
                stage_changed_at=case.closed_at or case.created_at + timedelta(days=1),
                total_cost=Decimal("600000.00"),
                subsidy=Decimal("200000.00"),
            )
            for case, unit in zip(cases, units, strict=True)
        ),
        batch_size=2000,
    )
    voting = {p.unit_id: p for p in projects if p.stage == Stage.VOTING}
    households = {}
    for household in Household.objects.filter(unit_id__in=voting).order_by("pk"):
        households.setdefault(household.unit_id, []).append(household)
    Ballot.objects.bulk_create(
        (
            Ballot(
                project=project,
                household=h,
                cast_by=admin,
                on_paper=True,
                choice=Ballot.Choice.AGREE if i % 5 else Ballot.Choice.DISAGREE,
            )
            for unit_id, project in voting.items()
            for i, h in enumerate(households.get(unit_id, [])[:-1])
        ),
        batch_size=2000,
    )
    return f"{len(projects)} elevator projects"
