"""Mobile office desk and estate issues: the calendar, a visit and its problems, the
issue queue, and the public report form residents use."""

from __future__ import annotations

import re
from datetime import date
from itertools import groupby

import django_filters
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import FormView, TemplateView
from django_filters.views import FilterView
from django_ratelimit.decorators import ratelimit

from portal.forms import PhoneField
from portal.net import client_ip_for_ratelimit
from portal.paging import Segment, keyset_page
from portal.querysets import area_labels
from portal.registry import registry
from portal.roles import Action
from portal.scope import can, get_visible_or_404, reach
from portal.services.attachments import ATTACHMENT_MAX_BYTES
from portal.views.accounts import form_error_from
from portal.workdays import day_start

from ..models import DeskVisit, Estate, EstateIssue, IssueCategory
from ..querysets import count_of
from ..services import desk as services

DESK_VISIT = "housing.desk_visit"
ISSUE = "housing.issue"
PHOTO_TYPES = "image/jpeg,image/png,image/webp"
RECENT = 5
OPEN_ISSUES_SHOWN = 10


def works_here(user, kind: str, *, organisations: bool = False) -> bool:
    """Does the user reach rows of `kind` as staff (an area, or an organisation when
    `organisations`)? Residents follow their own matters elsewhere ("My requests")."""
    r = reach(user, kind, Action.VIEW)
    return r.everything or bool(r.area_paths) or (organisations and bool(r.organisation_ids))


def _with_issue_counts(visits):
    return visits.annotate(issue_count=count_of(EstateIssue.objects.all(), "desk_visit"))


# --- Forms --------------------------------------------------------------------------


