"""The area dashboard: every registered provider's tiles, league table per child area and
trends for one area and period, the cases there that need attention, with the way down
to child areas and back up."""

from dataclasses import dataclass

from django.conf import settings
from django.utils.functional import SimpleLazyObject
from django.utils.http import urlencode
from django.views.generic import TemplateView

from ..breakdowns import (
    NAME,
    Chart,
    League,
    attention_cases,
    children_of,
    dashboard_area,
    dashboard_period,
    dashboard_roots,
    league_table,
    moment,
    shows,
    sort_param,
    trend_charts,
)
from ..forms import PeriodForm
from ..models import Area
from ..registry import registry
from ..scope import active_memberships


def may_see_dashboard(user) -> bool:
    return bool(dashboard_roots(user))


@dataclass(frozen=True)
class SortLink:
    """A league table's column heading: where clicking it leads and how it sorts now."""

    code: str
    label: object
    query: str
    order: str  # "ascending", "descending" or "" (aria-sort)


@dataclass(frozen=True)
class Panel:
    provider: object
    tiles: list
    league: League | None
    headings: list
    charts: list[Chart]
    export_query: str = ""


def _sort_links(request, league: League) -> list[SortLink]:
    """Each heading sorts by its column, descending first for figures; a second click
    turns the order round."""
    links = []
    for code, label in ((NAME, None), *league.columns):
        current = league.sort.lstrip("-") == code
        descending = league.sort.startswith("-")
        if current:
            target = code if descending else f"-{code}"
        else:
            target = code if code == NAME else f"-{code}"
        query = request.GET.copy()
        query[sort_param(league.provider)] = target
        order = ("descending" if descending else "ascending") if current else ""
        links.append(SortLink(code, label, query.urlencode(), order))
    return links


def _export_query(area, start, end, league: League | None) -> str:
    """The export's parameters: the page's area, period and order."""
    if league is None:
        return ""
    return urlencode(
        {
            "area": area.pk,
            "start": start.isoformat(),
            "end": end.isoformat(),
            sort_param(league.provider): league.sort,
            "format": "csv",
        }
    )


def has_figures(tiles) -> bool:
    """Does any tile hold something other than nothing (0, "—", empty)?"""
    return any(tile.value not in (0, None, "", "—") for tile in tiles)


def scope_key(user) -> str:
    """What the figures depend on besides area and period: the user's reach. Users with
    the same memberships (two officials of one district) share the cached figures."""
    if user.is_superuser:
        return "all"
    return ";".join(
        sorted(
            f"{m.role}:{m.area_id}:{m.organisation_id}:{m.programme}"
            for m in active_memberships(user)
        )
    )


class DashboardView(TemplateView):
    """The figures are computed only when the page's fragment cache misses: at a
    million cases they take seconds, so they are kept DASHBOARD_CACHE_SECONDS (a few
    minutes) and the page says when they were computed."""

    template_name = "portal/dashboard.html"

    def get_context_data(self, **kwargs):
        user, query = self.request.user, self.request.GET
        pk = self.kwargs.get("pk")
        area, roots = dashboard_area(user, pk)
        form, start, end = dashboard_period(query)
        # The trail is live; the figures and the links below (a city may have hundreds
        # of areas below it) are computed only when the page's cached fragment is stale.
        children = SimpleLazyObject(lambda: children_of(area))
        panels = SimpleLazyObject(lambda: self.panels(area, children, start, end))
        # The way back up stops at the highest area the user reaches.
        top = min((r for r in roots if area.path.startswith(r.path)), key=lambda r: r.depth)
        trail = list(
            Area.objects.filter(
                path__in=[area.path[:n] for n in range(len(top.path), len(area.path), area.steplen)]
            ).order_by("depth")
        )
        period = query.copy()
        for key in list(period):
            if key not in ("start", "end"):
                del period[key]
        return super().get_context_data(
            area=area,
            trail=trail,
            children=children,
            other_roots=[r for r in roots if r.pk != area.pk and pk is None],
            form=form,
            start=start,
            end=end,
            period_query=period.urlencode(),
            panels=panels,
            sections=SimpleLazyObject(lambda: [(p.provider, p.tiles) for p in panels]),
            attention=SimpleLazyObject(lambda: attention_cases(user=user, area=area)),
            cache_seconds=settings.DASHBOARD_CACHE_SECONDS,
            scope_key=scope_key(user),
            **kwargs,
        )

    def panels(self, area, children, start, end) -> list[Panel]:
        user, query = self.request.user, self.request.GET
        panels = []
        for provider in registry.dashboard_for():
            if not shows(user, provider):
                continue
            tiles = provider.tiles(
                user=user, area=area, start=moment(start, False), end=moment(end, True)
            )
            league = None
            if provider.by_area is not None and children:
                league = league_table(
                    provider=provider,
                    user=user,
                    area=area,
                    children=children,
                    start=start,
                    end=end,
                    sort=query.get(sort_param(provider), ""),
                )
            charts = (
                trend_charts(provider=provider, user=user, area=area, start=start, end=end)
                if provider.trend is not None
                else []
            )
            panels.append(
                Panel(
                    provider,
                    tiles,
                    league,
                    _sort_links(self.request, league) if league else [],
                    charts,
                    _export_query(area, start, end, league),
                )
            )
        # The practices this area actually has come first: a county that only adapts
        # homes should not scroll past empty estate and dispute panels to find them.
        panels.sort(key=lambda panel: not has_figures(panel.tiles))
        return panels


__all__ = ["DashboardView", "PeriodForm", "dashboard_roots", "may_see_dashboard", "shows"]
