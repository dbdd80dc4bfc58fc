"""The public station pages (no login, no identity): the finder, a station's page, the
check-in and feedback a worker leaves there; and the QR poster staff print for it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views import View
from django_ratelimit.decorators import ratelimit

from portal.net import client_ip_for_ratelimit
from portal.scope import get_visible_or_404
from portal.views.accounts import form_error_from

from ..forms.public import CheckInForm, FeedbackForm, FinderForm
from ..models import Station
from ..services import public as services

FINDER_PAGE_SIZE = 20


def address_and_station(group, request) -> str:
    """Throttle key: the client address (as the trusted proxies report it) together
    with the station, so riders sharing an address are limited per station."""
    station = request.resolver_match.kwargs.get("pk", "") if request.resolver_match else ""
    return f"{client_ip_for_ratelimit(group, request)}|{station}"


def public_station_or_404(pk) -> Station:
    try:
        return services.public_station(pk)
    except Station.DoesNotExist:
        raise Http404 from None


def station_context(station: Station, **forms) -> dict:
    return {
        "station": station,
        "week": services.week_hours(station),
        **services.station_status(station),
        **services.station_amenities(station),
        **forms,
    }


@method_decorator(login_not_required, name="dispatch")
class FinderView(View):
    """Stations nearest first from the visitor's location, or by name within a chosen
    town or community; filtered by amenities in stock and by open now."""

    template_name = "stations/public/finder.html"

    def get(self, request):
        form = FinderForm(request.GET or None, options=services.finder_areas())
        if form.is_bound:
            form.is_valid()
        choices = form.choices()
        rows = services.finder_rows(**choices)
        page = Paginator(rows, FINDER_PAGE_SIZE).get_page(request.GET.get("page"))
        services.with_available_amenities(page.object_list)
        without_location = request.GET.copy()
        for name in ("lat", "lng", "page"):
            without_location.pop(name, None)
        return render(
            request,
            self.template_name,
            {
                "form": form,
                "page_obj": page,
                "rows": page.object_list,
                "origin": choices["origin"],
                "area": choices["area"],
                "without_location": without_location.urlencode(),
            },
        )


@method_decorator(login_not_required, name="dispatch")
class StationView(View):
    """A station's public page: where it is, its week, what it has, approved feedback,
    and the check-in and feedback forms."""

    template_name = "stations/public/station.html"

    def get(self, request, pk):
        station = public_station_or_404(pk)
        context = station_context(
            station, check_in_form=CheckInForm(), feedback_form=FeedbackForm()
        )
        context.update(services.public_feedback(station))
        return render(request, self.template_name, context)


@method_decorator(
    ratelimit(
        group="stations.check_in",
        key=address_and_station,
        rate=services.CHECK_IN_RATE,
        method="POST",
        block=False,
    ),
    name="post",
)
@method_decorator(login_not_required, name="dispatch")
class CheckInView(View):
    """GET: the page the station's QR code opens, one big button per group.
    POST: count one check-in; nothing about the worker is kept."""

    template_name = "stations/public/check_in.html"

    def get(self, request, pk):
        station = public_station_or_404(pk)
        return render(request, self.template_name, self.context(station, CheckInForm()))

    def post(self, request, pk):
        station = public_station_or_404(pk)
        form = CheckInForm(request.POST)
        if getattr(request, "limited", False):
            form.is_valid()
            form.add_error(
                None, _("Too many check-ins from this network here. Please try again later.")
            )
            return render(request, self.template_name, self.context(station, form), status=429)
        if form.is_valid():
            try:
                services.check_in_record(station=station, group=form.cleaned_data["group"])
            except ValidationError as error:
                form_error_from(form, error)
            else:
                messages.success(
                    request,
                    _("Thank you. Your check-in at %(station)s is counted.")
                    % {"station": station.name},
                )
                return redirect("stations:check_in", pk=station.pk)
        return render(request, self.template_name, self.context(station, form))

    @staticmethod
    def context(station, form) -> dict:
        return {"station": station, "form": form, **services.station_status(station)}


@method_decorator(
    ratelimit(
        group="stations.feedback",
        key=address_and_station,
        rate=services.FEEDBACK_RATE,
        method="POST",
        block=False,
    ),
    name="post",
)
@method_decorator(login_not_required, name="dispatch")
class FeedbackView(View):
    """A rating and an optional comment, kept pending until staff approve it."""

    template_name = "stations/public/feedback.html"

    def get(self, request, pk):
        station = public_station_or_404(pk)
        return render(request, self.template_name, {"station": station, "form": FeedbackForm()})

    def post(self, request, pk):
        station = public_station_or_404(pk)
        form = FeedbackForm(request.POST)
        context = {"station": station, "form": form}
        if getattr(request, "limited", False):
            form.is_valid()
            form.add_error(
                None, _("Too much feedback from this network here. Please try again later.")
            )
            return render(request, self.template_name, context, status=429)
        if form.is_valid():
            try:
                services.feedback_leave(station=station, **form.cleaned_data)
            except ValidationError as error:
                form_error_from(form, error)
            else:
                messages.success(
                    request, _("Thank you for your feedback. It will appear after review.")
                )
                return redirect(reverse("stations:station", kwargs={"pk": station.pk}))
        return render(request, self.template_name, context)


class PosterView(View):
    """Staff print a station's QR poster; the code opens its public check-in page."""

    template_name = "stations/public/poster.html"

    def get(self, request, pk):
        station = get_visible_or_404(
            Station.objects.select_related("community"), request.user, pk=pk
        )
        url = request.build_absolute_uri(reverse("stations:check_in", kwargs={"pk": station.pk}))
        return render(
            request,
            self.template_name,
            {
                "station": station,
                "check_in_url": url,
                # segno writes the SVG itself from the URL: no user text goes into it.
                "qr_svg": mark_safe(services.check_in_qr_svg(url)),  # noqa: S308
            },
        )
