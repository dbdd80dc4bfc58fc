"""The clinic's demo, built through the clinic's services with dates relative to today.

The Qingyi courtyard parking dispute between Wang Peng and Zhao Hua, led by Ma Yan with
the police station's mediator on the panel: sessions, an agreement to mark parking
spaces, a return visit scheduled. Also a grid referral in progress, a red-risk case
handed to the subdistrict, a family dispute with a legal-aid referral, and closed cases
across categories and months for the dashboard.
"""

from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from housing.models import Estate, Person
from portal.models import Area, Organisation

from .categories import seed as seed_categories
from .models import Affiliation, Category, Dispute, Mediator
from .services import intake, mediation

FIRST_FACTS = "清怡院2号楼门前停车位争议：王鹏与赵花因车辆停放位置多次发生口角。"


def _user(username):
    return get_user_model().objects.get(username=username)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _category(code):
    return Category.objects.get(code=code)


def _mediators(admin, community):
    secretary = _user("secretary.tuanjie")
    police = Organisation.objects.get(name="辖区派出所（示例）")
    cadre = Mediator.objects.filter(community=community, user=secretary).first() or (
        mediation.mediator_add(
            actor=admin,
            community=community,
            name="马燕",
            affiliation=Affiliation.COMMUNITY_CADRE,
            user=secretary,
        )
    )
    officer = Mediator.objects.filter(
        community=community, user__username="mediator.tuanjie"
    ).first() or mediation.mediator_add(
        actor=admin,
        community=community,
        name="派出所调解员（演示）",
        affiliation=Affiliation.POLICE_STATION,
        user=_user("mediator.tuanjie"),
        organisation=police,
    )
    judicial = Mediator.objects.filter(
        community=community, name="司法所调解员（示例）"
    ).first() or (
        mediation.mediator_add(
            actor=admin,
            community=community,
            name="司法所调解员（示例）",
            affiliation=Affiliation.JUDICIAL_OFFICE,
            organisation=Organisation.objects.get(name="清真巷司法所（示例）"),
        )
    )
    return cadre, officer, judicial


def _parking_dispute(admin, community, today, cadre, officer):
    secretary = _user("secretary.tuanjie")
    wang, zhao = Person.objects.get(name="王鹏"), Person.objects.get(name="赵花")
    start = today - timedelta(days=40)
    dispute = intake.dispute_walk_in(
        actor=secretary,
        community=community,
        category=_category("neighbours"),
        facts=FIRST_FACTS,
        applicant=intake.PartyDetails(person=wang),
        respondent=intake.PartyDetails(person=zhao),
        estate=Estate.objects.get(name="清怡院"),
        place="清怡院2号楼门前",
        now=_at(start, 9),
    )
    intake.dispute_accept(actor=secretary, dispute=dispute, now=_at(start, 10))
    mediation.panel_confirm(
        actor=secretary,
        dispute=dispute,
        mediators=[cadre, officer],
        lead=cadre,
        now=_at(start, 10, 30),
    )
    first = mediation.session_schedule(
        actor=secretary,
        dispute=dispute,
        format="tea_talk",
        starts_at=_at(start + timedelta(2), 15),
        place="团结社区党委书记接诊室",
        parties=list(dispute.parties.all()),
        mediators=[cadre, officer],
        now=_at(start, 11),
    )
    mediation.session_record(
        actor=secretary,
        session=first,
        now=_at(start + timedelta(2), 17),
        minutes="茶话会：双方陈述停车困难，邀请楼栋居民共商停车规则。",
    )
    second = mediation.session_schedule(
        actor=secretary,
        dispute=dispute,
        format="on_site",
        starts_at=_at(start + timedelta(5), 10),
        place="清怡院2号楼门前",
        parties=list(dispute.parties.all()),
        mediators=[cadre],
        now=_at(start + timedelta(2), 18),
    )
    mediation.session_record(
        actor=secretary,
        session=second,
        now=_at(start + timedelta(5), 12),
        minutes="现场踏勘：商定在楼门前划设停车位，保留消防通道。",
    )
    mediation.agreement_record(
        actor=secretary,
        dispute=dispute,
        form="written",
        facts="双方因2号楼门前停车位置发生争议。",
        terms="一、由社区协调在2号楼门前划设停车位并标注；二、双方按位停放，保持单元门和消防通道畅通；"
        "三、今后如有争议，先到书记接诊室协商。",
        responsibilities="双方均有未按规停放情形。",
        performance_deadline=today - timedelta(days=20),
        effective_on=start + timedelta(days=5),
        now=_at(start + timedelta(5), 12, 30),
    )
    return dispute


