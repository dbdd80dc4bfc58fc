"""Outreach pages (events and organising teams) and the measures page.

Area staff, civility officers and officials see the events and teams of their areas;
those who may create record and correct them. Responsible units and residents have no
outreach pages. Minors appear as one count per event, never by name.
"""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import FormView, ListView, TemplateView
from django_filters.views import FilterView

from portal.models import Area
from portal.querysets import area_labels
from portal.roles import Action
from portal.scope import can, get_visible_or_404, reach
from portal.views.accounts import form_error_from

from .. import measures as civility_measures
from ..forms.outreach import EventFilter, EventForm, MeasuresForm, TeamForm
from ..models import OutreachEvent, OutreachTeam
from ..services import outreach as services
from ..services.outreach import EVENT, TEAM

MEASURES_KIND = "civility.inspection"
TEAM_EVENTS_SHOWN = 20


class ListAccessMixin:
    """Staff, officers and officials; refused (403) to everyone else."""

    kind = EVENT

    def dispatch(self, request, *args, **kwargs):
        if not services.may_list(request.user, self.kind):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


def events_in_nav(user) -> bool:
    return services.may_list(user, EVENT)


def measures_in_nav(user) -> bool:
    r = reach(user, MEASURES_KIND, Action.VIEW)
    return r.everything or bool(r.area_paths)


# --- Events ----------------------------------------------------------------------------


class EventListView(ListAccessMixin, FilterView):
    """Events in scope, newest first; filters: type, place, team and period."""

    template_name = "civility/outreach/event_list.html"
    filterset_class = EventFilter
    paginate_by = 25

    def get_queryset(self):
        return (
            OutreachEvent.objects.visible_to(self.request.user)
            .select_related("area", "team")
            .order_by("-held_on", "-pk")
        )

    def get_filterset_kwargs(self, filterset_class):
        return {
            **super().get_filterset_kwargs(filterset_class),
            "teams": services.teams_for(self.request.user),
        }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["may_create"] = services.may_create_somewhere(self.request.user, EVENT)
        return context


def visible_event(user, pk, action: str = Action.VIEW) -> OutreachEvent:
    return get_visible_or_404(
        OutreachEvent.objects.select_related("area", "team"), user, action, pk=pk
    )


class EventDetailView(TemplateView):
    template_name = "civility/outreach/event_detail.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        event = visible_event(user, self.kwargs["pk"])
        team_visible = (
            event.team_id is not None
            and OutreachTeam.objects.visible_to(user).filter(pk=event.team_id).exists()
        )
        return super().get_context_data(
            event=event,
            area_label=area_labels([event.area]).get(event.area_id, event.area.name),
            team_visible=team_visible,
            may_change=can(user, Action.CHANGE, event),
            **kwargs,
        )


def event_fields(cleaned_data: dict) -> dict:
    return {name: cleaned_data.get(name) for name in services.EVENT_FIELDS}


class EventCreateView(FormView):
    template_name = "civility/outreach/event_form.html"
    form_class = EventForm

    def dispatch(self, request, *args, **kwargs):
        if not services.may_create_somewhere(request.user, EVENT):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        return {"held_on": timezone.localdate()}

    def get_form_kwargs(self):
        user = self.request.user
        return {
            **super().get_form_kwargs(),
            "areas": services.creatable_areas(user, EVENT),
            "teams": services.teams_for(user),
        }

    def form_valid(self, form):
        try:
            event = services.event_create(
                actor=self.request.user,
                area=form.cleaned_data["area"],
                today=timezone.localdate(),
                **event_fields(form.cleaned_data),
            )
        except ValidationError as error:
            form_error_from(form, error)
            return self.form_invalid(form)
        except PermissionDenied:
            form.add_error("area", _("You may not record events in this area."))
            return self.form_invalid(form)
        messages.success(self.request, _("The event is recorded."))
        return redirect("civility:event_detail", pk=event.pk)


