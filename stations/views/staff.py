"""Staff pages of the stations: the registry (list, page, register, edit, hours,
amenities), upkeep (supply checks, temporary closure), usage, coverage, six-haves
compliance and the feedback moderation queue."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, TemplateView
from django_filters.views import FilterView

from portal.models import Area
from portal.querysets import area_labels
from portal.roles import Action
from portal.scope import get_visible_or_404
from portal.views.accounts import form_error_from

from ..forms.staff import (
    AmenitiesForm,
    CloseForm,
    HoursForm,
    ModerateForm,
    StationFilter,
    StationForm,
    SupplyCheckForm,
    UsageForm,
)
from ..hours import temporarily_closed
from ..models import Amenity, Feedback, Station, SupplyCheck
from ..services import registry as services
from ..services import upkeep

PENDING = Feedback.Status.PENDING
RECENT_CHECKS = 5


class ListAccessMixin:
    """Staff, officers, officials and host staff; residents use the public finder."""

    def dispatch(self, request, *args, **kwargs):
        if not services.may_list(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


def visible_communities(user):
    visible = Station.objects.visible_to(user)
    return Area.objects.filter(pk__in=visible.values("community_id")).order_by("path")


class StationListView(ListAccessMixin, FilterView):
    """Stations in scope with their state, six haves, stock gaps and pending feedback."""

    template_name = "stations/staff/station_list.html"
    filterset_class = StationFilter
    paginate_by = 25

    def get_queryset(self):
        return (
            Station.objects.visible_to(self.request.user)
            .select_related("community", "host")
            .annotate(
                out_of_stock=Count("amenities", filter=Q(amenities__in_stock=False), distinct=True),
                pending_feedback=Count(
                    "feedback", filter=Q(feedback__status=PENDING), distinct=True
                ),
            )
            .order_by("community__path", "name", "pk")
        )

    def get_filterset_kwargs(self, filterset_class):
        return {
            **super().get_filterset_kwargs(filterset_class),
            "communities": visible_communities(self.request.user),
        }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        context["rows"] = [(s, temporarily_closed(s, today)) for s in context["object_list"]]
        context["may_create"] = services.may_create_somewhere(self.request.user)
        context["may_see_coverage"] = services.may_see_coverage(self.request.user)
        return context


def visible_station(user, pk, action: str = Action.VIEW) -> Station:
    return get_visible_or_404(
        Station.objects.select_related("community", "host"), user, action, pk=pk
    )


def out_of_stock_labels(check: SupplyCheck) -> list[str]:
    labels = dict(Amenity.choices)
    return [
        str(labels.get(line.get("amenity"), line.get("amenity")))
        for line in check.lines
        if isinstance(line, dict) and not line.get("in_stock", True)
    ]


def detail_context(station: Station, user, close_form=None) -> dict:
    today = timezone.localdate()
    may_keep = services.may_keep(user, station)
    soon = today + timedelta(days=upkeep.EXPIRY_NOTICE_DAYS)
    return {
        "station": station,
        "community_label": area_labels([station.community]).get(station.community_id),
        "hours": list(station.hours.all()),
        # (amenity, expired, expiring within the notice period)
        "amenities": [
            (
                a,
                bool(a.expires_on and a.expires_on < today),
                bool(a.expires_on and a.expires_on <= soon),
            )
            for a in station.amenities.all()
        ],
        "recent_checks": [
            (check, out_of_stock_labels(check))
            for check in station.supply_checks.select_related("checked_by")[:RECENT_CHECKS]
        ],
        "this_week": services.this_week_by_group(station, today=today),
        "pending_feedback": Feedback.objects.visible_to(user)
        .filter(station=station, status=PENDING)
        .count(),
        "closed_now": temporarily_closed(station, today),
        "missing_haves": services.missing_haves(station),
        "may_manage": services.may_manage(user, station),
        "may_keep": may_keep,
        "close_form": (close_form or CloseForm()) if may_keep else None,
    }


class StationDetailView(TemplateView):
    """A station: hours, amenities, recent checks, this week's check-ins."""

    template_name = "stations/staff/station_detail.html"

    def get_context_data(self, **kwargs):
        station = visible_station(self.request.user, self.kwargs["pk"])
        return super().get_context_data(**detail_context(station, self.request.user), **kwargs)