class DeskVisitForm(forms.Form):
    scheduled_at = forms.DateTimeField(
        label=gettext_lazy("When"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=gettext_lazy("Each person going is reminded at 09:00 the day before."),
    )
    staff = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Who goes"), queryset=None, widget=forms.CheckboxSelectMultiple
    )
    note = forms.CharField(
        label=gettext_lazy("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, estate, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["staff"].queryset = services.desk_staff_candidates(estate).order_by(
            "display_name", "username"
        )


RESOLUTION_CHOICES = [
    (services.Resolution.SOLVED_ON_SPOT, gettext_lazy("Solved on the spot")),
    (services.Resolution.COLLECTIVE_STUDY, gettext_lazy("To the community's collective study")),
    (services.Resolution.ESCALATED, gettext_lazy("Hand up to the subdistrict office now")),
    (services.Resolution.OPEN, gettext_lazy("Keep open: the community follows it up")),
]


class RecordIssueForm(forms.Form):
    category = forms.ChoiceField(label=gettext_lazy("Category"), choices=IssueCategory.choices)
    description = forms.CharField(
        label=gettext_lazy("What is the problem"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    building = forms.ModelChoiceField(label=gettext_lazy("Building"), queryset=None, required=False)
    filer_name = forms.CharField(
        label=gettext_lazy("Raised by (name)"), max_length=100, required=False
    )
    filer_phone = PhoneField(
        required=False,
        help_text=gettext_lazy("Optional; with it the resident can check progress."),
    )
    resolution = forms.ChoiceField(
        label=gettext_lazy("What was done"),
        choices=RESOLUTION_CHOICES,
        widget=forms.RadioSelect,
        initial=services.Resolution.OPEN,
    )

    def __init__(self, *args, estate, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["building"].queryset = estate.buildings.order_by("number")
        self.fields["building"].label_from_instance = lambda building: building.number


class IssueReportForm(forms.Form):
    """The public report form; a visitor also gives a name and a phone."""

    estate = forms.TypedChoiceField(label=gettext_lazy("Estate"), coerce=int)
    category = forms.ChoiceField(label=gettext_lazy("Category"), choices=IssueCategory.choices)
    description = forms.CharField(
        label=gettext_lazy("What is the problem"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("Where it is and what you saw, e.g. building and unit."),
    )
    filer_name = forms.CharField(label=gettext_lazy("Your name"), max_length=100)
    filer_phone = PhoneField(
        help_text=gettext_lazy("With the reference number it lets you check progress.")
    )
    photo = forms.FileField(
        label=gettext_lazy("Photo (optional)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": PHOTO_TYPES}),
        help_text=gettext_lazy("JPEG, PNG or WEBP."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.logged_in = getattr(user, "is_authenticated", False)
        estates = list(
            services.reportable_estates(user)
            .select_related("community")
            .order_by("community__path", "name")
        )
        self.estates = {e.pk: e for e in estates}
        labels = area_labels({e.community for e in estates})
        groups = [
            (labels.get(community.pk, community.name), [(e.pk, e.name) for e in group])
            for community, group in groupby(estates, key=lambda e: e.community)
        ]
        field = self.fields["estate"]
        if len(estates) == 1:
            field.choices = [(estates[0].pk, estates[0].name)]
            field.initial = estates[0].pk
        else:
            field.choices = [("", _("Choose the estate")), *groups]
        if self.logged_in:
            # The account's name and phone are the filer's.
            del self.fields["filer_name"]
            del self.fields["filer_phone"]

    def clean_estate(self):
        estate = self.estates.get(self.cleaned_data["estate"])
        if estate is None:
            raise forms.ValidationError(_("Choose the estate."), code="estate")
        return estate

    def clean_photo(self):
        photo = self.cleaned_data.get("photo")
        if photo and photo.size > ATTACHMENT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(limit)s MB.")
                % {"limit": f"{ATTACHMENT_MAX_BYTES / 1024 / 1024:g}"},
                code="file_size",
            )
        return photo or None


class EstateIssueFilter(django_filters.FilterSet):
    STATES = [("open", gettext_lazy("open")), ("closed", gettext_lazy("closed"))]
    MARKS = [
        ("overdue", gettext_lazy("overdue")),
        ("escalated", gettext_lazy("escalated to the subdistrict")),
        ("supervised", gettext_lazy("red: under supervision")),
    ]

    estate = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Estate"),
        queryset=Estate.objects.none(),
        empty_label=gettext_lazy("All estates"),
    )
    category = django_filters.ChoiceFilter(
        label=gettext_lazy("Category"),
        choices=IssueCategory.choices,
        empty_label=gettext_lazy("All categories"),
    )
    status = django_filters.ChoiceFilter(
        label=gettext_lazy("Status"),
        field_name="case__status",
        choices=EstateIssue.Status.choices,
        empty_label=gettext_lazy("All statuses"),
    )
    state = django_filters.ChoiceFilter(
        label=gettext_lazy("Open or closed"),
        choices=STATES,
        method="by_state",
        empty_label=gettext_lazy("All"),
    )
    mark = django_filters.ChoiceFilter(
        label=gettext_lazy("Mark"), choices=MARKS, method="by_mark", empty_label=gettext_lazy("Any")
    )

    class Meta:
        model = EstateIssue
        fields = ["estate", "category", "status", "state", "mark"]

    def __init__(self, *args, estates, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["estate"].queryset = estates

    def by_state(self, queryset, name, value):
        return queryset.filter(case__closed_at__isnull=value == "open")

    def by_mark(self, queryset, name, value):
        open_ = queryset.filter(case__closed_at__isnull=True)
        if value == "overdue":
            return open_.filter(case__due_at__lt=timezone.now())
        if value == "escalated":
            return open_.filter(case__escalated_at__isnull=False)
        return open_.filter(case__supervised_at__isnull=False)


# --- The estate page's desk block ---------------------------------------------------


def desk_context(estate: Estate, user) -> dict:
    """The estate page's desk block: upcoming and recent desk visits, open issues, and
    whether the user may schedule a visit. A fixed number of queries."""
    now = timezone.now()
    visits = _with_issue_counts(
        DeskVisit.objects.visible_to(user).filter(estate=estate).prefetch_related("staff")
    )
    issues = EstateIssue.objects.visible_to(user).open().filter(estate=estate)
    return {
        "desk_upcoming_visits": list(
            visits.filter(scheduled_at__gte=now).order_by("scheduled_at")[:RECENT]
        ),
        "desk_recent_visits": list(
            visits.filter(scheduled_at__lt=now).order_by("-scheduled_at")[:RECENT]
        ),
        "desk_open_issues": list(
            issues.select_related("case", "building").order_by("case__due_at", "pk")[
                :OPEN_ISSUES_SHOWN
            ]
        ),
        "desk_open_issue_count": issues.count(),
        "desk_may_schedule": can(user, Action.CHANGE, estate),
    }


# --- Calendar and visits ------------------------------------------------------------

MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(value: str | None, today: date) -> date:
    """The first day of `?month=YYYY-MM`, or of this month when absent or nonsense."""
    match = MONTH.match(value or "")
    if match:
        year, month = int(match[1]), int(match[2])
        if 2000 <= year <= 2100 and 1 <= month <= 12:
            return date(year, month, 1)
    return today.replace(day=1)


def _next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def _previous_month(first: date) -> date:
    return date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1)


class DeskCalendarView(TemplateView):
    """The desk visits the user can see in one month, grouped by day."""

    template_name = "housing/desk/calendar.html"

    def dispatch(self, request, *args, **kwargs):
        if not works_here(request.user, DESK_VISIT):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        first = parse_month(self.request.GET.get("month"), timezone.localdate())
        following = _next_month(first)
        visits = _with_issue_counts(
            DeskVisit.objects.visible_to(self.request.user)
            .filter(
                scheduled_at__gte=day_start(first),
                scheduled_at__lt=day_start(following),
            )
            .select_related("estate__community")
            .prefetch_related("staff")
            .order_by("scheduled_at", "pk")
        )
        days = [
            (day, list(group))
            for day, group in groupby(visits, key=lambda v: timezone.localdate(v.scheduled_at))
        ]
        return super().get_context_data(
            month=first,
            days=days,
            previous_month=_previous_month(first).strftime("%Y-%m"),
            next_month=following.strftime("%Y-%m"),
            today=timezone.localdate(),
            **kwargs,
        )


class DeskVisitCreateView(FormView):
    """Schedule a desk visit at an estate: when, who goes, a note."""

    template_name = "housing/desk/visit_form.html"
    form_class = DeskVisitForm

    def dispatch(self, request, *args, **kwargs):
        self.estate = get_visible_or_404(
            Estate.objects.select_related("community"), request.user, pk=kwargs["pk"]
        )
        if not can(request.user, Action.CHANGE, self.estate):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "estate": self.estate}

    def get_context_data(self, **kwargs):
        return super().get_context_data(estate=self.estate, **kwargs)

    def form_valid(self, form):
        try:
            visit = services.desk_visit_schedule(
                actor=self.request.user,
                estate=self.estate,
                scheduled_at=form.cleaned_data["scheduled_at"],
                staff=list(form.cleaned_data["staff"]),
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            form_error_from(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The desk visit is scheduled."))
        return redirect("housing:desk_visit_detail", pk=visit.pk)


class DeskVisitDetailView(TemplateView):
    """A desk visit: who goes, the problems recorded there, and (for staff, on or after
    the day) the form to record another."""

    template_name = "housing/desk/visit_detail.html"

    def get_visit(self):
        return get_visible_or_404(
            DeskVisit.objects.select_related("estate__community", "created_by"),
            self.request.user,
            pk=self.kwargs["pk"],
        )

    def get_context_data(self, **kwargs):
        user = self.request.user
        visit = kwargs.pop("visit", None) or self.get_visit()
        issues = list(
            EstateIssue.objects.visible_to(user)
            .filter(desk_visit=visit)
            .select_related("case", "building")
            .order_by("case__created_at", "pk")
        )
        may_record = services.may_record_at(user, visit)
        context = {
            "visit": visit,
            "staff": visit.staff.order_by("display_name", "username"),
            "issues": issues,
            "may_record": may_record,
            "started": services.desk_visit_started(visit),
            "dispute_ids": dispute_candidates(user, issues),
        }
        if may_record and "form" not in kwargs:
            context["form"] = RecordIssueForm(estate=visit.estate)
        context.update(kwargs)
        return super().get_context_data(**context)


class DeskVisitRecordView(DeskVisitDetailView):
    """POST: record one problem raised at the visit; errors keep the page and the input."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        visit = self.get_visit()
        if not services.may_open_issue(request.user, visit.estate):
            raise PermissionDenied
        form = RecordIssueForm(request.POST, estate=visit.estate)
        if form.is_valid():
            try:
                services.desk_visit_record_issue(
                    actor=request.user, visit=visit, **form.cleaned_data
                )
            except ValidationError as error:
                form_error_from(form, error)
            else:
                messages.success(request, _("The problem is recorded."))
                return redirect("housing:desk_visit_detail", pk=visit.pk)
        context = self.get_context_data(visit=visit, form=form)
        context["may_record"] = True
        return self.render_to_response(context)


# --- Estate issues ------------------------------------------------------------------


def dispute_candidates(user, issues) -> set:
    """The pks of `issues` the user may turn into a dispute, in one query (none when the
    disputes app is not installed)."""
    if registry.hand_over_target("dispute_from") is None:
        return set()
    open_pks = [i.pk for i in issues if i.case.closed_at is None]
    if not open_pks:
        return set()
    return set(
        EstateIssue.objects.visible_to(user, Action.CLOSE)
        .filter(pk__in=open_pks)
        .values_list("pk", flat=True)
    )


# The queue's order, newest first, as one keyset segment (portal/paging.py): a page deep
# in a district's hundreds of thousands of issues costs what the first does.
ISSUE_SEGMENTS = [Segment(Q(), "case__created_at", descending=True)]


class IssueQueueView(FilterView):
    """Estate issues in scope, filterable, with yellow and red marks."""

    template_name = "housing/desk/issue_queue.html"
    filterset_class = EstateIssueFilter
    per_page = 25

    def dispatch(self, request, *args, **kwargs):
        if not works_here(request.user, ISSUE, organisations=True):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        # Naming the kind lets the database use the case table's per-kind index.
        return (
            EstateIssue.objects.visible_to(self.request.user)
            .filter(case__kind=ISSUE)
            .select_related("case", "estate", "building")
        )

    def get_filterset_kwargs(self, filterset_class):
        estates = Estate.objects.visible_to(self.request.user).order_by("name")
        return {**super().get_filterset_kwargs(filterset_class), "estates": estates}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = keyset_page(
            context["object_list"], ISSUE_SEGMENTS, self.request.GET.get("after"), self.per_page
        )
        context["object_list"] = page.object_list
        context["keyset"] = page
        context["dispute_ids"] = dispute_candidates(self.request.user, page.object_list)
        return context


class IssueToDisputeView(View):
    """POST: hand an issue to dispute mediation (offered only when disputes exist)."""

    http_method_names = ["post"]

    def post(self, request, pk):
        issue = get_visible_or_404(EstateIssue.objects.select_related("case"), request.user, pk=pk)
        if not can(request.user, Action.CLOSE, issue.case):
            raise PermissionDenied
        try:
            dispute = services.estate_issue_to_dispute(actor=request.user, issue=issue)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("housing:issue_queue")
        messages.success(
            request,
            _("%(reference)s is now dispute %(dispute)s.")
            % {"reference": issue.case.reference, "dispute": dispute.reference},
        )
        return redirect("portal:case_detail", pk=dispute.pk)


@method_decorator(
    ratelimit(key=client_ip_for_ratelimit, rate="10/h", method="POST", block=False), name="post"
)
@method_decorator(login_not_required, name="dispatch")
class IssueReportView(View):
    """Public: residents and visitors report a problem at an estate, with one photo;
    the receipt gives the reference number for the status page."""

    template_name = "housing/desk/issue_report.html"

    def get_form(self, *args):
        return IssueReportForm(*args, user=self.request.user)

    def get(self, request):
        return render(request, self.template_name, {"form": self.get_form()})

    def post(self, request):
        form = self.get_form(request.POST, request.FILES)
        if getattr(request, "limited", False):
            form.is_valid()
            form.add_error(None, _("Too many reports from this network. Try again later."))
        elif form.is_valid():
            try:
                issue = services.estate_issue_report(user=request.user, **form.cleaned_data)
            except ValidationError as error:
                form_error_from(form, error)
            except PermissionDenied:
                form.add_error(None, _("Your account cannot file a report for this estate."))
            else:
                return render(
                    request,
                    "housing/desk/issue_receipt.html",
                    {"issue": issue, "case": issue.case},
                )
        return render(request, self.template_name, {"form": form})


__all__ = [
    "DeskCalendarView",
    "DeskVisitCreateView",
    "DeskVisitDetailView",
    "DeskVisitRecordView",
    "IssueQueueView",
    "IssueReportView",
    "IssueToDisputeView",
    "desk_context",
]
