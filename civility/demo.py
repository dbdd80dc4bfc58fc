"""Rui'an's civilized-city creation, Tuanjie's lecture group and Huaying's safety tour,
for the demo (DOMAIN.md Part 1 §1, §2, §4).

Rui'an (瑞安市): the national 140-item set and the local 65-item set that replaced it
(items beyond the source's kitchen checks are synthetic, marked （示例）, some mapped to
the old items they replace); the three departments of the joint team and the two
subdistrict offices that answer for the sites (the source names none of them, so all
are placeholders); six joint kitchen inspections ("at most one visit") whose findings
are mostly fixed on the spot, each with a small after-photo, some handed over verbally,
and one deadline rectification that became a supervision order, was replied to by the
subdistrict office and closed after a re-check; and 24 months of history in which the
problems sent to the district platform fall from 240 to 120 (−50%).

Tuanjie (团结社区): the 22-member "一家亲" policy lecture group (members by role only)
and its lectures and booklet hand-outs. Huaying (华蓥市 › 禄市镇): the June
electricity-safety tour of schools, including 18 June at 禄市镇占云小学, with audiences
and minors as counts only and booklets handed out.

The history is many rows, so it is written in bulk: one reserved block of reference
numbers per year and one insert per table. The supervision order goes through the
case kit as a user would.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from PIL import Image

from portal.demo import DemoAccount, ensure_demo_user
from portal.models import Area, Case, Membership, Organisation, TimelineEntry
from portal.roles import OrganisationType, Role
from portal.services.attachments import attachment_add
from portal.services.cases import case_close, case_open, case_transition, references_reserve

from .models import (
    Answer,
    Category,
    CriteriaSet,
    Criterion,
    EventType,
    Finding,
    FindingStatus,
    Inspection,
    Mode,
    OrderLevel,
    OrderStatus,
    OutreachEvent,
    OutreachTeam,
    PlaceType,
    Resolution,
    Result,
    Severity,
    Site,
    SiteType,
    SupervisionOrder,
    TeamMember,
)

RUIAN = "瑞安市"
ANYANG = "安阳街道"
YUHAI = "玉海街道"
ANYANG_COMMUNITY = "安阳街道社区（示例）"
YUHAI_COMMUNITY = "玉海街道社区（示例）"
TUANJIE = "团结社区"
HUAYING = "华蓥市"
LUSHI = "禄市镇"
LUSHI_COMMUNITY = "禄市镇社区（示例）"

NATIONAL_SET = "全国文明城市测评体系（140项，示例）"
LOCAL_SET = "瑞安市文明城市创建测评标准（65项）"
NATIONAL_FROM = date(2021, 1, 1)
LOCAL_FROM = date(2024, 1, 1)

MARKET_SUPERVISION = "瑞安市市场监督管理局（示例）"
LAW_ENFORCEMENT = "瑞安市综合行政执法局（示例）"
FIRE = "瑞安市消防救援大队（示例）"
DEPARTMENTS = (MARKET_SUPERVISION, LAW_ENFORCEMENT, FIRE)
ANYANG_OFFICE = "安阳街道办事处（示例）"
YUHAI_OFFICE = "玉海街道办事处（示例）"
UNIT_ACCOUNT = "unit.anyang"
INSPECTOR = "inspector.ruian"

LECTURE_GROUP = "“一家亲”政策宣讲团"
LECTURE_GROUP_SIZE = 22
TOUR_TEAM = "华蓥市农村用电安全宣讲队（示例）"
ZHANYUN_SCHOOL = "禄市镇占云小学"

# Problems sent to the district platform: the 12 months before and the last 12 months.
PLATFORM_BEFORE = 240
PLATFORM_LAST = 120

SITE_TYPES_OF = {
    Category.CATERING: [SiteType.RESTAURANT],
    Category.MARKET: [SiteType.MARKET],
    Category.BACK_STREET: [SiteType.STREET],
    Category.ESTATE: [SiteType.ESTATE],
    Category.TOILET: [SiteType.TOILET],
    Category.OTHER: [t.value for t in SiteType],
}

# The items the source and the farmers'-market standard name; the rest are synthetic.
NAMED_ITEMS = {
    Category.CATERING: [
        "后厨地面、墙面、操作台清洁，无油污积垢",
        "餐具清洗消毒设施正常运行，消毒记录完整",
        "消毒后餐具存放于密闭保洁柜",
        "厨余垃圾与其他垃圾分类投放，容器加盖",
        "灭火器、灭火毯配备齐全且在有效期内",
        "燃气管道及报警装置完好，无私拉乱接",
        "油烟净化设施正常使用，定期清洗并有记录",
        "从业人员持有效健康证明，穿戴整洁",
        "食品原料分类存放，生熟分开",
        "门前无占道经营、无乱堆放",
    ],
    Category.MARKET: [
        "市场内公益广告不少于5处",
        "设置公平秤并正常使用",
        "设立投诉点并公示投诉电话",
        "行业规范、文明公约上墙公示",
        "经营户亮证经营",
        "垃圾分类收集，地面无积水垃圾",
        "市场公厕整洁无异味",
        "无占道经营、无乱贴小广告",
        "从业人员持健康证明",
        "活禽经营区域与其他区域隔离",
    ],
    Category.BACK_STREET: [
        "路面平整，无坑洼破损",
        "无乱堆乱放、乱搭乱建",
        "无乱贴乱画、小广告",
        "垃圾桶设置合理，清运及时",
        "路灯完好，夜间照明正常",
        "非机动车有序停放",
        "沿街店铺落实门前三包",
        "公益广告设置规范",
    ],
    Category.ESTATE: [
        "小区公益广告宣传栏不少于一处",
        "楼道整洁，无杂物堆放",
        "消防通道畅通",
        "垃圾分类设施齐全，分类投放",
        "绿化养护良好，无毁绿种菜",
        "车辆停放有序",
        "无违章搭建",
        "物业服务内容和收费公示",
    ],
    Category.TOILET: [
        "公厕内外整洁无异味",
        "洗手液、手纸等设施完好、供应充足",
        "无障碍设施完好",
        "保洁制度和管理人员公示",
        "标识清晰规范",
    ],
    Category.OTHER: [
        "社会主义核心价值观宣传到位",
        "志愿服务站点设置规范",
    ],
}
CODE_LETTER = {
    Category.CATERING: "C",
    Category.MARKET: "M",
    Category.BACK_STREET: "S",
    Category.ESTATE: "E",
    Category.TOILET: "T",
    Category.OTHER: "O",
}
NATIONAL_SIZES = {
    Category.CATERING: 28,
    Category.MARKET: 30,
    Category.BACK_STREET: 28,
    Category.ESTATE: 28,
    Category.TOILET: 14,
    Category.OTHER: 12,
}
LOCAL_SIZES = {
    Category.CATERING: 14,
    Category.MARKET: 14,
    Category.BACK_STREET: 12,
    Category.ESTATE: 12,
    Category.TOILET: 7,
    Category.OTHER: 6,
}

FIX, VERBAL, SELF, DEADLINE = (
    Resolution.FIXED_ON_SPOT,
    Resolution.VERBAL,
    Resolution.SELF_FIX,
    Resolution.DEADLINE,
)
# (restaurant, community, responsible unit, days ago, [(failed criterion, resolution)])
KITCHENS = [
    (
        "安阳街道示例海鲜大排档（示例）",
        ANYANG_COMMUNITY,
        ANYANG_OFFICE,
        40,
        [("C01", FIX), ("C05", FIX), ("C07", DEADLINE)],
    ),
    (
        "安阳街道示例面馆（示例）",
        ANYANG_COMMUNITY,
        ANYANG_OFFICE,
        33,
        [("C02", FIX), ("C04", VERBAL)],
    ),
    (
        "安阳街道示例酒楼（示例）",
        ANYANG_COMMUNITY,
        ANYANG_OFFICE,
        26,
        [("C04", FIX), ("C05", FIX), ("C01", FIX)],
    ),
    (
        "玉海街道示例快餐店（示例）",
        YUHAI_COMMUNITY,
        YUHAI_OFFICE,
        19,
        [("C03", FIX), ("C08", SELF)],
    ),
    ("玉海街道示例小吃店（示例）", YUHAI_COMMUNITY, YUHAI_OFFICE, 12, [("C05", FIX), ("C04", FIX)]),
    ("玉海街道示例饭店（示例）", YUHAI_COMMUNITY, YUHAI_OFFICE, 5, [("C01", FIX), ("C06", VERBAL)]),
]
ORDER_CRITERION = "C07"
ORDER_REPLY = "已更换油烟净化器滤网并委托第三方清洗烟道，附清洗记录和整改后照片。"

# (site type, name stem, how many per community, the unit that answers for them)
HISTORY_SITES = [
    (SiteType.STREET, "背街小巷", 3, LAW_ENFORCEMENT),
    (SiteType.MARKET, "农贸市场", 1, MARKET_SUPERVISION),
    (SiteType.ESTATE, "小区", 3, None),
    (SiteType.TOILET, "公厕", 2, None),
    (SiteType.RESTAURANT, "餐馆", 3, None),
]


def moment(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _organisation(name: str, type_: str, area: Area) -> Organisation:
    organisation, _created = Organisation.objects.get_or_create(
        name=name, defaults={"type": type_, "area": area, "is_placeholder": True}
    )
    return organisation


def _organisations() -> dict[str, Organisation]:
    city = Area.objects.get(name=RUIAN)
    made = {name: _organisation(name, OrganisationType.DEPARTMENT, city) for name in DEPARTMENTS}
    for name, area in ((ANYANG_OFFICE, ANYANG), (YUHAI_OFFICE, YUHAI)):
        subdistrict = Area.objects.get(name=area, path__startswith=city.path)
        made[name] = _organisation(name, OrganisationType.SUBDISTRICT_OFFICE, subdistrict)
    return made


def _accounts(organisations) -> list[DemoAccount]:
    user = ensure_demo_user(UNIT_ACCOUNT, display_name="安阳街道办事处创建专员（演示）")
    Membership.objects.get_or_create(
        user=user,
        role=Role.ORGANISATION_MEMBER,
        organisation=organisations[ANYANG_OFFICE],
        ended_at=None,
    )
    return [DemoAccount(UNIT_ACCOUNT, Role.ORGANISATION_MEMBER.label, ANYANG_OFFICE)]


# --- Bulk helpers (also used by the load generator) -----------------------------------


def bulk_criteria_set(area: Area, name: str, valid_from: date, items, previous=None):
    """A set and its criteria; `items` are (code, category, text) tuples."""
    criteria_set = CriteriaSet.objects.create(
        area=area, name=name, valid_from=valid_from, previous=previous
    )
    criteria = Criterion.objects.bulk_create(
        Criterion(
            criteria_set=criteria_set,
            code=code,
            category=category,
            text=text,
            weight=1,
            site_types=SITE_TYPES_OF[category],
        )
        for code, category, text in items
    )
    return criteria_set, criteria


@dataclass
class VisitSpec:
    """One inspection to write in bulk."""

    site: Site
    criteria_set: CriteriaSet
    mode: str
    day: date


def bulk_inspections(specs: list[VisitSpec], *, inspector, departments=()) -> list[Inspection]:
    inspections = Inspection.objects.bulk_create(
        Inspection(
            site=s.site,
            criteria_set=s.criteria_set,
            mode=s.mode,
            inspected_on=s.day,
            started_by=inspector,
            started_at=moment(s.day, 9),
            finished_at=moment(s.day, 11),
        )
        for s in specs
    )
    if inspector is not None:
        Inspection.inspectors.through.objects.bulk_create(
            Inspection.inspectors.through(inspection_id=i.pk, user_id=inspector.pk)
            for i in inspections
        )
    Inspection.departments.through.objects.bulk_create(
        Inspection.departments.through(inspection_id=i.pk, organisation_id=d.pk)
        for i in inspections
        if i.mode == Mode.JOINT
        for d in departments
    )
    return inspections


@dataclass
class FindingSpec:
    """One finding to write in bulk, with its case."""

    inspection: Inspection
    criterion: Criterion
    resolution: str
    severity: str = Severity.MINOR
    open_days: int = 7  # a deadline rectification's days to the deadline
    now: datetime | None = None

    @property
    def filed_at(self) -> datetime:
        return moment(self.inspection.inspected_on, 10, 30)

    @property
    def settled_on_the_visit(self) -> bool:
        return self.resolution != Resolution.DEADLINE

    @property
    def due_on(self) -> date:
        return self.inspection.inspected_on + timedelta(days=self.open_days)

    @property
    def resolved_at(self) -> datetime | None:
        if self.settled_on_the_visit:
            return moment(self.inspection.inspected_on, 11)
        closed = moment(self.due_on, 15)
        return closed if self.now is None or closed <= self.now else None


def bulk_findings(specs: list[FindingSpec], *, handler) -> list[Finding]:
    """Cases, findings, their fail answers and timeline entries: a few bulk inserts.
    Deadline rectifications are sent to the platform; those still within their
    deadline stay open."""
    references = references_reserve("WT", [s.filed_at for s in specs])
    cases = Case.objects.bulk_create(
        Case(
            kind="civility.finding",
            reference=reference,
            title=f"{s.inspection.site.name}：{s.criterion.text}"[:200],
            status=FindingStatus.RESOLVED if s.resolved_at else FindingStatus.RECTIFYING,
            community=s.inspection.site.area,
            organisation=s.inspection.site.responsible_unit,
            handler=handler,
            due_at=None if s.settled_on_the_visit else moment(s.due_on, 18),
            created_at=s.filed_at,
            closed_at=s.resolved_at,
        )
        for s, reference in zip(specs, references, strict=True)
    )
    findings = Finding.objects.bulk_create(
        Finding(
            case=case,
            inspection=s.inspection,
            criterion=s.criterion,
            site=s.inspection.site,
            severity=s.severity,
            resolution=s.resolution,
            rectify_by=None if s.settled_on_the_visit else s.due_on,
            sent_to_platform=not s.settled_on_the_visit,
            resolved_at=s.resolved_at,
        )
        for s, case in zip(specs, cases, strict=True)
    )
    Answer.objects.bulk_create(
        Answer(
            inspection=s.inspection,
            criterion=s.criterion,
            result=Result.FAIL,
            answered_by=handler,
            answered_at=s.filed_at,
        )
        for s in specs
    )
    Verb = TimelineEntry.Verb
    TimelineEntry.objects.bulk_create(
        [
            TimelineEntry(
                case=case,
                verb=Verb.REPORTED,
                actor=handler,
                status_after=FindingStatus.OPEN,
                at=case.created_at,
            )
            for case in cases
        ]
        + [
            TimelineEntry(
                case=case,
                verb=Verb.CLOSED,
                actor=handler,
                status_after=case.status,
                at=case.closed_at,
            )
            for case in cases
            if case.closed_at
        ]
    )
    return findings


def applicable(criteria, site_type: str) -> list[Criterion]:
    return [c for c in criteria if site_type in c.site_types]


# --- Rui'an ---------------------------------------------------------------------------


def _items(sizes: dict, prefix: str, label: str) -> list[tuple[str, str, str]]:
    items = []
    for category, size in sizes.items():
        named = NAMED_ITEMS[category]
        for n in range(1, size + 1):
            text = (
                named[n - 1]
                if n <= len(named)
                else f"{Category(category).label}{label}测评项{n}（示例）"
            )
            items.append((f"{prefix}{CODE_LETTER[category]}{n:02d}", category, text))
    return items


def _criteria(city: Area) -> tuple[CriteriaSet, CriteriaSet]:
    national, old = bulk_criteria_set(
        city, NATIONAL_SET, NATIONAL_FROM, _items(NATIONAL_SIZES, "N-", "（原）")
    )
    local, new = bulk_criteria_set(
        city, LOCAL_SET, LOCAL_FROM, _items(LOCAL_SIZES, "", "（优化）"), previous=national
    )
    # Each named local item replaces its national namesake; the first two of each
    # category also absorb a national item that was dropped as a separate point.
    by_code = {c.code: c for c in old}
    through = Criterion.replaces.through
    links = []
    for criterion in new:
        n = int(criterion.code[1:])
        letter = criterion.code[0]
        category = next(k for k, v in CODE_LETTER.items() if v == letter)
        if n > len(NAMED_ITEMS[category]):
            continue
        links.append((criterion.pk, by_code[f"N-{letter}{n:02d}"].pk))
        if n <= 2:
            absorbed = by_code.get(f"N-{letter}{LOCAL_SIZES[category] + n:02d}")
            if absorbed:
                links.append((criterion.pk, absorbed.pk))
    through.objects.bulk_create(
        through(from_criterion_id=new_pk, to_criterion_id=old_pk) for new_pk, old_pk in links
    )
    return national, local


def _site(name, type_, community, unit) -> Site:
    return Site(
        area=community,
        type=type_,
        name=name,
        address=f"瑞安市{name.split('（')[0]}",
        responsible_unit=unit,
    )


def after_photo(n: int) -> SimpleUploadedFile:
    """A tiny generated PNG standing in for the photo taken after the fix."""
    out = io.BytesIO()
    Image.new("RGB", (16, 12), (40 + 20 * (n % 8), 140, 90)).save(out, "PNG")
    return SimpleUploadedFile(f"整改后照片{n}.png", out.getvalue(), content_type="image/png")


def _kitchens(today, local, communities, organisations, inspector, unit_user) -> None:
    sites = Site.objects.bulk_create(
        _site(name, SiteType.RESTAURANT, communities[community], organisations[unit])
        for name, community, unit, _days, _fails in KITCHENS
    )
    departments = [organisations[name] for name in DEPARTMENTS]
    visits = [
        VisitSpec(site, local, Mode.JOINT, today - timedelta(days=days))
        for site, (_n, _c, _u, days, _f) in zip(sites, KITCHENS, strict=True)
    ]
    inspections = bulk_inspections(visits, inspector=inspector, departments=departments)
    criteria = {c.code: c for c in Criterion.objects.filter(criteria_set=local)}
    checklist = applicable(criteria.values(), SiteType.RESTAURANT)
    specs = [
        FindingSpec(
            inspection,
            criteria[code],
            resolution,
            severity=Severity.MAJOR if resolution == DEADLINE else Severity.MINOR,
            open_days=10,
            # The deadline rectification stays open until the order's re-check closes it.
            now=moment(inspection.inspected_on, 12),
        )
        for inspection, (_n, _c, _u, _d, fails) in zip(inspections, KITCHENS, strict=True)
        for code, resolution in fails
    ]
    findings = bulk_findings(specs, handler=inspector)
    failed = {(s.inspection.pk, s.criterion.pk) for s in specs}
    Answer.objects.bulk_create(
        Answer(
            inspection=inspection,
            criterion=criterion,
            result=Result.PASS,
            answered_by=inspector,
            answered_at=moment(inspection.inspected_on, 10),
        )
        for inspection in inspections
        for criterion in checklist
        if (inspection.pk, criterion.pk) not in failed
    )
    fixed = [f for f in findings if f.resolution == FIX]
    for n, finding in enumerate(fixed, start=1):
        finding.after_photo = attachment_add(
            case=finding.case, actor=inspector, upload=after_photo(n), is_public=False
        )
    Finding.objects.bulk_update(fixed, ["after_photo"])
    order_finding = next(f for f in findings if f.criterion.code == ORDER_CRITERION)
    _supervision_order(order_finding, inspector, unit_user, local)


def _supervision_order(finding: Finding, inspector, unit_user, local) -> None:
    """The deadline rectification that became an order: issued, replied, re-checked and
    closed, through the case kit."""
    inspected = finding.inspection.inspected_on
    site = finding.site
    issued = moment(inspected + timedelta(days=1), 9)
    deadline = inspected + timedelta(days=10)
    case = case_open(
        kind="civility.order",
        actor=inspector,
        community=site.area,
        title=f"督办单：{site.name}油烟净化设施整改",
        comment="联合指导中发现油烟净化设施未正常使用，限期整改。",
        now=issued,
    )
    case.organisation = site.responsible_unit
    case.due_at = moment(deadline, 18)
    case.save(update_fields=["organisation", "due_at", "updated_at"])
    order = SupervisionOrder.objects.create(
        case=case,
        responsible_unit=site.responsible_unit,
        level=OrderLevel.YELLOW,
        deadline=deadline,
        requirements="清洗油烟净化设施和烟道，建立清洗记录，整改后拍照回复。",
    )
    finding.order = order
    finding.save(update_fields=["order"])
    case_transition(
        case=finding.case,
        actor=inspector,
        status=FindingStatus.ORDERED,
        comment=f"纳入督办单 {case.reference}。",
        now=issued,
    )
    replied = moment(inspected + timedelta(days=7), 16)
    case_transition(
        case=case,
        actor=unit_user,
        status=OrderStatus.REPLIED,
        comment=ORDER_REPLY,
        public=True,
        now=replied,
    )
    order.reply, order.replied_at, order.replied_by = ORDER_REPLY, replied, unit_user
    rechecked = moment(inspected + timedelta(days=9), 10)
    (recheck,) = bulk_inspections(
        [VisitSpec(site, local, Mode.RECHECK, rechecked.date())], inspector=inspector
    )
    Answer.objects.create(
        inspection=recheck,
        criterion=finding.criterion,
        result=Result.PASS,
        note="回头看：油烟净化设施已清洗并正常运行。",
        answered_by=inspector,
        answered_at=rechecked,
    )
    order.rechecked_at = rechecked
    order.save(update_fields=["reply", "replied_at", "replied_by", "rechecked_at"])
    case_close(
        case=case,
        actor=inspector,
        status=OrderStatus.CLOSED,
        comment="回头看合格，督办单办结。",
        now=rechecked,
    )
    case_close(
        case=finding.case,
        actor=inspector,
        status=FindingStatus.RESOLVED,
        comment="回头看合格。",
        now=rechecked,
    )
    Finding.objects.filter(pk=finding.pk).update(resolved_at=rechecked)


def _history(today, national, local, communities, organisations, inspector) -> None:
    """24 months of inspections: covert ones a year and more ago whose problems all went
    to the platform, joint ones in the last 12 months that fix most on the spot."""
    sites = []
    for community, office in ((ANYANG_COMMUNITY, ANYANG_OFFICE), (YUHAI_COMMUNITY, YUHAI_OFFICE)):
        for type_, stem, count, unit in HISTORY_SITES:
            for n in range(1, count + 1):
                name = f"{community.split('社区')[0]}示例{stem}{n}号（示例）"
                sites.append(
                    _site(name, type_, communities[community], organisations[unit or office])
                )
    sites = Site.objects.bulk_create(sites)
    criteria = {
        s.pk: list(Criterion.objects.filter(criteria_set=s).order_by("code"))
        for s in (national, local)
    }

    def set_on(day: date) -> CriteriaSet:
        return local if day >= LOCAL_FROM else national

    # The curated kitchen order is one of the last 12 months' platform problems.
    before, last = PLATFORM_BEFORE // 2, PLATFORM_LAST - 1
    visits = [
        VisitSpec(sites[k % len(sites)], None, Mode.COVERT, today - timedelta(days=d))
        for k, d in enumerate(_spread(before, 366, 729))
    ] + [
        VisitSpec(sites[(k * 7) % len(sites)], None, Mode.JOINT, today - timedelta(days=d))
        for k, d in enumerate(_spread(last, 1, 364))
    ]
    for visit in visits:
        visit.criteria_set = set_on(visit.day)
    departments = [organisations[name] for name in DEPARTMENTS]
    inspections = bulk_inspections(visits, inspector=inspector, departments=departments)
    now = moment(today, 12)
    specs = []
    settled_cycle = (FIX, FIX, VERBAL, FIX, SELF)
    for k, inspection in enumerate(inspections):
        checklist = applicable(criteria[inspection.criteria_set_id], inspection.site.type)
        picks = [checklist[(k * 3 + j * 5) % len(checklist)] for j in range(3)]
        if inspection.mode == Mode.COVERT:
            plan = [(picks[0], DEADLINE), (picks[1], DEADLINE)]
        else:
            plan = [
                (picks[0], DEADLINE),
                (picks[1], settled_cycle[k % len(settled_cycle)]),
                (picks[2], settled_cycle[(k + 1) % len(settled_cycle)]),
            ]
        seen = set()
        for criterion, resolution in plan:
            if criterion.pk in seen:
                continue
            seen.add(criterion.pk)
            specs.append(FindingSpec(inspection, criterion, resolution, now=now))
    bulk_findings(specs, handler=inspector)


def _spread(count: int, first: int, last: int) -> list[int]:
    """`count` day offsets spread evenly from `first` to `last`."""
    if count == 1:
        return [first]
    return [first + (last - first) * k // (count - 1) for k in range(count)]


def _ruian(today: date) -> None:
    city = Area.objects.get(name=RUIAN)
    organisations = _organisations()
    users = get_user_model().objects
    inspector = users.get(username=INSPECTOR)
    unit_user = users.get(username=UNIT_ACCOUNT)
    communities = {
        name: Area.objects.get(name=name, path__startswith=city.path)
        for name in (ANYANG_COMMUNITY, YUHAI_COMMUNITY)
    }
    national, local = _criteria(city)
    _kitchens(today, local, communities, organisations, inspector, unit_user)
    _history(today, national, local, communities, organisations, inspector)


# --- Tuanjie and Huaying outreach --------------------------------------------------------

LECTURE_ROLES = [
    ("社区党委委员", 3),
    ("社区居委会干部", 4),
    ("网格员", 4),
    ("党员志愿者", 6),
    ("宗教界人士", 2),
    ("辖区单位代表", 3),
]
# (days ago, type, theme, place, audience, minors, materials)
LECTURES = [
    (
        80,
        EventType.LECTURE,
        "“石榴籽家园”民族团结政策宣讲",
        "团结社区党群服务中心（示例）",
        96,
        0,
        60,
    ),
    (52, EventType.LECTURE, "民法典与邻里纠纷调解知识宣讲", "清怡院", 64, 0, 40),
    (
        30,
        EventType.BOOKLETS,
        "发放民族团结知识手册和问答口袋书",
        "团结社区各小区（示例）",
        210,
        12,
        300,
    ),
    (18, EventType.LECTURE, "惠民政策“一家亲”进楼栋", "团结社区党群服务中心（示例）", 72, 0, 50),
    (
        6,
        EventType.LECTURE,
        "“石榴籽家园”青少年民族团结故事会",
        "团结社区党群服务中心（示例）",
        58,
        35,
        58,
    ),
]
# (June day, area, place type, place, audience, minors, booklets)
TOUR = [
    (10, LUSHI, PlaceType.SCHOOL, "禄市镇中心小学（示例）", 320, 298, 340),
    (14, HUAYING, PlaceType.SCHOOL, "华蓥市示例村小（示例）", 86, 80, 90),
    (18, LUSHI, PlaceType.SCHOOL, ZHANYUN_SCHOOL, 210, 196, 220),
    (21, LUSHI_COMMUNITY, PlaceType.COMMUNITY, "禄市镇社区广场（示例）", 140, 20, 260),
]
TOUR_THEME = "安全生产月：农村用电安全进校园"
TOUR_NOTE = (
    "发放宣传单和安全用电手册，播放《农村用电安全警示》宣传片，讲解安全用电、保护电力"
    "设施、触电急救和电气火灾处置知识。留守儿童较多，仅记录人数。"
)


def _team(area: Area, name: str, roster: list[tuple[str, str]]) -> OutreachTeam:
    team = OutreachTeam.objects.create(area=area, name=name)
    TeamMember.objects.bulk_create(
        TeamMember(team=team, name=member, affiliation=affiliation)
        for member, affiliation in roster
    )
    return team


def _tuanjie(today: date) -> None:
    community = Area.objects.get(name=TUANJIE)
    roster = [
        (f"宣讲员{n:02d}（示例）", role)
        for n, role in enumerate(
            (role for role, count in LECTURE_ROLES for _ in range(count)), start=1
        )
    ]
    team = _team(community, LECTURE_GROUP, roster)
    OutreachEvent.objects.bulk_create(
        OutreachEvent(
            area=community,
            type=type_,
            theme=theme,
            held_on=today - timedelta(days=days),
            place_type=PlaceType.COMMUNITY,
            place_name=place,
            team=team,
            audience=audience,
            minors=minors,
            materials=materials,
        )
        for days, type_, theme, place, audience, minors, materials in LECTURES
    )


def last_june(today: date) -> int:
    """The year of the latest safety month whose tour is over by `today`."""
    return today.year if today >= date(today.year, 6, 30) else today.year - 1


def _huaying(today: date) -> None:
    county = Area.objects.get(name=HUAYING)
    areas = {a.name: a for a in Area.objects.filter(path__startswith=county.path)}
    team = _team(
        county,
        TOUR_TEAM,
        [(f"供电所宣讲员{n}（示例）", "国网华蓥市供电公司（示例）") for n in range(1, 5)]
        + [("安全生产宣传干部（示例）", "华蓥市应急管理局（示例）")],
    )
    year = last_june(today)
    OutreachEvent.objects.bulk_create(
        OutreachEvent(
            area=areas[area],
            type=EventType.SAFETY_TOUR,
            theme=TOUR_THEME,
            held_on=date(year, 6, day),
            place_type=place_type,
            place_name=place,
            team=team,
            audience=audience,
            minors=minors,
            materials=booklets,
            note=TOUR_NOTE,
        )
        for day, area, place_type, place, audience, minors, booklets in TOUR
    )


# --- The loader ------------------------------------------------------------------------


@transaction.atomic
def load(*, today: date) -> list[DemoAccount]:
    """Each place's rows once; the demo account every time."""
    organisations = _organisations()
    accounts = _accounts(organisations)
    if not CriteriaSet.objects.filter(name=LOCAL_SET).exists():
        _ruian(today)
    if not OutreachTeam.objects.filter(name=LECTURE_GROUP).exists():
        _tuanjie(today)
    if not OutreachTeam.objects.filter(name=TOUR_TEAM).exists():
        _huaying(today)
    return accounts


__all__ = ["load", "bulk_findings", "bulk_inspections"]
