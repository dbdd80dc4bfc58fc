"""Supervision order pages: the list (inspectors see their area's orders, a unit's
members their own), issuing an order from a unit's open findings, the order page with
the unit's reply and the inspectors' re-check, and the printable 督办单."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, F
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, TemplateView
from django_filters.views import FilterView

from portal.models import Organisation
from portal.querysets import sees_internal
from portal.roles import Action
from portal.scope import get_visible_or_404
from portal.views.accounts import form_error_from

from ..forms.orders import (
    OrderFilter,
    OrderForm,
    RecheckForm,
    RecheckResult,
    ReopenForm,
    ReplyForm,
    UnitForm,
)
from ..models import Finding, OrderStatus, SupervisionOrder
from ..services import orders as services

PRINT_LANGUAGE = "zh-hans"


def detail_url(pk) -> str:
    return reverse("civility:order_detail", kwargs={"pk": pk})


def status_label(order: SupervisionOrder) -> str:
    status = order.case.status
    return OrderStatus(status).label if status in OrderStatus.values else status


def _orders():
    return SupervisionOrder.objects.select_related(
        "case__community", "responsible_unit", "replied_by"
    )


def _order_findings(order: SupervisionOrder):
    return (
        Finding.objects.filter(order=order)
        .select_related("case", "criterion", "site", "inspection")
        .order_by("site__name", "criterion__code", "pk")
    )


# --- The list -----------------------------------------------------------------------------


class OrderListView(FilterView):
    """Orders in scope, open ones first and the most urgent at the top."""

    template_name = "civility/orders/list.html"
    filterset_class = OrderFilter
    paginate_by = 25

    def dispatch(self, request, *args, **kwargs):
        if not services.works_orders(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return (
            SupervisionOrder.objects.visible_to(self.request.user)
            .select_related("case__community", "responsible_unit")
            .annotate(finding_count=Count("findings"))
            .order_by(F("case__closed_at").asc(nulls_first=True), "case__due_at", "pk")
        )

    def get_filterset_kwargs(self, filterset_class):
        visible = SupervisionOrder.objects.visible_to(self.request.user)
        units = Organisation.objects.filter(pk__in=visible.values("responsible_unit_id")).order_by(
            "name"
        )
        return {**super().get_filterset_kwargs(filterset_class), "units": units}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        now = timezone.now()
        context.update(
            rows=[
                (order, services.is_late(order, now), status_label(order))
                for order in context["object_list"]
            ],
            may_issue=services.may_issue(self.request.user),
        )
        return context


# --- Issuing ------------------------------------------------------------------------------


class OrderCreateView(FormView):
    """Choose the unit, then tick its open findings and set deadline, level and
    requirements."""

    template_name = "civility/orders/create.html"
    form_class = OrderForm

    def dispatch(self, request, *args, **kwargs):
        if not services.may_issue(request.user):
            raise PermissionDenied
        self.visible_findings = Finding.objects.visible_to(request.user, Action.CHANGE)
        self.units = Organisation.objects.filter(
            pk__in=services.orderable(self.visible_findings).values("site__responsible_unit_id")
        ).order_by("name")
        return super().dispatch(request, *args, **kwargs)

    def chosen_unit(self):
        raw = (self.request.POST if self.request.method == "POST" else self.request.GET).get(
            "unit", ""
        )
        if not str(raw).isdigit():
            return None
        return self.units.filter(pk=int(raw)).first()

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs.update(units=self.units, findings=self.visible_findings)
        unit = self.chosen_unit()
        if unit is not None and self.request.method != "POST":
            kwargs["initial"] = {"unit": unit}
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        unit = self.chosen_unit()
        form = context["form"]
        ticked = set()
        if form.is_bound:
            ticked = {str(v) for v in form.data.getlist("findings")}
        candidates = []
        if unit is not None:
            candidates = list(
                services.orderable(self.visible_findings)
                .filter(site__responsible_unit=unit)
                .select_related("case", "criterion", "site", "inspection")
                .order_by("site__name", "criterion__code", "pk")
            )
        context.update(
            unit=unit,
            unit_form=UnitForm(
                initial={"unit": unit} if unit else None, units=self.units, auto_id="unit_%s"
            ),
            candidates=[(f, str(f.pk) in ticked) for f in candidates],
        )
        return context

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            order = services.order_issue(
                actor=self.request.user,
                unit=data["unit"],
                findings=list(data["findings"]),
                deadline=data["deadline"],
                level=data["level"],
                requirements=data["requirements"],
            )
        except ValidationError as error:
            form_error_from(form, error)
            return self.form_invalid(form)
        except PermissionDenied:
            form.add_error(None, _("You may not issue an order for these findings."))
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("The supervision order %(reference)s is issued to %(unit)s.")
            % {"reference": order.case.reference, "unit": order.responsible_unit.name},
        )
        return redirect(detail_url(order.pk))


# --- The order page -----------------------------------------------------------------------


def action_forms(order: SupervisionOrder, user, bound: dict | None = None) -> dict:
    """The forms the order's status allows this user; `bound` replaces one with the
    posted form."""
    case = order.case
    forms = {}
    if not case.closed_at and case.status in services.REPLYABLE and services.may_reply(user, order):
        forms["reply_form"] = ReplyForm(auto_id="reply_%s")
    if services.may_recheck(user, order):
        if case.closed_at:
            forms["reopen_form"] = ReopenForm(auto_id="reopen_%s")
        elif case.status == OrderStatus.REPLIED:
            forms["recheck_form"] = RecheckForm(auto_id="recheck_%s")
    forms.update(bound or {})
    return forms


def detail_context(order: SupervisionOrder, user, bound: dict | None = None) -> dict:
    case = order.case
    internal = sees_internal(user, case)
    timeline = case.timeline.select_related("actor").order_by("at", "pk")
    attachments = case.attachments.order_by("uploaded_at", "pk")
    if not internal:
        timeline = timeline.filter(is_public=True)
        attachments = attachments.filter(is_public=True)
    return {
        "order": order,
        "case": case,
        "internal": internal,
        "findings": _order_findings(order),
        "issuer": services.issuer_of(order),
        "overdue": services.is_late(order),
        "status": status_label(order),
        "timeline": timeline,
        "attachments": attachments,
        **action_forms(order, user, bound),
    }


class OrderDetailView(TemplateView):
    """The order: unit, level, deadline, requirements, findings with their criteria and
    sites, the reply and its photos, the re-check and the timeline."""

    template_name = "civility/orders/detail.html"

    def get_context_data(self, **kwargs):
        order = get_visible_or_404(_orders(), self.request.user, pk=self.kwargs["pk"])
        return super().get_context_data(**detail_context(order, self.request.user), **kwargs)


class OrderActionView(TemplateView):
    """POST one of the order page's forms to one service call; errors re-render the page
    with what was typed (the posted form is also `form`)."""

    http_method_names = ["post"]
    template_name = "civility/orders/detail.html"
    form_name = ""
    success_message = ""

    def get_order(self) -> SupervisionOrder:
        return get_visible_or_404(_orders(), self.request.user, pk=self.kwargs["pk"])

    def make_form(self, order, data, files):
        raise NotImplementedError

    def act(self, order, form):
        raise NotImplementedError

    def post(self, request, *args, **kwargs):
        order = self.get_order()
        form = self.make_form(order, request.POST, request.FILES)
        if form.is_valid():
            try:
                self.act(order, form)
            except ValidationError as error:
                form_error_from(form, error)
            else:
                messages.success(request, self.success_message)
                return redirect(detail_url(order.pk))
        order = self.get_order()  # the status as it is now, after a refusal
        context = detail_context(order, request.user, {self.form_name: form})
        return self.render_to_response(self.get_context_data(form=form, **context))


class OrderReplyView(OrderActionView):
    form_name = "reply_form"
    success_message = gettext_lazy("The reply is sent; the inspectors will re-check.")

    def make_form(self, order, data, files):
        if not services.may_reply(self.request.user, order):
            raise PermissionDenied
        return ReplyForm(data, files, auto_id="reply_%s")

    def act(self, order, form):
        services.order_reply(actor=self.request.user, order=order, **form.cleaned_data)


class OrderRecheckView(OrderActionView):
    """The re-check of a replied order; on a closed order, the reopening when the
    problem recurred."""

    def make_form(self, order, data, files):
        if not services.may_recheck(self.request.user, order):
            raise PermissionDenied
        if order.case.closed_at:
            self.form_name = "reopen_form"
            return ReopenForm(data, auto_id="reopen_%s")
        self.form_name = "recheck_form"
        return RecheckForm(data, auto_id="recheck_%s")

    def act(self, order, form):
        data = form.cleaned_data
        if isinstance(form, ReopenForm):
            services.order_reopen(
                actor=self.request.user,
                order=order,
                reason=data["note"],
                deadline=data["deadline"],
            )
            self.success_message = _("The order is reopened; the unit has a new deadline.")
            return
        passed = data["result"] == RecheckResult.PASSED
        services.order_recheck(
            actor=self.request.user,
            order=order,
            passed=passed,
            note=data["note"],
            deadline=data["deadline"],
        )
        self.success_message = (
            _("The re-check passed; the order and its findings are closed.")
            if passed
            else _("The re-check failed; the order is back with the unit.")
        )


# --- The printable order ------------------------------------------------------------------


class OrderPrintView(TemplateView):
    """The 督办单 as a document to print, in Chinese whatever the page language."""

    template_name = "civility/orders/print.html"

    def get(self, request, *args, **kwargs):
        with translation.override(PRINT_LANGUAGE):
            response = super().get(request, *args, **kwargs)
            response.render()
        response.headers["Content-Language"] = PRINT_LANGUAGE
        return response

    def get_context_data(self, **kwargs):
        order = get_visible_or_404(_orders(), self.request.user, pk=self.kwargs["pk"])
        issuer = services.issuer_of(order)
        return super().get_context_data(
            order=order,
            case=order.case,
            findings=_order_findings(order),
            issuer=issuer,
            issued_on=timezone.localdate(order.case.created_at),
            **kwargs,
        )
