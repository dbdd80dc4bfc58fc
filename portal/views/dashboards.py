"""The area dashboard: every registered provider's tiles for one area and period.

The frame of issue 11 (trends, league tables and charts come with it): one page per
area the user's memberships reach, with the way down to child areas and back up.
"""

from datetime import datetime, time

from django import forms
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from ..models import Area
from ..registry import registry
from ..roles import Action
from ..scope import AREA_ROLES, active_memberships, reach


def _date_input():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("From"), required=False, widget=_date_input())
    end = forms.DateField(label=_("To"), required=False, widget=_date_input())

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError(_("The period must end after it starts."), code="order")
        return data


def dashboard_roots(user) -> list[Area]:
    """The areas the user's area memberships are held at (everything for superusers)."""
    if user.is_superuser:
        return list(Area.objects.filter(depth=1))
    return [m.area for m in active_memberships(user) if m.role in AREA_ROLES and m.area]


def shows(user, provider) -> bool:
    """A programme officer sees its own programme's tiles; area staff and officials all."""
    r = reach(user, f"{provider.name}.dashboard", Action.VIEW)
    return r.everything or bool(r.area_paths)


def may_see_dashboard(user) -> bool:
    return bool(dashboard_roots(user))


def _moment(day, end: bool):
    return timezone.make_aware(datetime.combine(day, time.max if end else time.min))


class DashboardView(TemplateView):
    template_name = "portal/dashboard.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        roots = dashboard_roots(user)
        if not roots:
            raise Http404
        pk = self.kwargs.get("pk")
        area = roots[0] if pk is None else Area.objects.filter(pk=pk).first()
        if area is None or not any(area.path.startswith(root.path) for root in roots):
            raise Http404
        today = timezone.localdate()
        start, end = today.replace(month=1, day=1), today
        form = PeriodForm(self.request.GET or None, initial={"start": start, "end": end})
        if form.is_bound and form.is_valid():
            start = form.cleaned_data["start"] or start
            end = form.cleaned_data["end"] or end
        sections = [
            (
                provider,
                provider.tiles(
                    user=user, area=area, start=_moment(start, False), end=_moment(end, True)
                ),
            )
            for provider in registry.dashboard_for()
            if shows(user, provider)
        ]
        # The way back up stops at the highest area the user reaches.
        top = min((r for r in roots if area.path.startswith(r.path)), key=lambda r: r.depth)
        trail = list(
            Area.objects.filter(
                path__in=[area.path[:n] for n in range(len(top.path), len(area.path), area.steplen)]
            ).order_by("depth")
        )
        return super().get_context_data(
            area=area,
            trail=trail,
            children=Area.objects.filter(path__startswith=area.path, depth=area.depth + 1).order_by(
                "name"
            ),
            other_roots=[r for r in roots if r.pk != area.pk and pk is None],
            form=form,
            start=start,
            end=end,
            sections=sections,
            **kwargs,
        )
