"""Xiaoyangquan North's retrofits: 14 projects — 8 in use, 3 under construction, 3 in
preparation — so the dashboards show the source's 8 / 3 / 3 and 200+ residents.

Shengzeyuan 1号楼1单元 is Hu Taolan's project under the Yangquan 80% rule: the vote
passed, Master Jing's low-floor objection was resolved at a three-party meeting, the
cost schedule is agreed, construction is under way. One project is in voting with a few
ballots missing. Ballots before the portal existed are entered as signed paper forms.
"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from housing.models import Household, Person, Unit
from portal.models import Area
from portal.services.cases import case_open
from portal.services.rules import rule_set_publish

from . import rules
from .models import Ballot, CostSchedule, Project, Stage
from .services import consent, costs, objections, stages

ROUTE = [
    Stage.VOTING,
    Stage.CONSENT_REACHED,
    Stage.PUBLIC_NOTICE,
    Stage.APPROVAL,
    Stage.CONSTRUCTION,
    Stage.ACCEPTANCE,
    Stage.IN_USE,
]
# (days after the start each stage is entered, checklist items recorded before it)
SCHEDULE = {
    Stage.VOTING: (10, []),
    Stage.CONSENT_REACHED: (41, []),
    Stage.PUBLIC_NOTICE: (42, []),
    Stage.APPROVAL: (63, ["site_survey", "safety_appraisal"]),
    Stage.CONSTRUCTION: (90, ["planning_permit"]),
    Stage.ACCEPTANCE: (150, []),
    Stage.IN_USE: (170, ["acceptance_inspection"]),
}


def _moment(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _open(staff, unit: Unit, start: date, *, initiator=None) -> Project:
    case = case_open(
        kind="elevators.project",
        actor=staff,
        community=unit.building.estate.community,
        title=f"{unit.building.estate.name}{unit.building.number}{unit.number} 加装电梯",
        now=_moment(start),
    )
    households = unit.households.count()
    return Project.objects.create(
        case=case,
        unit=unit,
        initiator=initiator,
        implementing_body="电梯安装公司（示例）",
        total_cost=Decimal(60000) * households // 2 + Decimal("300000"),
        subsidy=Decimal("200000"),
        stage_changed_at=_moment(start),
    )


def _vote(staff, project: Project, day: date, *, missing: int = 0, disagree: int = 0):
    """Paper ballots entered by staff: all agree except `disagree`, `missing` not cast."""
    households = list(project.unit.households.order_by("-floor", "room_number"))
    cast = households[: len(households) - missing]
    Ballot.objects.bulk_create(
        Ballot(
            project=project,
            household=h,
            cast_by=staff,
            on_paper=True,
            choice=Ballot.Choice.DISAGREE if i >= len(cast) - disagree else Ballot.Choice.AGREE,
            cast_at=_moment(day),
        )
        for i, h in enumerate(cast)
    )


def _advance(staff, project: Project, start: date, until: str):
    """Move through the stages after the current one up to `until`, recording the
    checklist items each needs and, before consent, the paper ballots and the close."""
    for stage in ROUTE[ROUTE.index(project.stage) + 1 if project.stage in ROUTE else 0 :]:
        offset, items = SCHEDULE[stage]
        day = start + timedelta(days=offset)
        for code in items:
            stages.checklist_record(
                actor=staff,
                project=project,
                code=code,
                done_on=day - timedelta(days=1),
                now=_moment(day, 9),
            )
        if stage == Stage.CONSENT_REACHED and project.vote_closed_at is None:
            _vote(staff, project, day - timedelta(days=10), disagree=1)
            consent.vote_close(actor=staff, project=project, now=_moment(day, 9))
        stages.stage_move(actor=staff, project=project, to=stage, on=day, now=_moment(day, 11))
        project.refresh_from_db()
        if stage == until:
            return


def _hu_project(staff, unit: Unit, start: date):
    hu, jing = Person.objects.get(name="胡桃兰"), Person.objects.get(name="荆师傅")
    project = _open(staff, unit, start, initiator=hu)
    jing_flat = Household.objects.get(residences__person=jing)
    for stage in ROUTE[:2]:  # voting, then consent after the objection is settled
        offset, _items = SCHEDULE[stage]
        day = start + timedelta(days=offset)
        if stage == Stage.CONSENT_REACHED:
            objection = objections.objection_raise(
                user=staff,
                project=project,
                household=jing_flat,
                reason="light",
                description="低层住户：加装电梯影响采光，事先没有征求意见。",
                now=_moment(day - timedelta(days=25)),
            )
            objections.meeting_record(
                actor=staff,
                project=project,
                kind="three_party",
                held_at=_moment(day - timedelta(days=15), 15),
                attendees="社区书记康玲蔚、牵头人胡桃兰、荆师傅、施工方（示例）",
                minutes="“有事来商量”三方会议：法律援助讲解、现场踏勘、邻里协商。",
                outcome="调整电梯井位置，给予低层住户适当补偿，荆师傅同意。",
                resolved_objections=[objection],
            )
            _vote(staff, project, day - timedelta(days=10))
            consent.vote_close(actor=staff, project=project, now=_moment(day, 9))
        stages.stage_move(actor=staff, project=project, to=stage, on=day, now=_moment(day, 11))
        project.refresh_from_db()
    costs.compensation_set(
        actor=staff,
        project=project,
        household=jing_flat,
        amount=Decimal("8000.00"),
        note="低层采光补偿（协商）",
    )
    for kind, amount in [
        (CostSchedule.Kind.CONSTRUCTION, project.total_cost),
        (CostSchedule.Kind.ELECTRICITY, Decimal("2400.00")),
        (CostSchedule.Kind.MAINTENANCE, Decimal("6000.00")),
    ]:
        schedule = costs.schedule_set(actor=staff, project=project, kind=kind, amount=amount)
        costs.schedule_agree(actor=staff, schedule=schedule, agreed_on=start + timedelta(days=40))
    _advance(staff, project, start, Stage.CONSTRUCTION)


@transaction.atomic
def load(*, today: date) -> list:
    """The 14 projects of Xiaoyangquan North, once."""
    if Project.objects.filter(unit__building__estate__community__name="小阳泉北社区").exists():
        return []
    community = Area.objects.get(name="小阳泉北社区")
    city_district = Area.objects.get(name="城区")
    admin = get_user_model().objects.get(username="admin")
    rule_set_publish(
        kind="elevators.consent",
        area=city_district,
        payload=rules.YANGQUAN_CONSENT,
        valid_from=_moment(date(2020, 1, 1)),
        actor=admin,
        note="阳泉市既有住宅加装电梯：本单元80%业主同意",
    )
    staff = get_user_model().objects.get(username="staff.xiaoyangquan")
    units = list(
        Unit.objects.filter(building__estate__community=community).order_by(
            "building__estate__name", "building__number", "number"
        )
    )
    hu_unit = Household.objects.get(residences__person__name="胡桃兰").unit
    others = [u for u in units if u.pk != hu_unit.pk]

    # 8 in use, finished over the last years.
    for n, unit in enumerate(others[:8]):
        start = today - timedelta(days=900 - 60 * n)
        _advance(staff, _open(staff, unit, start), start, Stage.IN_USE)
    # 3 under construction: Hu Taolan's and two more.
    _hu_project(staff, hu_unit, today - timedelta(days=120))
    for unit in others[8:10]:
        start = today - timedelta(days=200)
        _advance(
            staff,
            _open(staff, unit, start),
            start,
            Stage.ACCEPTANCE if unit == others[9] else Stage.CONSTRUCTION,
        )
    # 3 in preparation: an intent, a vote with ballots missing, a public notice.
    _open(staff, others[10], today - timedelta(days=5))
    voting = _open(staff, others[11], today - timedelta(days=30))
    stages.stage_move(
        actor=staff,
        project=voting,
        to=Stage.VOTING,
        on=today - timedelta(days=20),
        now=_moment(today - timedelta(days=20)),
    )
    _vote(staff, voting, today - timedelta(days=3), missing=3)
    start = today - timedelta(days=50)
    _advance(staff, _open(staff, others[12], start), start, Stage.PUBLIC_NOTICE)
    return []
