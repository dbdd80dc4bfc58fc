"""Inspection pages: the list, starting one, the phone checklist with its per-answer save
endpoint (JSON for the page's script, a redirect back to the item without it), and
finishing; and the findings: list, page, resolution and re-check."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, ListView, TemplateView
from django_filters.views import FilterView

from portal.paging import Segment, keyset_page, pk_url
from portal.querysets import sees_internal
from portal.roles import Action
from portal.scope import get_visible_or_404
from portal.views.accounts import form_error_from

from ..forms.inspections import AnswerForm, FindingFilter, RecheckForm, ResolveForm, StartForm
from ..models import CriteriaSet, Criterion, Finding, Inspection, Result
from ..services import findings as finding_services
from ..services import inspections as services


def checklist_url(pk, criterion_pk=None) -> str:
    url = reverse("civility:inspection_detail", kwargs={"pk": pk})
    return f"{url}#c-{criterion_pk}" if criterion_pk else url


def finding_url(pk) -> str:
    return reverse("civility:finding_detail", kwargs={"pk": pk})


def wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


# --- Inspections ---------------------------------------------------------------------------


class InspectionListView(ListView):
    """Inspections in the user's area, newest first, with their progress."""

    template_name = "civility/inspections/list.html"
    paginate_by = 25
    context_object_name = "inspections"

    def dispatch(self, request, *args, **kwargs):
        if not services.works_inspections(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return (
            Inspection.objects.visible_to(self.request.user)
            .select_related("site", "criteria_set")
            .annotate(
                answered=Count("answers", distinct=True),
                failed=Count("answers", filter=Q(answers__result=Result.FAIL), distinct=True),
            )
            .order_by("-inspected_on", "-pk")
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(may_start=services.may_start(self.request.user), **kwargs)


class InspectionStartView(FormView):
    template_name = "civility/inspections/start.html"
    form_class = StartForm

    def dispatch(self, request, *args, **kwargs):
        if not services.may_start(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        user = self.request.user
        return {
            **super().get_form_kwargs(),
            "sites": services.sites_for(user),
            "inspectors": services.inspectors_for(user),
            "departments": services.departments_for(user),
            "criteria_sets": CriteriaSet.objects.visible_to(user).select_related("area"),
        }

    def get_initial(self):
        # "Start an inspection here" on a site's page names the site.
        return {**super().get_initial(), "site": self.request.GET.get("site")}

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            inspection = services.inspection_start(
                actor=self.request.user,
                site=data["site"],
                mode=data["mode"],
                inspected_on=data["inspected_on"],
                inspectors=data["inspectors"],
                departments=data["departments"],
                criteria_set=data["criteria_set"],
            )
        except ValidationError as error:
            form_error_from(form, error)
            return self.form_invalid(form)
        except PermissionDenied:
            form.add_error("site", _("You may not inspect this site."))
            return self.form_invalid(form)
        messages.success(self.request, _("The inspection is started: work through the list."))
        return redirect(checklist_url(inspection.pk))


def _inspections():
    return Inspection.objects.select_related(
        "site__area", "site__responsible_unit", "criteria_set", "started_by"
    )


def checklist_context(inspection: Inspection, user, bound: dict | None = None) -> dict:
    """`bound`: criterion pk → the posted AnswerForm with its errors (no-script posts)."""
    bound = bound or {}
    groups = services.checklist(inspection)
    total = sum(len(g["items"]) for g in groups)
    answered = sum(1 for g in groups for item in g["items"] if item.answer)
    for group in groups:
        for item in group["items"]:
            item.form = bound.get(item.criterion.pk)
    return {
        "inspection": inspection,
        "groups": groups,
        "total": total,
        "answered": answered,
        "editable": inspection.finished_at is None and services.may_work_on(user, inspection),
        "inspectors": list(inspection.inspectors.all()),
        "departments": list(inspection.departments.all()),
        "results": Result.choices,
    }


class InspectionDetailView(TemplateView):
    """The checklist: only the criteria for the site's type, by category."""

    template_name = "civility/inspections/detail.html"

    def get_context_data(self, **kwargs):
        inspection = get_visible_or_404(_inspections(), self.request.user, pk=self.kwargs["pk"])
        return super().get_context_data(
            **checklist_context(inspection, self.request.user), **kwargs
        )


class AnswerView(TemplateView):
    """Save one answer as it is given: JSON for the page's script; without it a redirect
    back to the item, or the checklist again with the item's error and what was typed."""

    http_method_names = ["post"]
    template_name = "civility/inspections/detail.html"

    def post(self, request, *args, **kwargs):
        inspection = get_visible_or_404(
            _inspections(), request.user, Action.CHANGE, pk=kwargs["pk"]
        )
        form = AnswerForm(request.POST, request.FILES)
        saved = None
        criterion = None
        if form.is_valid():
            criterion = Criterion.objects.filter(
                pk=form.cleaned_data["criterion"], criteria_set_id=inspection.criteria_set_id
            ).first()
            if criterion is None:
                form.add_error(None, _("This criterion is not on this site's checklist."))
            else:
                try:
                    saved = services.answer_save(
                        actor=request.user,
                        inspection=inspection,
                        criterion=criterion,
                        result=form.cleaned_data["result"],
                        note=form.cleaned_data["note"],
                        photo=form.cleaned_data["photo"],
                    )
                except ValidationError as error:
                    form_error_from(form, error)
        if wants_json(request):
            return self.json(form, saved)
        if saved is not None:
            return redirect(checklist_url(inspection.pk, criterion.pk))
        inspection = get_visible_or_404(_inspections(), request.user, pk=inspection.pk)
        criterion_pk = getattr(form, "cleaned_data", {}).get("criterion")
        bound = {criterion_pk: form} if criterion_pk else {}
        context = checklist_context(inspection, request.user, bound)
        context["answer_form"] = form
        if not bound:
            context["page_errors"] = [e for errors in form.errors.values() for e in errors]
        return self.render_to_response(self.get_context_data(**context))

    def json(self, form, saved):
        if saved is None:
            errors = {
                field or "__all__": [str(e) for e in errs] for field, errs in form.errors.items()
            }
            return JsonResponse({"ok": False, "errors": errors}, status=400)
        finding = saved.finding
        return JsonResponse(
            {
                "ok": True,
                "criterion": saved.answer.criterion_id,
                "result": saved.answer.result,
                "note": saved.answer.note,
                "changed": saved.changed,
                "finding": None
                if finding is None
                else {
                    "reference": finding.case.reference,
                    "url": finding_url(finding.pk),
                    # A finding withdrawn during the inspection is closed with no resolution.
                    "live": finding.case.closed_at is None or bool(finding.resolution),
                },
            }
        )


class FinishView(TemplateView):
    http_method_names = ["post"]
    template_name = "civility/inspections/detail.html"

    def post(self, request, *args, **kwargs):
        inspection = get_visible_or_404(
            _inspections(), request.user, Action.CHANGE, pk=kwargs["pk"]
        )
        try:
            services.inspection_finish(actor=request.user, inspection=inspection)
        except ValidationError as error:
            context = checklist_context(inspection, request.user)
            context["page_errors"] = error.messages
            return self.render_to_response(self.get_context_data(**context))
        messages.success(request, _("The inspection is finished."))
        return redirect(checklist_url(inspection.pk))


# --- Findings -------------------------------------------------------------------------------


# No rows: a segment the list's filter rules out costs no query.
NO_ROWS = Q(pk__in=[])


def finding_segments(overdue: bool | None = None, now=None) -> list[Segment]:
    """The findings list's order as keyset segments (portal/paging.py), so a page deep in
    a city's findings costs what the first does: open with a due date, soonest first;
    open without one, least recently touched first; then the closed ones in the order
    they were closed, as the list has always shown them.

    The first and last are read along the case table's per-kind indexes. Every open
    finding is given a due date, so the middle one is empty or nearly: ordered by
    created_at the database would walk the kind's whole created index looking for it;
    ordered by updated_at (no index) it finds its few rows by the open-due index's null
    due dates and sorts them. The overdue filter (`overdue`) is repeated here as index
    ranges and empty segments: as a filter alone the database would walk every late
    finding to find the first one that is not.
    """
    now = now or timezone.now()
    open_dated = Q(case__closed_at__isnull=True)
    if overdue is not None:
        open_dated &= Q(case__due_at__lt=now) if overdue else Q(case__due_at__gte=now)
    undated = Q(case__closed_at__isnull=True, case__due_at__isnull=True)
    closed = Q(case__closed_at__isnull=False)
    return [
        Segment(open_dated, "case__due_at"),
        Segment(NO_ROWS if overdue else undated, "case__updated_at"),
        Segment(NO_ROWS if overdue else closed, "case__closed_at"),
    ]


# What a row of the findings table shows; the rest of the finding, its case, inspection,
# criterion and site stays unread.
FINDING_ROW_FIELDS = [
    "severity",
    "resolution",
    "sent_to_platform",
    "inspection__inspected_on",
    "criterion__code",
    "criterion__category",
    "criterion__text",
    "site__name",
    "site__type",
    *(
        f"case__{field}"
        for field in (
            "kind",
            "reference",
            "status",
            "due_at",
            "escalated_at",
            "supervised_at",
            "created_at",
            "updated_at",
            "closed_at",
        )
    ),
]


class FindingListView(FilterView):
    """Findings in the user's reach: inspectors by area, responsible units their own."""

    template_name = "civility/inspections/finding_list.html"
    filterset_class = FindingFilter
    per_page = 25

    def dispatch(self, request, *args, **kwargs):
        if not finding_services.sees_findings(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        # The kind is implied by the join; naming it lets the database use the case
        # table's per-kind keyset indexes.
        return (
            Finding.objects.visible_to(self.request.user)
            .filter(case__kind="civility.finding")
            .select_related("case", "site", "criterion", "inspection")
            .only(*FINDING_ROW_FIELDS)
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = self.filterset.form
        overdue = form.cleaned_data.get("overdue") if form.is_valid() else None
        now = timezone.now()
        page = keyset_page(
            context["object_list"],
            finding_segments(overdue, now),
            self.request.GET.get("after"),
            self.per_page,
        )
        url = pk_url("civility:finding_detail")
        for finding in page:
            finding.url = url(finding.pk)
        context["object_list"] = page.object_list
        context["keyset"] = page
        context["rows"] = [(f, f.case.is_overdue(now)) for f in page]
        return context


def _findings():
    return Finding.objects.select_related(
        "case__community",
        "case__organisation",
        "site__responsible_unit",
        "criterion",
        "inspection",
        "after_photo",
        "recheck_follow_up",
        "order__case",
    )


def finding_context(finding: Finding, user, bound: dict | None = None) -> dict:
    case = finding.case
    internal = sees_internal(user, case)
    staff = finding_services.may_work_on(user, finding)
    forms = {}
    if staff and finding_services.resolvable(finding):
        forms["resolve_form"] = ResolveForm(
            initial={"severity": finding.severity}, auto_id="resolve_%s"
        )
    if staff and finding_services.rechecking(finding):
        forms["recheck_form"] = RecheckForm(auto_id="recheck_%s")
    forms.update(bound or {})
    timeline = case.timeline.select_related("actor")
    attachments = case.attachments.all()
    if not internal:
        timeline = timeline.filter(is_public=True)
        attachments = attachments.filter(is_public=True)
    return {
        "finding": finding,
        "case": case,
        "internal": internal,
        "staff": staff,
        "sees_inspection": services.works_inspections(user)
        and Inspection.objects.visible_to(user).filter(pk=finding.inspection_id).exists(),
        "overdue": case.is_overdue(),
        "timeline": timeline,
        "attachments": attachments,
        **forms,
    }


class FindingDetailView(TemplateView):
    template_name = "civility/inspections/finding_detail.html"

    def get_context_data(self, **kwargs):
        finding = get_visible_or_404(_findings(), self.request.user, pk=self.kwargs["pk"])
        return super().get_context_data(**finding_context(finding, self.request.user), **kwargs)


class FindingActionView(TemplateView):
    """POST one of the finding page's forms to one service call."""

    http_method_names = ["post"]
    template_name = "civility/inspections/finding_detail.html"
    form_name = ""
    form_class = None
    success_message = ""

    def act(self, finding, form):
        raise NotImplementedError

    def post(self, request, *args, **kwargs):
        finding = get_visible_or_404(_findings(), request.user, Action.CHANGE, pk=kwargs["pk"])
        form = self.form_class(request.POST, request.FILES, auto_id=f"{self.form_name[:-5]}_%s")
        if form.is_valid():
            try:
                self.act(finding, form)
            except ValidationError as error:
                form_error_from(form, error)
            else:
                messages.success(request, self.success_message)
                return redirect(finding_url(finding.pk))
        finding = get_visible_or_404(_findings(), request.user, pk=kwargs["pk"])
        context = finding_context(finding, request.user, {self.form_name: form})
        return self.render_to_response(self.get_context_data(**context))


class FindingResolveView(FindingActionView):
    form_name = "resolve_form"
    form_class = ResolveForm
    success_message = gettext_lazy("The finding's resolution is recorded.")

    def act(self, finding, form):
        finding_services.finding_resolve(
            actor=self.request.user, finding=finding, **form.cleaned_data
        )


class FindingRecheckView(FindingActionView):
    form_name = "recheck_form"
    form_class = RecheckForm
    success_message = gettext_lazy("The re-check is recorded.")

    def act(self, finding, form):
        finding_services.finding_recheck(
            actor=self.request.user, finding=finding, **form.cleaned_data
        )