class EventEditView(FormView):
    template_name = "civility/outreach/event_form.html"
    form_class = EventForm

    def dispatch(self, request, *args, **kwargs):
        self.event = visible_event(request.user, kwargs["pk"])
        if not can(request.user, Action.CHANGE, self.event):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "instance": self.event,
            "teams": services.teams_for(self.request.user),
        }

    def get_context_data(self, **kwargs):
        return super().get_context_data(event=self.event, **kwargs)

    def form_valid(self, form):
        try:
            services.event_update(
                actor=self.request.user,
                event=self.event,
                today=timezone.localdate(),
                **event_fields(form.cleaned_data),
            )
        except ValidationError as error:
            form_error_from(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The event is saved."))
        return redirect("civility:event_detail", pk=self.event.pk)


# --- Teams -----------------------------------------------------------------------------


class TeamListView(ListAccessMixin, ListView):
    """Teams in scope with their roster size and events."""

    kind = TEAM
    template_name = "civility/outreach/team_list.html"
    paginate_by = 25

    def get_queryset(self):
        return (
            OutreachTeam.objects.visible_to(self.request.user)
            .select_related("area")
            .annotate(
                member_count=Count("members", distinct=True),
                event_count=Count("events", distinct=True),
            )
            .order_by("name", "pk")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["may_create"] = services.may_create_somewhere(self.request.user, TEAM)
        return context


class TeamDetailView(TemplateView):
    """A team, its roster and its latest events."""

    template_name = "civility/outreach/team_detail.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        team = get_visible_or_404(
            OutreachTeam.objects.select_related("area"), user, pk=self.kwargs["pk"]
        )
        events = (
            OutreachEvent.objects.visible_to(user)
            .filter(team=team)
            .select_related("area")
            .order_by("-held_on", "-pk")
        )
        members = list(team.members.all())
        return super().get_context_data(
            team=team,
            area_label=area_labels([team.area]).get(team.area_id, team.area.name),
            members=members,
            events=events[:TEAM_EVENTS_SHOWN],
            event_count=events.count(),
            **kwargs,
        )


class TeamCreateView(FormView):
    template_name = "civility/outreach/team_form.html"
    form_class = TeamForm

    def dispatch(self, request, *args, **kwargs):
        if not services.may_create_somewhere(request.user, TEAM):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "areas": services.creatable_areas(self.request.user, TEAM),
        }

    def form_valid(self, form):
        try:
            team = services.team_create(actor=self.request.user, **form.cleaned_data)
        except ValidationError as error:
            form_error_from(form, error)
            return self.form_invalid(form)
        except PermissionDenied:
            form.add_error("area", _("You may not register teams in this area."))
            return self.form_invalid(form)
        messages.success(self.request, _("The team is registered."))
        return redirect("civility:team_detail", pk=team.pk)


# --- Measures --------------------------------------------------------------------------


def measure_roots(user) -> list[Area]:
    """The highest areas whose civility rows the user reaches."""
    r = reach(user, MEASURES_KIND, Action.VIEW)
    if r.everything:
        return list(Area.objects.filter(depth=1).order_by("path"))
    paths = sorted(r.area_paths)
    tops = [p for p in paths if not any(p != q and p.startswith(q) for q in paths)]
    return list(Area.objects.filter(path__in=tops).order_by("path"))


class MeasuresView(TemplateView):
    """The measures of one area in reach (default: the user's own) for a period
    (default: this year so far)."""

    template_name = "civility/outreach/measures.html"

    def dispatch(self, request, *args, **kwargs):
        if not measures_in_nav(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def _area(self, roots: list[Area]) -> Area:
        raw = (self.request.GET.get("area") or "").strip()
        if not raw:
            return roots[0]
        try:
            area = Area.objects.filter(pk=int(raw)).first()
        except ValueError:
            area = None
        if area is None or not any(area.path.startswith(root.path) for root in roots):
            raise Http404
        return area

    def get_context_data(self, **kwargs):
        user = self.request.user
        roots = measure_roots(user)
        if not roots:
            raise Http404
        area = self._area(roots)
        top = min((r for r in roots if area.path.startswith(r.path)), key=lambda r: r.depth)
        trail_paths = [area.path[:n] for n in range(len(top.path), len(area.path), area.steplen)]
        children = Area.objects.filter(path__startswith=area.path, depth=area.depth + 1)
        choices = Area.objects.filter(
            Q(pk__in=[r.pk for r in roots])
            | Q(path__in=trail_paths)
            | Q(pk=area.pk)
            | Q(pk__in=children.values("pk"))
        ).order_by("path")
        today = timezone.localdate()
        default_start = date(today.year, 1, 1)
        form = MeasuresForm(
            self.request.GET or None,
            areas=choices,
            initial={"area": area, "start": default_start, "end": today},
        )
        start, end = form.period(default_start, today)
        figures = civility_measures.compute(user=user, area=area, start=start, end=end, today=today)
        return super().get_context_data(
            form=form,
            area=area,
            trail=list(Area.objects.filter(path__in=trail_paths).order_by("depth")),
            children=list(children.order_by("name")),
            start=start,
            end=end,
            m=figures,
            **kwargs,
        )
