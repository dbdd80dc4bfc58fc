"""The clinic's dashboard tiles: volume, outcomes, success rate, overdue disputes, volume
by category and by month, and agreements kept at the return visit.

Every figure is one aggregate query over the disputes the user may see under the area.
A dispute counts as settled in the period when its agreement took effect then, or (with
no agreement, settled on the spot) when it reached "settled" then; as failed or refused
when it reached that status in the period, as the kit's timeline records.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.breakdowns import by_area_prefix, per_month
from portal.models import TimelineEntry
from portal.registry import Tile

from .filters import category_label
from .models import Category, Dispute, ReturnVisit

NONE = "—"
TOP_CATEGORIES = 5
Status = Dispute.Status


def percentage(part: int, whole: int):
    """`part` of `whole` as a percentage with one decimal, or "—" when `whole` is 0."""
    if not whole:
        return NONE
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _months(start: date, end: date) -> list[date]:
    months, month = [], start.replace(day=1)
    while month <= end:
        months.append(month)
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return months


def _as_date(month) -> date:
    return timezone.localdate(month) if isinstance(month, datetime) else month


def _reached(statuses, start, end):
    """The dispute's case reached one of `statuses` in the period."""
    return Exists(
        TimelineEntry.objects.filter(
            case_id=OuterRef("pk"), status_after__in=statuses, at__range=(start, end)
        )
    )


def _settled(start, end):
    first_day, last_day = timezone.localdate(start), timezone.localdate(end)
    return Q(agreement__effective_on__range=(first_day, last_day)) | (
        Q(agreement__isnull=True) & _reached([Status.SETTLED], start, end)
    )


def tiles(*, user, area, start, end) -> list[Tile]:
    disputes = Dispute.objects.visible_to(user).filter(case__community__path__startswith=area.path)
    first_day, last_day = timezone.localdate(start), timezone.localdate(end)
    received = disputes.filter(case__created_at__range=(start, end))
    figures = disputes.aggregate(
        received=Count("pk", filter=Q(case__created_at__range=(start, end))),
        settled=Count("pk", filter=_settled(start, end)),
        failed=Count("pk", filter=_reached([Status.FAILED], start, end)),
        refused=Count("pk", filter=_reached([Status.REFUSED], start, end)),
        overdue=Count(
            "pk", filter=Q(case__closed_at__isnull=True, case__due_at__lt=timezone.now())
        ),
    )
    by_category = (
        received.values("category__name", "category__name_en")
        .annotate(n=Count("pk"))
        .order_by("-n", "category__order", "category__code")[:TOP_CATEGORIES]
    )
    by_month = {
        _as_date(month): n
        for month, n in received.annotate(month=TruncMonth("case__created_at"))
        .values("month")
        .annotate(n=Count("pk"))
        .values_list("month", "n")
    }
    visits = ReturnVisit.objects.filter(
        dispute__in=disputes, visited_on__range=(first_day, last_day)
    ).aggregate(visited=Count("pk"), kept=Count("pk", filter=Q(kept=True)))
    outcomes = figures["settled"] + figures["failed"] + figures["refused"]
    return [
        Tile(_("Disputes received in the period"), figures["received"], "received"),
        Tile(_("Disputes settled in the period"), figures["settled"], "settled"),
        Tile(
            _("Mediation success rate (%)"),
            percentage(figures["settled"], outcomes),
            "success_rate",
        ),
        Tile(_("Disputes overdue now"), figures["overdue"], "overdue"),
        *(
            Tile(
                gettext("Received: %(category)s")
                % {
                    "category": category_label(
                        Category(name=row["category__name"], name_en=row["category__name_en"])
                    )
                },
                row["n"],
                "by_category",
            )
            for row in by_category
        ),
        *(
            Tile(
                gettext("Received in %(month)s") % {"month": month.strftime("%Y-%m")},
                by_month.get(month, 0),
                "by_month",
            )
            for month in _months(first_day, last_day)
        ),
        Tile(
            _("Agreements kept at the return visit (%)"),
            percentage(visits["kept"], visits["visited"]),
            "kept_at_return_visit",
        ),
    ]


FIGURES = (
    ("received", _("Disputes received in the period")),
    ("settled", _("Disputes settled in the period")),
    ("success_rate", _("Mediation success rate (%)")),
    ("overdue", _("Disputes overdue now")),
)


def by_area(*, user, areas, start, end) -> dict[int, dict]:
    """Received, settled, success rate and overdue, as `tiles` counts them, for each of
    `areas` in one query."""
    table = by_area_prefix(
        Dispute.objects.visible_to(user),
        "case__community__path",
        areas,
        received=Count("pk", filter=Q(case__created_at__range=(start, end))),
        settled=Count("pk", filter=_settled(start, end)),
        failed=Count("pk", filter=_reached([Status.FAILED], start, end)),
        refused=Count("pk", filter=_reached([Status.REFUSED], start, end)),
        overdue=Count(
            "pk", filter=Q(case__closed_at__isnull=True, case__due_at__lt=timezone.now())
        ),
    )
    return {
        pk: {
            "received": f["received"],
            "settled": f["settled"],
            "success_rate": percentage(f["settled"], f["settled"] + f["failed"] + f["refused"]),
            "overdue": f["overdue"],
        }
        for pk, f in table.items()
    }


def trend(*, user, area, start, end) -> list[tuple[str, dict]]:
    """Disputes received per month of the period, in one query."""
    received = Dispute.objects.visible_to(user).filter(
        case__community__path__startswith=area.path, case__created_at__range=(start, end)
    )
    return per_month(received, "case__created_at", start=start, end=end, received=Count("pk"))


__all__ = ["FIGURES", "by_area", "percentage", "tiles", "trend"]
