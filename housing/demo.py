"""Demo estates of Tuanjie and Xiaoyangquan North, built through the housing services.

Tuanjie: Qingyi courtyard (清怡院) in mixed 1+3+N mode with its roster, Wang Peng and
Zhao Hua as households there; an entrusted estate with a property company and a
review; a self-managed courtyard; a past desk visit with three issues (solved on the
spot, collective study, escalated to Qingzhenxiang subdistrict) and one coming up.
Xiaoyangquan North: Shengzeyuan (盛泽园) and two neighbouring estates of 6–7-storey
buildings without lifts, 20 units, every flat with its floor area and an owner; Hu
Taolan and Master Jing as owners in the same unit. Names the source does not give are
placeholders marked （示例）. ID numbers are synthetic, with valid check characters.
"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from portal.models import Area, Organisation
from portal.personal import id_check_character
from portal.roles import OrganisationType

from .models import (
    DeskVisit,
    Estate,
    HouseholdClaim,
    ManagementMode,
    Relation,
    RosterRole,
)
from .services import desk, governance, registry

PROPERTY_COMPANY = "团结社区物业服务公司（示例）"


def _user(username):
    return get_user_model().objects.get(username=username)


def _id_number(region: str, n: int, birth: date) -> str:
    first17 = f"{region}{birth:%Y%m%d}{900 + n % 100:03d}"
    return first17 + id_check_character(first17)


def _flats(estate, *, buildings, units, floors, start_area=Decimal("58.00")):
    """Buildings × units × floors × 2 flats; returns the households in order."""
    flats = []
    for b in range(1, buildings + 1):
        building = registry.building_ensure(
            estate=estate, number=f"{b}号楼", floors=floors + (b % 2), year_built=1998
        )
        for u in range(1, units + 1):
            unit = registry.unit_ensure(building=building, number=f"{u}单元")
            for floor in range(1, unit.floors + 1):
                for room in (1, 2):
                    flats.append(
                        registry.household_ensure(
                            unit=unit,
                            room_number=f"{floor}0{room}",
                            floor=floor,
                            area_m2=start_area + floor * Decimal("1.5") + room * 7,
                        )
                    )
    return flats


def _people(admin, estate, flats, region, named: dict[int, str]):
    """One owner per flat: `named` gives real names by flat index, others are numbered."""
    people = {}
    for i, flat in enumerate(flats):
        name = named.get(i, f"{estate.name}住户{i + 1}（示例）")
        birth = date(1940, 1, 1) + timedelta(days=97 * i + 29 * estate.pk)
        number = _id_number(region, i, birth)
        person = registry.find_person_by_id(number) or registry.person_create(
            actor=admin,
            community=estate.community,
            name=name,
            id_number=number,
            household=flat,
            relation=Relation.OWNER,
            check_scope=False,
        )
        people[i] = person
    return people


def _bind(user, person, flat):
    """The demo resident account is a verified owner of its flat."""
    if person.user_id is None:
        person.user = user
        person.save(update_fields=["user"])
    HouseholdClaim.objects.get_or_create(
        user=user,
        household=flat,
        relation=Relation.OWNER,
        state=HouseholdClaim.State.APPROVED,
        defaults={"owner_name": person.name, "owner_id_last4": person.id_number_masked[-4:]},
    )


def _tuanjie(admin, today):
    community = Area.objects.get(name="团结社区")
    grid = Area.objects.get(name="团结社区第一网格（示例）")
    secretary = _user("secretary.tuanjie")
    company, _ = Organisation.objects.get_or_create(
        name=PROPERTY_COMPANY,
        defaults={
            "type": OrganisationType.PROPERTY_COMPANY,
            "area": community,
            "is_placeholder": True,
        },
    )
    since = today - timedelta(days=700)

    qingyi = registry.estate_create(
        actor=admin,
        community=community,
        name="清怡院",
        grid=grid,
        address="清真巷街道团结社区",
        has_party_branch=True,
        owners_committee_founded_on=since,
    )
    flats = _flats(qingyi, buildings=2, units=2, floors=5)
    people = _people(admin, qingyi, flats, "630102", {0: "王鹏", 2: "赵花", 5: "马淑兰"})
    governance.estate_mode_change(
        actor=admin,
        estate=qingyi,
        mode=ManagementMode.MIXED,
        reason="停车、物业矛盾多，实行“1+3+N”混合管理",
        changed_on=since,
    )
    for role, holder in [
        (RosterRole.PARTY_BRANCH_SECRETARY, {"person": people[5]}),
        (RosterRole.COMMITTEE_CHAIR, {"person": people[3]}),
        (RosterRole.PROPERTY_MANAGER, {"organisation": company}),
        (RosterRole.GRID_HEAD, {"name": "团结社区网格员（演示）"}),
        (RosterRole.BUILDING_HEAD, {"person": people[7], "building": flats[7].unit.building}),
        (RosterRole.PARTY_MEMBER, {"person": people[9]}),
        (RosterRole.VOLUNTEER, {"name": "红马甲志愿者（示例）"}),
    ]:
        governance.roster_add(actor=admin, estate=qingyi, role=role, started_on=since, **holder)
    _bind(_user("resident.wangpeng"), people[0], flats[0])
    _bind(_user("resident.zhaohua"), people[2], flats[2])

    entrusted = registry.estate_create(
        actor=admin,
        community=community,
        name="团结社区物业小区（示例）",
        property_company=company,
        has_party_branch=True,
    )
    _people(admin, entrusted, _flats(entrusted, buildings=1, units=2, floors=6), "630102", {})
    governance.estate_mode_change(
        actor=admin,
        estate=entrusted,
        mode=ManagementMode.ENTRUSTED,
        reason="物业公司服务到位，居民认可",
        changed_on=since,
    )
    governance.roster_add(
        actor=admin,
        estate=entrusted,
        role=RosterRole.PARTY_LIAISON,
        started_on=since,
        name="社区党委联络员（示例）",
    )
    governance.review_add(
        actor=secretary,
        estate=entrusted,
        company=company,
        reviewed_on=today - timedelta(days=40),
        security=4,
        cleaning=3,
        maintenance=4,
        responsiveness=5,
        problems_raised="部分业主拖欠物业费，车辆乱停",
        help_given="社区党委协调召开业主座谈会，张贴停车公约",
    )

    courtyard = registry.estate_create(
        actor=admin,
        community=community,
        name="团结社区自管院落（示例）",
        owners_committee_founded_on=since,
    )
    yard_flats = _flats(courtyard, buildings=1, units=1, floors=4)
    yard_people = _people(admin, courtyard, yard_flats, "630102", {})
    governance.estate_mode_change(
        actor=admin,
        estate=courtyard,
        mode=ManagementMode.SELF_MANAGED,
        reason="规模小，无物业企业入驻，矛盾少",
        changed_on=since,
    )
    governance.roster_add(
        actor=admin,
        estate=courtyard,
        role=RosterRole.BUILDING_HEAD,
        started_on=since,
        person=yard_people[0],
        building=yard_flats[0].unit.building,
    )

    held = timezone.make_aware(datetime.combine(today - timedelta(days=7), time(9, 30)))
    visit = DeskVisit.objects.create(
        estate=qingyi, scheduled_at=held, held=True, note="流动办公桌进院落", created_by=secretary
    )
    visit.staff.add(secretary, _user("grid.tuanjie"))
    for category, text, resolution in [
        ("parking", "2号楼门前车辆乱停，堵住单元门", desk.Resolution.SOLVED_ON_SPOT),
        ("facilities", "院内路灯损坏，老人夜间出行不便", desk.Resolution.COLLECTIVE_STUDY),
        ("property_service", "物业费调价争议，需街道协调", desk.Resolution.ESCALATED),
    ]:
        desk.desk_visit_record_issue(
            actor=secretary,
            visit=visit,
            category=category,
            description=text,
            resolution=resolution,
            now=held + timedelta(minutes=30),
        )
    upcoming = timezone.make_aware(datetime.combine(today + timedelta(days=5), time(9, 30)))
    desk.desk_visit_schedule(
        actor=secretary,
        estate=courtyard,
        scheduled_at=upcoming,
        staff=[secretary],
        note="流动办公桌（演示）",
    )


def _xiaoyangquan(admin):
    community = Area.objects.get(name="小阳泉北社区")
    flats_by_estate = {}
    for name, buildings in [
        ("盛泽园", 4),
        ("小阳泉北社区东院（示例）", 3),
        ("小阳泉北社区西院（示例）", 3),
    ]:
        estate = registry.estate_create(actor=admin, community=community, name=name)
        flats_by_estate[name] = _flats(estate, buildings=buildings, units=2, floors=6)
        named = {11: "胡桃兰", 0: "荆师傅"} if name == "盛泽园" else {}
        people = _people(admin, estate, flats_by_estate[name], "140302", named)
        for i, flat in enumerate(flats_by_estate[name]):
            # Most flats house a couple: the residents who benefit from an elevator.
            if i % 7 != 6:
                registry.person_create(
                    actor=admin,
                    community=community,
                    name=f"{people[i].name}家属",
                    household=flat,
                    relation=Relation.FAMILY,
                    check_scope=False,
                )
        if name == "盛泽园":
            _bind(_user("resident.hu"), people[11], flats_by_estate[name][11])
            _bind(_user("resident.jing"), people[0], flats_by_estate[name][0])


@transaction.atomic
def load(*, today: date) -> list:
    """The estates of the demo, once: an estate already there is left as it is."""
    if Estate.objects.filter(name__in=["清怡院", "盛泽园"]).count() == 2:
        return []
    admin = _user("admin")
    if not Estate.objects.filter(name="清怡院").exists():
        _tuanjie(admin, today)
    if not Estate.objects.filter(name="盛泽园").exists():
        _xiaoyangquan(admin)
    return []