class StationCreateView(FormView):
    template_name = "stations/staff/station_form.html"
    form_class = StationForm

    def dispatch(self, request, *args, **kwargs):
        if not services.may_create_somewhere(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        user = self.request.user
        return {
            **super().get_form_kwargs(),
            "communities": services.station_communities(user),
            "hosts": services.station_hosts(user),
        }

    def form_valid(self, form):
        try:
            station = services.station_create(actor=self.request.user, **form.cleaned_data)
        except ValidationError as error:
            form_error_from(form, error)
            return self.form_invalid(form)
        except PermissionDenied:
            form.add_error("community", _("You may not register a station in this community."))
            return self.form_invalid(form)
        messages.success(self.request, _("The station is registered; now set its opening hours."))
        return redirect("stations:station_hours", pk=station.pk)


class StationEditView(StationCreateView):
    def dispatch(self, request, *args, **kwargs):
        self.station = visible_station(request.user, kwargs["pk"])
        if not services.may_manage(request.user, self.station):
            raise PermissionDenied
        return FormView.dispatch(self, request, *args, **kwargs)

    def get_form_kwargs(self):
        user = self.request.user
        return {
            **FormView.get_form_kwargs(self),
            "instance": self.station,
            "communities": services.station_communities(user, Action.CHANGE),
            "hosts": services.station_hosts(user, Action.CHANGE),
        }

    def get_context_data(self, **kwargs):
        return super().get_context_data(station=self.station, **kwargs)

    def form_valid(self, form):
        try:
            services.station_update(
                actor=self.request.user, station=self.station, **form.cleaned_data
            )
        except ValidationError as error:
            form_error_from(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The station is saved."))
        return redirect("stations:station_detail", pk=self.station.pk)


class KeeperMixin:
    """Pages of those who keep the station: host staff, community staff, officers."""

    def dispatch(self, request, *args, **kwargs):
        self.station = visible_station(request.user, kwargs["pk"])
        if not services.may_keep(request.user, self.station):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(station=self.station, **kwargs)


class StationHoursView(KeeperMixin, FormView):
    """The weekly hours: a row per weekday and the 24-hour flag."""

    template_name = "stations/staff/station_hours.html"
    form_class = HoursForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "station": self.station}

    def form_valid(self, form):
        try:
            changed = services.station_hours_set(
                actor=self.request.user,
                station=self.station,
                open_24_hours=form.cleaned_data["open_24_hours"],
                days=form.days(),
            )
        except ValidationError as error:
            form_error_from(form, error)
            return self.form_invalid(form)
        if changed:
            messages.success(self.request, _("The opening hours are saved."))
        return redirect("stations:station_detail", pk=self.station.pk)


class StationAmenitiesView(KeeperMixin, FormView):
    """Which amenities of the catalogue the station has, with their details."""

    template_name = "stations/staff/station_amenities.html"
    form_class = AmenitiesForm

    def get_form_kwargs(self):
        amenities = list(self.station.amenities.all())
        return {
            **super().get_form_kwargs(),
            "station": self.station,
            "version": upkeep.amenities_version(amenities),
        }

    def form_valid(self, form):
        try:
            changed = upkeep.station_amenities_set(
                actor=self.request.user,
                station=self.station,
                entries=form.entries(),
                version=form.cleaned_data["version"],
            )
        except ValidationError as error:
            form_error_from(form, error)
            return self.form_invalid(form)
        if changed:
            messages.success(self.request, _("The amenities are saved."))
        return redirect("stations:station_detail", pk=self.station.pk)


class SupplyCheckView(KeeperMixin, FormView):
    """Go through every amenity: condition, in stock, quantity."""

    template_name = "stations/staff/station_check.html"
    form_class = SupplyCheckForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "amenities": self.station.amenities.all()}

    def form_valid(self, form):
        try:
            upkeep.supply_check_record(
                actor=self.request.user,
                station=self.station,
                checked_on=form.cleaned_data["checked_on"],
                lines=form.lines(),
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            form_error_from(form, error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("The supply check is recorded; the next one is due in %(days)s days.")
            % {"days": upkeep.NEXT_CHECK_DAYS},
        )
        return redirect("stations:station_detail", pk=self.station.pk)


class StationCloseView(View):
    """POST: mark the station temporarily closed, with a reason and an optional end."""

    def post(self, request, pk):
        station = visible_station(request.user, pk)
        if not services.may_keep(request.user, station):
            raise PermissionDenied
        form = CloseForm(request.POST)
        if form.is_valid():
            try:
                upkeep.station_close(actor=request.user, station=station, **form.cleaned_data)
            except ValidationError as error:
                form_error_from(form, error)
            else:
                messages.success(request, _("The station is marked temporarily closed."))
                return redirect("stations:station_detail", pk=station.pk)
        context = detail_context(station, request.user, close_form=form)
        return render(request, StationDetailView.template_name, {**context, "form": form})


class StationReopenView(View):
    """POST: open as usual again."""

    def post(self, request, pk):
        station = visible_station(request.user, pk)
        if not services.may_keep(request.user, station):
            raise PermissionDenied
        upkeep.station_reopen(actor=request.user, station=station)
        messages.success(request, _("The station is open as usual again."))
        return redirect("stations:station_detail", pk=station.pk)


# --- Staff and official pages -------------------------------------------------------


class UsageView(ListAccessMixin, TemplateView):
    """Check-ins by worker group per ISO week, for one station or all in scope."""

    template_name = "stations/staff/usage.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        stations = Station.objects.visible_to(user)
        form = UsageForm(
            self.request.GET or None,
            stations=stations.select_related("community").order_by("name", "pk"),
            today=timezone.localdate(),
        )
        station, since, until = form.period()
        chosen = stations.filter(pk=station.pk) if station else stations
        table = services.usage_table(chosen, since=since, until=until)
        return super().get_context_data(
            form=form,
            table=table,
            since=since,
            until=until,
            station=station,
            may_see_coverage=services.may_see_coverage(user),
            **kwargs,
        )


class CoverageView(TemplateView):
    """Communities inside the user's area with no station."""

    template_name = "stations/staff/coverage.html"
    paginate_by = 50

    def dispatch(self, request, *args, **kwargs):
        if not services.may_list(request.user) or not services.may_see_coverage(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        uncovered = services.uncovered_communities(self.request.user)
        page = Paginator(uncovered, self.paginate_by).get_page(self.request.GET.get("page"))
        labels = area_labels(page.object_list)
        rows = [(a, labels.get(a.pk, a.name)) for a in page.object_list]
        return super().get_context_data(page_obj=page, rows=rows, **kwargs)


class ComplianceView(ListAccessMixin, FilterView):
    """Stations with how many of the six haves they have and which are missing."""

    template_name = "stations/staff/compliance.html"
    filterset_class = StationFilter
    paginate_by = 50

    def get_queryset(self):
        return services.compliance_rows(
            Station.objects.visible_to(self.request.user).select_related("community")
        )

    def get_filterset_kwargs(self, filterset_class):
        return {
            **super().get_filterset_kwargs(filterset_class),
            "communities": visible_communities(self.request.user),
        }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["rows"] = [(s, services.missing_haves(s)) for s in context["object_list"]]
        context["summary"] = services.compliance_summary(context["filter"].qs)
        context["may_see_coverage"] = services.may_see_coverage(self.request.user)
        return context


def queue_context(user, request, form=None) -> dict:
    pending = (
        Feedback.objects.visible_to(user)
        .filter(status=PENDING)
        .select_related("station__community")
        .order_by("created_at", "pk")
    )
    page = Paginator(pending, 25).get_page(request.GET.get("page"))
    rows = [(f, services.may_moderate(user, f)) for f in page.object_list]
    return {
        "page_obj": page,
        "rows": rows,
        "form": form,
        "may_see_coverage": services.may_see_coverage(user),
    }


class FeedbackQueueView(TemplateView):
    """Pending feedback on the stations in scope, oldest first."""

    template_name = "stations/staff/feedback_queue.html"

    def dispatch(self, request, *args, **kwargs):
        if not services.may_list(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(**queue_context(self.request.user, self.request), **kwargs)


class FeedbackModerateView(View):
    """POST: approve or reject one piece of feedback."""

    def post(self, request, pk):
        feedback = get_visible_or_404(
            Feedback.objects.select_related("station__community"), request.user, pk=pk
        )
        if not services.may_moderate(request.user, feedback):
            raise PermissionDenied
        form = ModerateForm(request.POST)
        if form.is_valid():
            approve = form.cleaned_data["decision"] == "approve"
            try:
                services.feedback_moderate(actor=request.user, feedback=feedback, approve=approve)
            except ValidationError as error:
                form_error_from(form, error)
            else:
                messages.success(
                    request,
                    _("The feedback is approved and shown publicly.")
                    if approve
                    else _("The feedback is rejected; it is never shown publicly."),
                )
                return redirect("stations:feedback_queue")
        return render(
            request,
            FeedbackQueueView.template_name,
            queue_context(request.user, request, form=form),
        )
