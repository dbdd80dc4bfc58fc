"""The dashboard's reads beyond the tiles: league tables per child area, trends by month
and the cases that need attention.

Providers compute their figures with `by_area_prefix` and `per_month`, one GROUP BY
each, so a dashboard costs the same number of queries for ten rows or a million. This
module also decides which areas a user's dashboard reaches, reads the period, sorts a
league table and lays out the bar charts, so the page and the export share one code path.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from django.db.models import F
from django.db.models.functions import Substr, TruncMonth
from django.http import Http404
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from .forms import PeriodForm
from .models import Area, Case
from .registry import DashboardProvider, ExportProvider
from .roles import Action
from .scope import AREA_ROLES, active_memberships, reach
from .workdays import local_day

# --- Which dashboards, which period ---------------------------------------------------


def dashboard_roots(user) -> list[Area]:
    """The areas the user's area memberships are held at (everything for superusers)."""
    if user.is_superuser:
        return list(Area.objects.filter(depth=1))
    return [m.area for m in active_memberships(user) if m.role in AREA_ROLES and m.area]


def dashboard_area(user, pk=None) -> tuple[Area, list[Area]]:
    """The area whose dashboard the user asks for (their first root without `pk`) and
    their roots; 404 when it lies outside every root."""
    roots = dashboard_roots(user)
    if not roots:
        raise Http404
    if pk is None:
        return roots[0], roots
    try:
        area = Area.objects.filter(pk=int(pk)).first()
    except (TypeError, ValueError):
        area = None
    if area is None or not any(area.path.startswith(root.path) for root in roots):
        raise Http404
    return area, roots


def shows(user, provider) -> bool:
    """A programme officer sees its own programme's tiles; area staff and officials all."""
    r = reach(user, f"{provider.name}.dashboard", Action.VIEW)
    return r.everything or bool(r.area_paths)


def children_of(area: Area) -> list[Area]:
    """The areas one level below `area`, by name; they share one path length."""
    return list(
        Area.objects.filter(path__startswith=area.path, depth=area.depth + 1).order_by("name")
    )


def moment(day: date, end: bool) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.max if end else time.min))


def dashboard_period(data) -> tuple[PeriodForm, date, date]:
    """The period form and the first and last day: this year to today unless the form
    (valid) says otherwise."""
    today = timezone.localdate()
    start, end = today.replace(month=1, day=1), today
    form = PeriodForm(data or None, initial={"start": start, "end": end})
    if form.is_bound and form.is_valid():
        start = form.cleaned_data["start"] or start
        end = form.cleaned_data["end"] or end
    return form, start, end


# --- Building blocks for providers ----------------------------------------------------


def by_area_prefix(queryset, path_field: str, areas, **aggregates) -> dict[int, dict]:
    """`aggregates` for each of `areas` over the rows whose `path_field` lies under it.

    One query: `areas` share a depth, so the first len(path) characters of a row's
    area path name the area it falls under, and one GROUP BY on them does the rest.
    Areas without rows get 0 for every aggregate.
    """
    areas = list(areas)
    result = {a.pk: dict.fromkeys(aggregates, 0) for a in areas}
    if not areas:
        return result
    length = len(areas[0].path)
    if any(len(a.path) != length for a in areas):
        raise ValueError("by_area_prefix needs areas of one depth")
    pk_of = {a.path: a.pk for a in areas}
    rows = (
        queryset.filter(**{f"{path_field}__startswith": os.path.commonprefix(list(pk_of))})
        .annotate(area_path_prefix=Substr(path_field, 1, length))
        .filter(area_path_prefix__in=list(pk_of))
        .values("area_path_prefix")
        .annotate(**aggregates)
        .order_by()
    )
    for row in rows:
        figures = result[pk_of[row.pop("area_path_prefix")]]
        figures.update({code: 0 if value is None else value for code, value in row.items()})
    return result


