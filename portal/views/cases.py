"""Pages of the case kit that every kind shares: the case page, its actions, the
cross-kind lists ("My requests", "My open cases"), the public status page and search."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import ListView, TemplateView
from django_ratelimit.decorators import ratelimit

from ..forms import CaseAssignForm, CaseCloseForm, CaseCommentForm, RatingForm, StatusLookupForm
from ..models import Case, Organisation, User
from ..net import client_ip_for_ratelimit
from ..personal import normalise_phone
from ..querysets import sees_internal
from ..registry import case_url, registry
from ..roles import Action
from ..scope import active_memberships, can, get_visible_or_404, may
from ..security import search_stash, search_stashed
from ..services import cases as case_services
from .accounts import form_error_from

CASES_WITH_PLACES = ("community", "handler", "organisation")


def case_forms(case, user, data=None, which=None):
    """The action forms of a case page; `which` is bound to `data`, the others empty."""
    kind = registry.case_kinds[case.kind]

    def bound(name):
        return data if which == name else None

    return {
        "comment_form": CaseCommentForm(bound("comment")),
        "assign_form": CaseAssignForm(
            bound("assign"),
            handlers=case_services.staff_who_may_handle(case).order_by("display_name"),
            organisations=Organisation.objects.visible_to(user).order_by("name"),
        ),
        "close_form": CaseCloseForm(bound("close"), statuses=kind.statuses.choices),
        "rating_form": RatingForm(bound("rate")),
    }


class CaseDetailView(TemplateView):
    """One case of any kind: status, due date, marks, timeline, attachments, actions."""

    template_name = "portal/case_detail.html"

    def get_case(self):
        return get_visible_or_404(
            Case.objects.select_related(*CASES_WITH_PLACES, "rule_set"),
            self.request.user,
            pk=self.kwargs["pk"],
        )

    def get_context_data(self, **kwargs):
        user = self.request.user
        case = kwargs.pop("case", None) or self.get_case()
        staff_view = can(user, Action.CHANGE, case)
        timeline = case.timeline.select_related("actor", "from_organisation", "to_organisation")
        attachments = case.attachments.all()
        if not sees_internal(user, case):
            timeline = timeline.filter(is_public=True)
            attachments = attachments.filter(is_public=True)
        context = {
            "case": case,
            "kind": registry.case_kinds.get(case.kind),
            "timeline": timeline,
            "attachments": attachments,
            "staff_view": staff_view,
            "may_assign": can(user, Action.ASSIGN, case),
            "may_close": can(user, Action.CLOSE, case),
            "may_rate": case_services.may_rate(user, case),
            "may_attach": staff_view or (case.filed_by_id == user.pk and not case.closed_at),
            **case_forms(case, user),
        }
        context.update(kwargs)
        return super().get_context_data(**context)


class CaseActionView(CaseDetailView):
    """POST one of the case page's forms; errors re-render the page with what was typed."""

    http_method_names = ["post"]
    which = ""

    def post(self, request, *args, **kwargs):
        case = self.get_case()
        forms = case_forms(case, request.user, request.POST, self.which)
        form = forms[f"{'rating' if self.which == 'rate' else self.which}_form"]
        if form.is_valid():
            try:
                self.act(case, form.cleaned_data)
            except ValidationError as error:
                form_error_from(form, error)
            except PermissionDenied:
                raise
            else:
                messages.success(request, _("Saved."))
                return redirect("portal:case_detail", pk=case.pk)
        return self.render_to_response(self.get_context_data(case=case, **forms))


class CaseCommentView(CaseActionView):
    which = "comment"

    def act(self, case, data):
        case_services.case_comment(
            case=case, actor=self.request.user, comment=data["comment"], public=data["public"]
        )


class CaseAssignView(CaseActionView):
    which = "assign"

    def act(self, case, data):
        case_services.case_assign(case=case, actor=self.request.user, **data)


class CaseCloseView(CaseActionView):
    which = "close"

    def act(self, case, data):
        case_services.case_close(case=case, actor=self.request.user, **data)


class CaseRateView(CaseActionView):
    which = "rate"

    def act(self, case, data):
        if not case_services.may_rate(self.request.user, case):
            raise PermissionDenied
        case_services.case_rate(case=case, **data)


class MyRequestsView(ListView):
    """A resident's own requests of every kind that residents follow."""

    template_name = "portal/my_requests.html"
    paginate_by = 20

    def get_queryset(self):
        kinds = [k.name for k in registry.case_kinds.values() if k.resident_visible]
        user = self.request.user
        return (
            Case.objects.visible_to(user)
            .filed_or_joined_by(user)
            .filter(kind__in=kinds)
            .select_related("community")
            .order_by("-created_at")
        )


