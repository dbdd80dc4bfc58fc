"""Demo places and accounts of the portal; each app's loader is registered the same way.

A loader takes keyword-only `today` (dates in demo data are relative to it) and
returns the demo accounts it made sure exist, so `load_demo` can print them. Loaders
are idempotent: running them twice changes nothing.

The places are the six of DOMAIN.md Part 2. Where the source names no unit (a
subdistrict, a grid, a police station), a placeholder stands in, flagged
`is_placeholder` and named as such, never an invented real name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.contrib.auth import get_user_model
from django.db import transaction

from .models import Area, Membership, Organisation
from .roles import AreaLevel, OrganisationType, Programme, Role

DEMO_PASSWORD = "portal-demo"

P, C, D, S, M, G = (
    AreaLevel.PROVINCE,
    AreaLevel.CITY,
    AreaLevel.DISTRICT,
    AreaLevel.SUBDISTRICT,
    AreaLevel.COMMUNITY,
    AreaLevel.GRID,
)

# (name, level, 12-digit code or "", placeholder?, children)
PLACES = [
    (
        "青海省",
        P,
        "630000000000",
        False,
        [
            (
                "西宁市",
                C,
                "630100000000",
                False,
                [
                    (
                        "城东区",
                        D,
                        "630102000000",
                        False,
                        [
                            (
                                "清真巷街道",
                                S,
                                "",
                                False,
                                [
                                    (
                                        "团结社区",
                                        M,
                                        "",
                                        False,
                                        [
                                            ("团结社区第一网格（示例）", G, "", True, []),
                                            ("团结社区第二网格（示例）", G, "", True, []),
                                        ],
                                    ),
                                    ("清真巷街道另一社区（示例）", M, "", True, []),
                                ],
                            ),
                        ],
                    ),
                ],
            ),
        ],
    ),
    (
        "山西省",
        P,
        "140000000000",
        False,
        [
            (
                "阳泉市",
                C,
                "140300000000",
                False,
                [
                    (
                        "城区",
                        D,
                        "140302000000",
                        False,
                        [
                            (
                                "城区未具名街道（示例）",
                                S,
                                "",
                                True,
                                [
                                    (
                                        "小阳泉北社区",
                                        M,
                                        "",
                                        False,
                                        [
                                            ("小阳泉北社区第一网格（示例）", G, "", True, []),
                                        ],
                                    ),
                                ],
                            ),
                        ],
                    ),
                ],
            ),
        ],
    ),
    (
        "浙江省",
        P,
        "330000000000",
        False,
        [
            (
                "温州市",
                C,
                "330300000000",
                False,
                [
                    (
                        "瑞安市",
                        D,
                        "330381000000",
                        False,
                        [
                            (
                                "安阳街道",
                                S,
                                "",
                                False,
                                [
                                    ("安阳街道社区（示例）", M, "", True, []),
                                ],
                            ),
                            (
                                "玉海街道",
                                S,
                                "",
                                False,
                                [
                                    ("玉海街道社区（示例）", M, "", True, []),
                                ],
                            ),
                        ],
                    ),
                ],
            ),
        ],
    ),
    (
        "安徽省",
        P,
        "340000000000",
        False,
        [
            (
                "滁州市",
                C,
                "341100000000",
                False,
                [
                    (
                        "凤阳县",
                        D,
                        "341126000000",
                        False,
                        [
                            (
                                "府城镇",
                                S,
                                "",
                                False,
                                [
                                    ("府东社区", M, "", False, []),
                                ],
                            ),
                        ],
                    ),
                ],
            ),
        ],
    ),
    (
        "甘肃省",
        P,
        "620000000000",
        False,
        [
            (
                "酒泉市",
                C,
                "620900000000",
                False,
                [
                    (
                        "瓜州县",
                        D,
                        "620922000000",
                        False,
                        [
                            (
                                "渊泉镇",
                                S,
                                "",
                                False,
                                [
                                    ("榆林社区", M, "", False, []),
                                ],
                            ),
                        ],
                    ),
                ],
            ),
        ],
    ),
    (
        "四川省",
        P,
        "510000000000",
        False,
        [
            (
                "广安市",
                C,
                "511600000000",
                False,
                [
                    (
                        "华蓥市",
                        D,
                        "511681000000",
                        False,
                        [
                            (
                                "禄市镇",
                                S,
                                "",
                                False,
                                [
                                    ("禄市镇社区（示例）", M, "", True, []),
                                ],
                            ),
                        ],
                    ),
                ],
            ),
        ],
    ),
]

# (name, type, area name, placeholder?)
ORGANISATIONS = [
    ("团结社区居民委员会", OrganisationType.COMMUNITY_COMMITTEE, "团结社区", False),
    ("清真巷街道办事处", OrganisationType.SUBDISTRICT_OFFICE, "清真巷街道", False),
    ("辖区派出所（示例）", OrganisationType.POLICE_STATION, "清真巷街道", True),
    ("辖区人民法院（示例）", OrganisationType.COURT, "城东区", True),
    ("清真巷司法所（示例）", OrganisationType.JUDICIAL_OFFICE, "清真巷街道", True),
    ("瑞安市精神文明建设指导中心", OrganisationType.DEPARTMENT, "瑞安市", False),
]


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    where: str = ""


# (username, display name, phone, role, area or organisation name, programme)
ACCOUNTS = [
    ("official.chengdong", "城东区干部（演示）", "", Role.OFFICIAL, "城东区", ""),
    (
        "subdistrict.qingzhenxiang",
        "清真巷街道干部（演示）",
        "",
        Role.SUBDISTRICT_STAFF,
        "清真巷街道",
        "",
    ),
    ("secretary.tuanjie", "马燕", "13800000001", Role.PARTY_SECRETARY, "团结社区", ""),
    (
        "grid.tuanjie",
        "团结社区网格员（演示）",
        "13800000002",
        Role.GRID_WORKER,
        "团结社区第一网格（示例）",
        "",
    ),
    (
        "mediator.tuanjie",
        "派出所调解员（演示）",
        "",
        Role.ORGANISATION_MEMBER,
        "辖区派出所（示例）",
        "",
    ),
    ("resident.wangpeng", "王鹏", "13800000011", Role.RESIDENT, "团结社区", ""),
    ("resident.zhaohua", "赵花", "13800000012", Role.RESIDENT, "团结社区", ""),
    ("staff.xiaoyangquan", "康玲蔚", "13800000021", Role.COMMUNITY_STAFF, "小阳泉北社区", ""),
    ("official.yangquan", "阳泉市城区干部（演示）", "", Role.OFFICIAL, "城区", ""),
    ("resident.hu", "胡桃兰", "13800000031", Role.RESIDENT, "小阳泉北社区", ""),
    ("resident.jing", "荆师傅", "13800000032", Role.RESIDENT, "小阳泉北社区", ""),
    (
        "inspector.ruian",
        "瑞安市文明办督查员（演示）",
        "",
        Role.PROGRAMME_OFFICER,
        "瑞安市",
        Programme.CIVILITY,
    ),
    ("official.ruian", "瑞安市干部（演示）", "", Role.OFFICIAL, "瑞安市", ""),
    (
        "staff.fengyang",
        "凤阳县民政干部（演示）",
        "",
        Role.PROGRAMME_OFFICER,
        "凤阳县",
        Programme.ELDERCARE,
    ),
    ("official.fengyang", "凤阳县干部（演示）", "", Role.OFFICIAL, "凤阳县", ""),
    ("staff.yulin", "榆林社区工作人员（演示）", "", Role.COMMUNITY_STAFF, "榆林社区", ""),
    (
        "staff.huaying",
        "华蓥市文明办干部（演示）",
        "",
        Role.PROGRAMME_OFFICER,
        "华蓥市",
        Programme.CIVILITY,
    ),
]


def ensure_demo_user(username: str, **fields):
    """The demo user `username`, created with the demo password if missing."""
    user, created = get_user_model().objects.get_or_create(username=username, defaults=fields)
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


def _ensure_area(parent: Area | None, name, level, code, placeholder) -> Area:
    siblings = Area.objects.get_children(parent) if parent else Area.objects.get_root_nodes()
    existing = siblings.filter(name=name).first()
    if existing:
        return existing
    fields = {"name": name, "level": level, "code": code, "is_placeholder": placeholder}
    if parent:
        return Area.objects.add_child(parent, fields)
    return Area.objects.add_root(fields)


def _ensure_tree(parent, nodes) -> None:
    for name, level, code, placeholder, children in nodes:
        area = _ensure_area(parent, name, level, code, placeholder)
        _ensure_tree(area, children)


def area_named(name: str) -> Area:
    return Area.objects.get(name=name)


@transaction.atomic
def load_places(*, today: date) -> list[DemoAccount]:
    """The six places of the source, down to grids, and the organisations named there."""
    _ensure_tree(None, PLACES)
    for name, type_, area_name, placeholder in ORGANISATIONS:
        Organisation.objects.get_or_create(
            name=name,
            defaults={"type": type_, "area": area_named(area_name), "is_placeholder": placeholder},
        )
    return []


@transaction.atomic
def load_accounts(*, today: date) -> list[DemoAccount]:
    """The superuser `admin` and one account per role and place of the issue's table."""
    ensure_demo_user("admin", display_name="Administrator", is_staff=True, is_superuser=True)
    accounts = [DemoAccount("admin", "superuser")]
    for username, display_name, phone, role, where, programme in ACCOUNTS:
        user = ensure_demo_user(username, display_name=display_name, phone=phone)
        if role == Role.ORGANISATION_MEMBER:
            target = {"organisation": Organisation.objects.get(name=where)}
        else:
            target = {"area": area_named(where)}
        Membership.objects.get_or_create(
            user=user, role=role, programme=programme, ended_at=None, **target
        )
        accounts.append(DemoAccount(username, Role(role).label, where))
    return accounts


