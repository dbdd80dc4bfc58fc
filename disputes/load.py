"""Synthetic disputes and concerns for benchmarks, in the generated communities of
`housing.load`: `DISPUTES_PER_COMMUNITY` disputes and `CONCERNS_PER_COMMUNITY`
concerns in every status, filed over several years. Every table is written in bulk."""

from datetime import date

from django.contrib.auth import get_user_model
from django.db import transaction

from housing.models import Estate
from portal.load import CaseSpec, bulk_cases, filed_on, moment
from portal.models import Area, Case
from portal.roles import AreaLevel

from .models import Category, Channel, Concern, Dispute, Risk

GENERATED_PROVINCE = "负载测试省（生成）"
DISPUTES_PER_COMMUNITY = 150
CONCERNS_PER_COMMUNITY = 50
Status = Dispute.Status
CLOSED = {Status.FAILED, Status.REFUSED, Status.SETTLED, Status.CLOSED}
# Most disputes end settled or closed; every status keeps some.
STATUSES = [
    Status.SETTLED,
    Status.RECEIVED,
    Status.CLOSED,
    Status.ACCEPTED,
    Status.SETTLED,
    Status.MEDIATING,
    Status.AGREED,
    Status.PERFORMING,
    Status.FAILED,
    Status.REFUSED,
]
CONCERN_STATUSES = [Concern.Status.ANSWERED, Concern.Status.RECORDED, Concern.Status.TURNED]


def _disputes(communities, today, admin) -> int:
    categories = list(Category.objects.filter(is_active=True))
    channels = [c for c in Channel if c != Channel.HAND_OVER]
    risks = list(Risk)
    estates = {}
    for estate in Estate.objects.filter(community__in=communities).order_by("pk"):
        estates.setdefault(estate.community_id, []).append(estate)
    specs, rows = [], []
    for c, community in enumerate(communities):
        for i in range(DISPUTES_PER_COMMUNITY):
            n = c * DISPUTES_PER_COMMUNITY + i
            status = STATUSES[n % len(STATUSES)]
            filed_at = moment(filed_on(today, n))
            specs.append(
                CaseSpec(
                    community=community,
                    title=f"生成纠纷{n + 1}",
                    status=status,
                    filed_at=filed_at,
                    closed=status in CLOSED,
                    escalated=risks[n % 3] == Risk.RED and status not in CLOSED,
                    due_days=30,
                )
            )
            community_estates = estates.get(community.pk) or [None]
            rows.append(
                dict(
                    category=categories[n % len(categories)],
                    channel=channels[n % len(channels)],
                    risk=risks[n % 3],
                    estate=community_estates[i % len(community_estates)],
                    facts=f"生成纠纷{n + 1}：邻里之间的矛盾。",
                    accepted_at=None if status == Status.RECEIVED else filed_at,
                )
            )
    cases = bulk_cases("disputes.dispute", "JF", specs, handler=admin)
    Dispute.objects.bulk_create(
        (Dispute(case=case, **row) for case, row in zip(cases, rows, strict=True)),
        batch_size=2000,
    )
    return len(cases)


def _concerns(communities, today, admin) -> int:
    specs = []
    for c, community in enumerate(communities):
        for i in range(CONCERNS_PER_COMMUNITY):
            n = c * CONCERNS_PER_COMMUNITY + i
            status = CONCERN_STATUSES[n % len(CONCERN_STATUSES)]
            specs.append(
                CaseSpec(
                    community=community,
                    title=f"生成急难愁盼{n + 1}",
                    status=status,
                    filed_at=moment(filed_on(today, n)),
                    closed=status != Concern.Status.RECORDED,
                )
            )
    cases = bulk_cases("disputes.concern", "JP", specs, handler=admin)
    Concern.objects.bulk_create(
        (
            Concern(
                case=case,
                raised_at_event="生成茶话会",
                description=f"{case.title}：楼道照明不足。",
                answer="" if case.status == Concern.Status.RECORDED else "已答复。",
            )
            for case in cases
        ),
        batch_size=2000,
    )
    return len(cases)


@transaction.atomic
def generate(*, communities: int, today: date, **_kwargs) -> str:
    """Disputes and concerns for up to `communities` generated communities that have none."""
    admin = get_user_model().objects.filter(is_superuser=True).first()
    province = Area.objects.filter(name=GENERATED_PROVINCE, depth=1).first()
    if province is None:
        return "no generated communities: the housing generator runs first"
    taken = Case.objects.filter(kind="disputes.dispute").values("community")
    todo = list(
        Area.objects.filter(path__startswith=province.path, level=AreaLevel.COMMUNITY)
        .exclude(pk__in=taken)
        .order_by("path")[:communities]
    )
    if not todo:
        return "0 communities"
    disputes = _disputes(todo, today, admin)
    concerns = _concerns(todo, today, admin)
    return f"{len(todo)} communities, {disputes} disputes, {concerns} concerns"