class MyOpenCasesView(ListView):
    """Open cases a staff member handles, or that are with their organisation."""

    template_name = "portal/my_open_cases.html"
    paginate_by = 25

    def get_queryset(self):
        user = self.request.user
        organisations = [m.organisation_id for m in active_memberships(user) if m.organisation_id]
        cases = (
            Case.objects.visible_to(user)
            .open()
            .filter(Q(handler=user) | Q(organisation_id__in=organisations))
            .select_related(*CASES_WITH_PLACES)
            .order_by("due_at", "pk")
        )
        if kind := self.request.GET.get("kind"):
            cases = cases.filter(kind=kind)
        return cases

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            kinds=[(k.name, k.label_plural) for k in registry.case_kinds.values()], **kwargs
        )


@method_decorator(
    ratelimit(key=client_ip_for_ratelimit, rate="20/h", method="POST", block=False), name="post"
)
@method_decorator(login_not_required, name="dispatch")
class StatusView(View):
    """Public: a reference number and the phone it was filed with show the case's progress.

    A wrong reference and a wrong phone get the same answer, so neither can be probed.
    """

    template_name = "portal/status.html"

    def get(self, request):
        return render(request, self.template_name, {"form": StatusLookupForm()})

    def post(self, request):
        form = StatusLookupForm(request.POST)
        context = {"form": form}
        if getattr(request, "limited", False):
            form.is_valid()
            form.add_error(None, _("Too many look-ups from this network. Try again later."))
        elif form.is_valid():
            case = self.find(form.cleaned_data["reference"], form.cleaned_data["phone"])
            if case is None:
                form.add_error(None, _("No request matches this reference number and phone."))
            else:
                context.update(self.case_context(case, request))
        return render(request, self.template_name, context)

    @staticmethod
    def find(reference: str, phone: str):
        kind = registry.case_kind_for_reference(reference)
        if kind is None or not kind.resident_visible:
            return None
        return (
            Case.objects.filter(reference=reference, filer_phone=normalise_phone(phone))
            .select_related("community")
            .first()
        )

    def case_context(self, case, request):
        rating_form = RatingForm(request.POST if "rating" in request.POST else None)
        if rating_form.is_bound and case.closed_at and case.rated_at is None:
            if rating_form.is_valid():
                try:
                    case_services.case_rate(case=case, **rating_form.cleaned_data)
                    messages.success(request, _("Thank you for your rating."))
                except ValidationError as error:
                    form_error_from(rating_form, error)
        return {
            "case": case,
            "kind": registry.case_kinds[case.kind],
            "timeline": case.timeline.filter(is_public=True),
            "rating_form": rating_form,
            "may_rate": case.closed_at is not None and case.rated_at is None,
        }


class SearchView(TemplateView):
    """Staff search: a reference number opens its case; otherwise cases and accounts
    whose name, phone or subject match, within scope and masked as lists are."""

    template_name = "portal/search.html"
    limit = 20

    def post(self, request, *args, **kwargs):
        """The form posts, so a searched name or phone never enters the URL or its logs."""
        if not (request.user.is_superuser or active_memberships(request.user)):
            raise PermissionDenied
        url = reverse("portal:search")
        if text := request.POST.get("q", "").strip()[:100]:
            url += "?" + urlencode({"s": search_stash(request, text)})
        return redirect(url)

    def get(self, request, *args, **kwargs):
        stashed = search_stashed(request, request.GET.get("s", ""))
        query = (stashed or request.GET.get("q", "")).strip()
        user = request.user
        if not (user.is_superuser or active_memberships(user)):
            raise PermissionDenied
        if query and registry.case_kind_for_reference(query):
            case = Case.objects.visible_to(user).filter(reference=query.upper()).first()
            if case:
                return redirect(case_url(case))
        return super().get(request, *args, query=query, **kwargs)

    def get_context_data(self, *, query="", **kwargs):
        user = self.request.user
        cases = accounts = None
        if len(query) >= 2:
            phone = normalise_phone(query)
            text = (
                Q(title__icontains=query)
                | Q(filer_name__icontains=query)
                | Q(reference__icontains=query)
            )
            if phone.isdigit() and len(phone) >= 4:
                text |= Q(filer_phone__contains=phone)
            cases = (
                Case.objects.visible_to(user)
                .filter(text)
                .select_related("community")
                .order_by("-created_at")[: self.limit]
            )
            if may(user, Action.VIEW, "portal.account"):
                people = Q(display_name__icontains=query)
                if phone.isdigit() and len(phone) >= 4:
                    people |= Q(phone__contains=phone)
                accounts = (
                    User.objects.visible_to(user)
                    .filter(people)
                    .order_by("display_name")[: self.limit]
                )
        return super().get_context_data(query=query, cases=cases, accounts=accounts, **kwargs)