# (assignee, what to do, due in days from loading; 0 = as soon as the portal runs)
DEMO_FOLLOW_UPS = [
    ("secretary.tuanjie", "上门看望清怡院独居老人，了解冬季取暖情况（演示）", 0),
    ("secretary.tuanjie", "回访王鹏、赵花停车位划线落实情况（演示）", 1),
    ("grid.tuanjie", "网格巡查：核对楼栋长名单（演示）", 7),
]


@transaction.atomic
def load_follow_ups(*, today: date) -> list[DemoAccount]:
    """A few follow-ups for Tuanjie's staff; the first falls due at once, so the worker
    and beat of `make run` deliver it to the bell within a minute or two."""
    from datetime import datetime, time, timedelta

    from django.utils import timezone

    from .models import FollowUp

    for username, reason, days in DEMO_FOLLOW_UPS:
        user = get_user_model().objects.get(username=username)
        due = (
            timezone.now()
            if days == 0
            else timezone.make_aware(datetime.combine(today + timedelta(days=days), time(9, 0)))
        )
        FollowUp.objects.get_or_create(assignee=user, reason=reason, defaults={"due_at": due})
    return []


def load_all(*, today: date, report=None) -> list[DemoAccount]:
    """Run every registered demo loader in dependency order; the accounts they ensured."""
    from .registry import registry, run_steps

    accounts: list[DemoAccount] = []
    for step, result in run_steps(registry.demo_loaders, today=today):
        if report:
            report(step.name)
        accounts.extend(result or [])
    return accounts