@transaction.atomic
def load(*, today: date) -> list:
    """The clinic's demo cases, once."""
    if Dispute.objects.filter(facts=FIRST_FACTS).exists():
        return []
    seed_categories()  # the migration seeds them; a flushed test database may not have them
    admin = _user("admin")
    secretary = _user("secretary.tuanjie")
    grid_worker = _user("grid.tuanjie")
    community = Area.objects.get(name="团结社区")
    grid = Area.objects.get(name="团结社区第一网格（示例）")
    cadre, officer, judicial = _mediators(admin, community)

    _parking_dispute(admin, community, today, cadre, officer)

    intake.dispute_refer(
        actor=grid_worker,
        grid=grid,
        category=_category("neighbours"),
        facts="楼上漏水影响楼下住户，双方多次争吵（网格巡查发现）。",
        applicant=intake.PartyDetails(name="网格居民甲（示例）", phone="13800000101"),
        respondent=intake.PartyDetails(name="网格居民乙（示例）", phone="13800000102"),
        place="团结社区第一网格",
        now=_at(today - timedelta(days=2), 16),
    )
    intake.dispute_walk_in(
        actor=secretary,
        community=community,
        category=_category("property_management"),
        facts="多户业主与物业公司因停车收费发生群体性争执，情绪激动。",
        risk="red",
        applicant=intake.PartyDetails(name="业主代表（示例）", phone="13800000103"),
        now=_at(today - timedelta(days=1), 9),
    )
    family = intake.dispute_walk_in(
        actor=secretary,
        community=community,
        category=_category("elder_support"),
        facts="子女之间因赡养老人费用分担发生争执。",
        applicant=intake.PartyDetails(name="老人（示例）", phone="13800000104"),
        respondent=intake.PartyDetails(name="子女（示例）", phone="13800000105"),
        now=_at(today - timedelta(days=10), 9),
    )
    intake.dispute_accept(actor=secretary, dispute=family, now=_at(today - timedelta(days=10), 10))
    mediation.referral_add(
        actor=secretary,
        dispute=family,
        kind="legal_aid",
        party=family.parties.first(),
        provider="清真巷司法所法律援助工作站（示例）",
        reason="老人经济困难，追索赡养费，符合法律援助条件（法律援助法第三十一条）。",
        now=_at(today - timedelta(days=9), 10),
    )

    # Closed cases across categories and months, for the dashboard's figures.
    for months_ago, code, settled in [
        (2, "debt", True),
        (3, "marriage", False),
        (4, "neighbours", True),
        (5, "property_management", True),
        (7, "damages", False),
        (9, "family", True),
    ]:
        day = today - timedelta(days=30 * months_ago)
        dispute = intake.dispute_walk_in(
            actor=secretary,
            community=community,
            category=_category(code),
            facts=f"{_category(code).name}（演示，已办结）",
            applicant=intake.PartyDetails(name="当事人甲（示例）", phone="13800000110"),
            respondent=intake.PartyDetails(name="当事人乙（示例）", phone="13800000111"),
            now=_at(day, 9),
        )
        intake.dispute_accept(actor=secretary, dispute=dispute, now=_at(day, 10))
        mediation.panel_confirm(
            actor=secretary,
            dispute=dispute,
            mediators=[cadre, judicial],
            lead=cadre,
            now=_at(day, 10, 30),
        )
        session = mediation.session_schedule(
            actor=secretary,
            dispute=dispute,
            format="clinic",
            starts_at=_at(day + timedelta(1), 9),
            place="书记接诊室",
            mediators=[cadre],
            now=_at(day, 11),
        )
        mediation.session_record(
            actor=secretary,
            session=session,
            minutes="调解记录（演示）",
            now=_at(day + timedelta(1), 11),
        )
        if settled:
            mediation.agreement_record(
                actor=secretary,
                dispute=dispute,
                form="oral",
                facts="（演示）",
                terms="双方达成口头协议（演示）",
                effective_on=day + timedelta(days=1),
                now=_at(day + timedelta(1), 12),
            )
            mediation.dispute_close(
                actor=secretary, dispute=dispute, now=_at(day + timedelta(20), 9)
            )
        else:
            mediation.mediation_fail(
                actor=secretary,
                dispute=dispute,
                reason="双方分歧较大",
                referral_kind="court",
                now=_at(day + timedelta(3), 9),
            )
    return []