def combine(*tables: dict[int, dict]) -> dict[int, dict]:
    """Several {area pk: {code: value}} tables as one."""
    merged: dict[int, dict] = {}
    for table in tables:
        for pk, figures in table.items():
            merged.setdefault(pk, {}).update(figures)
    return merged


def months(first_day: date, last_day: date) -> list[date]:
    """The first day of every month from `first_day`'s to `last_day`'s."""
    found, month = [], first_day.replace(day=1)
    while month <= last_day:
        found.append(month)
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return found


def per_month(queryset, field: str, *, start, end, **aggregates) -> list[tuple[str, dict]]:
    """`aggregates` per month of the period (TruncMonth, one query), every month listed,
    labelled "YYYY-MM"; `queryset` should already be cut to the period."""
    rows = (
        queryset.annotate(trend_month=TruncMonth(field))
        .values("trend_month")
        .annotate(**aggregates)
        .order_by()
    )
    found = {local_day(row.pop("trend_month")): row for row in rows}
    return [
        (
            month.strftime("%Y-%m"),
            {
                code: (found.get(month, {}).get(code) or 0)
                for code in aggregates  # Sum over no rows is None
            },
        )
        for month in months(local_day(start), local_day(end))
    ]


# --- Cases that need attention --------------------------------------------------------

ATTENTION_LIMIT = 10


@dataclass(frozen=True)
class Attention:
    """The open overdue, escalated or supervised cases of an area the user may see,
    the most recently due first; `more` when others did not fit."""

    cases: list
    more: bool


def attention_cases(*, user, area: Area, now=None, limit: int = ATTENTION_LIMIT) -> Attention:
    """Cases of every kind under `area` that carry a red or yellow mark, in one query:
    one row beyond `limit` is read to tell whether there are more."""
    rows = list(
        Case.objects.visible_to(user)
        .filter(community__path__startswith=area.path)
        .needing_attention(now=now or timezone.now())
        .select_related("community")
        .order_by(F("due_at").desc(nulls_last=True), "-pk")[: limit + 1]
    )
    return Attention(cases=rows[:limit], more=len(rows) > limit)


# --- League tables -------------------------------------------------------------------

NAME = "name"


@dataclass(frozen=True)
class LeagueRow:
    area: Area
    values: tuple


@dataclass(frozen=True)
class League:
    """One provider's figures for each child area, sorted by `sort` ("code" or "-code")."""

    provider: DashboardProvider
    rows: list[LeagueRow]
    sort: str

    @property
    def columns(self) -> tuple:
        return self.provider.figures

    @property
    def export_name(self) -> str:
        return breakdown_export_name(self.provider)


def sort_param(provider) -> str:
    return f"{provider.name}_sort"


def _sort_key(value):
    """Numbers by size; what is no number ("—", no rate yet) after every number."""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return (0, value)
    return (1, 0)


def sort_rows(rows: list[LeagueRow], codes: list[str], sort: str) -> tuple[list[LeagueRow], str]:
    """`rows` sorted by `sort` (a code or "name", "-" first for descending), ties by name;
    an unknown `sort` means by name. Returns the rows and the sort applied."""
    descending = sort.startswith("-")
    code = sort.lstrip("-")
    rows = sorted(rows, key=lambda row: (row.area.name, row.area.pk))
    if code not in codes:
        return (list(reversed(rows)) if descending and code == NAME else rows), (
            sort if code == NAME else NAME
        )
    index = codes.index(code)
    numbers = [row for row in rows if _sort_key(row.values[index])[0] == 0]
    others = [row for row in rows if _sort_key(row.values[index])[0] == 1]
    numbers.sort(key=lambda row: row.values[index], reverse=descending)
    return numbers + others, sort


def league_table(*, provider, user, area, children, start: date, end: date, sort="") -> League:
    """The provider's key figures for each child area of `area`, sorted."""
    codes = [code for code, _label in provider.figures]
    figures = provider.by_area(
        user=user, areas=children, start=moment(start, False), end=moment(end, True)
    )
    rows = [
        LeagueRow(child, tuple(figures.get(child.pk, {}).get(code, 0) for code in codes))
        for child in children
    ]
    rows, sort = sort_rows(rows, codes, sort or NAME)
    return League(provider=provider, rows=rows, sort=sort)


# --- Export ---------------------------------------------------------------------------


def breakdown_export_name(provider) -> str:
    return f"portal.breakdown.{provider.name}"


def _column(index: int):
    return lambda row: row.values[index]


def breakdown_export(provider: DashboardProvider) -> ExportProvider:
    """The league table of `provider` as an export: params area, start, end and the
    page's sort; rows and order as the page shows them."""

    def rows(user, params: dict) -> list[LeagueRow]:
        area, _roots = dashboard_area(user, params.get("area"))
        if not shows(user, provider):
            raise Http404
        _form, start, end = dashboard_period(
            {key: params[key] for key in ("start", "end") if key in params}
        )
        league = league_table(
            provider=provider,
            user=user,
            area=area,
            children=children_of(area),
            start=start,
            end=end,
            sort=params.get(sort_param(provider), ""),
        )
        return league.rows

    columns = (
        (_("Area"), lambda row: row.area.name),
        *((label, _column(i)) for i, (_code, label) in enumerate(provider.figures)),
    )
    return ExportProvider(
        breakdown_export_name(provider),
        format_lazy(_("{provider} by area"), provider=provider.label),
        rows,
        columns,
        kind=f"{provider.name}.dashboard",
    )


# --- Trends as bar charts -------------------------------------------------------------

CHART_WIDTH, CHART_HEIGHT = 640, 220
CHART_TOP, CHART_BOTTOM, CHART_LEFT = 24, 28, 8


@dataclass(frozen=True)
class Bar:
    label: str
    value: object
    x: float
    y: float
    width: float
    height: float

    @property
    def centre(self) -> float:
        return round(self.x + self.width / 2, 1)

    @property
    def value_y(self) -> float:
        """Where the value is written: just above the bar."""
        return round(self.y - 4, 1)


@dataclass(frozen=True)
class Chart:
    """One figure of a provider's trend, month by month, laid out for an SVG."""

    code: str
    title: object
    bars: list[Bar]
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT

    @property
    def baseline(self) -> int:
        return self.height - CHART_BOTTOM

    @property
    def label_y(self) -> int:
        return self.height - 10


def bar_chart(code: str, title, points: list[tuple[str, object]]) -> Chart:
    """Bars scaled to the largest value; each keeps its label and value for the table."""
    top = max((float(v) for _label, v in points if _sort_key(v)[0] == 0), default=0) or 1
    span = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM
    slot = (CHART_WIDTH - 2 * CHART_LEFT) / max(len(points), 1)
    bars = []
    for n, (label, value) in enumerate(points):
        height = span * float(value) / top if _sort_key(value)[0] == 0 else 0
        bars.append(
            Bar(
                label=label,
                value=value,
                x=round(CHART_LEFT + n * slot + slot * 0.15, 1),
                y=round(CHART_TOP + span - height, 1),
                width=round(slot * 0.7, 1),
                height=round(height, 1),
            )
        )
    return Chart(code=code, title=title, bars=bars)


def trend_charts(*, provider, user, area, start: date, end: date) -> list[Chart]:
    """One chart per figure of the provider's trend."""
    points = provider.trend(user=user, area=area, start=moment(start, False), end=moment(end, True))
    labels = dict(provider.figures)
    codes = list(points[0][1]) if points else []
    return [
        bar_chart(
            code,
            format_lazy(_("{figure}, by month"), figure=labels.get(code, code)),
            [(month, values[code]) for month, values in points],
        )
        for code in codes
    ]


__all__ = [
    "Attention",
    "Chart",
    "League",
    "attention_cases",
    "by_area_prefix",
    "combine",
    "dashboard_area",
    "dashboard_period",
    "dashboard_roots",
    "league_table",
    "per_month",
    "shows",
    "trend_charts",
]
