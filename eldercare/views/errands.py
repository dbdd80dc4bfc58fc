"""Red-vest errand pages: the staff queue, "My errands" for volunteers, the errand page
with its actions, the resident's request form and staff's "request on behalf" form."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import FormView, ListView, TemplateView
from django_filters.views import FilterView

from housing.models import Person
from housing.services.registry import may_see_sensitive_at, record_sensitive_opening
from portal.forms import RatingForm
from portal.personal import mask_phone
from portal.querysets import sees_internal
from portal.roles import Action
from portal.scope import can, get_visible_or_404
from portal.views.accounts import form_error_from

from ..forms.errands import (
    ErrandAssignForm,
    ErrandCancelForm,
    ErrandDoneForm,
    ErrandFilter,
    ErrandRequestForForm,
    ErrandRequestForm,
)
from ..models import Errand
from ..services import errands as services

PLACES = ("case__community", "case__handler", "case__organisation")


def open_first(errands):
    """Open errands first, soonest due first; then the most recently closed."""
    return errands.order_by(
        F("case__closed_at").desc(nulls_first=True), "case__due_at", "-case__created_at", "pk"
    )


class ErrandQueueView(FilterView):
    """Errands of the communities in the user's areas, filterable by status, service
    and overdue; never the circumstances."""

    template_name = "eldercare/errands/errand_list.html"
    filterset_class = ErrandFilter
    paginate_by = 25

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not services.works_errands(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return open_first(Errand.objects.visible_to(self.request.user).select_related(*PLACES))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        for errand in context["object_list"]:
            errand.masked_phone = mask_phone(errand.case.filer_phone)
        context["may_request_for"] = services.may_request_for_others(self.request.user)
        return context


class MyErrandsView(ListView):
    """A volunteer's errands: open first, soonest due first."""

    template_name = "eldercare/errands/my_errands.html"
    paginate_by = 25

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not services.is_volunteer(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        user = self.request.user
        return open_first(
            Errand.objects.visible_to(user).filter(case__handler=user).select_related(*PLACES)
        )


# --- One errand ---------------------------------------------------------------------------


class ErrandDetailView(TemplateView):
    """What is needed, where and by when; the circumstances only for those who may see
    sensitive data (each opening logged); assign, done, cancel and rate as allowed."""

    template_name = "eldercare/errands/errand_detail.html"

    def get_errand(self) -> Errand:
        return get_visible_or_404(
            Errand.objects.select_related(*PLACES, "person"),
            self.request.user,
            pk=self.kwargs["pk"],
        )

    @staticmethod
    def back(user, case) -> tuple[str, str]:
        """Where this user came from: the queue, their errands, or their requests."""
        if services.works_errands(user):
            return reverse("eldercare:errand_list"), _("Back to the errands")
        if case.handler_id == user.pk:
            return reverse("eldercare:my_errands"), _("Back to my errands")
        return reverse("portal:my_requests"), _("Back to my requests")

    def action_forms(self, errand, data=None, which=""):
        """The forms the user may use on this errand; `which` is bound to `data`."""
        user, case = self.request.user, errand.case

        def bound(name):
            return data if which == name else None

        forms = {}
        if case.closed_at is None:
            if can(user, Action.ASSIGN, case):
                forms["assign_form"] = ErrandAssignForm(
                    bound("assign"), roster=services.volunteer_roster(case.community)
                )
            if services.may_mark_done(user, errand):
                forms["done_form"] = ErrandDoneForm(bound("done"))
            if services.may_cancel(user, errand):
                forms["cancel_form"] = ErrandCancelForm(bound("cancel"))
        elif services.may_rate(user, errand):
            forms["rating_form"] = RatingForm(bound("rate"))
        return forms

    def get_context_data(self, **kwargs):
        user = self.request.user
        errand = kwargs.pop("errand", None) or self.get_errand()
        case = errand.case
        staff = sees_internal(user, case)
        timeline = case.timeline.select_related("actor", "to_organisation")
        if not staff:
            timeline = timeline.filter(is_public=True)
        show_group = may_see_sensitive_at(user, case.community)
        if show_group:
            record_sensitive_opening(
                user=user, target=f"eldercare.errand:{errand.pk}", field="group"
            )
        forms = {**self.action_forms(errand), **kwargs.pop("forms", {})}
        roster = (
            list(forms["assign_form"].fields["volunteer"].queryset)
            if "assign_form" in forms
            else []
        )
        back_url, back_label = self.back(user, case)
        return super().get_context_data(
            errand=errand,
            case=case,
            back_url=back_url,
            back_label=back_label,
            staff_view=staff,
            show_group=show_group,
            # Those who work the errand call the resident; others see the phone masked.
            contact_phone=(
                case.filer_phone if can(user, Action.CHANGE, case) else mask_phone(case.filer_phone)
            ),
            timeline=timeline,
            roster=roster,
            **forms,
            **kwargs,
        )


class ErrandActionView(ErrandDetailView):
    """POST one of the errand page's forms; errors re-render the page with what was typed."""

    http_method_names = ["post"]
    which = ""

    def post(self, request, *args, **kwargs):
        errand = self.get_errand()
        forms = self.action_forms(errand, request.POST, self.which)
        form = forms.get(f"{'rating' if self.which == 'rate' else self.which}_form")
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            try:
                self.act(errand, form.cleaned_data)
            except ValidationError as error:
                form_error_from(form, error)
            else:
                messages.success(request, self.success_message)
                return redirect("eldercare:errand_detail", pk=errand.pk)
        return self.render_to_response(self.get_context_data(errand=errand, forms=forms))


class ErrandAssignView(ErrandActionView):
    which = "assign"

    @property
    def success_message(self):
        return _("The volunteer is assigned and told.")

    def act(self, errand, data):
        entry = data["volunteer"]
        services.errand_assign(
            actor=self.request.user,
            errand=errand,
            volunteer=entry.user,
            team=entry.organisation,
            comment=data["comment"],
        )


class ErrandDoneView(ErrandActionView):
    which = "done"

    @property
    def success_message(self):
        return _("The errand is done. Thank you.")

    def act(self, errand, data):
        services.errand_done(actor=self.request.user, errand=errand, note=data["note"])


class ErrandCancelView(ErrandActionView):
    which = "cancel"

    @property
    def success_message(self):
        return _("The errand is cancelled.")

    def act(self, errand, data):
        services.errand_cancel(actor=self.request.user, errand=errand, reason=data["reason"])


class ErrandRateView(ErrandActionView):
    which = "rate"

    @property
    def success_message(self):
        return _("Thank you for your rating.")

    def act(self, errand, data):
        services.errand_rate(actor=self.request.user, errand=errand, **data)


# --- Requests ---------------------------------------------------------------------------


class ErrandRequestView(FormView):
    """A resident asks the red-vest team for an errand (mobile first, large inputs)."""

    template_name = "eldercare/errands/errand_form.html"
    form_class = ErrandRequestForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and services.resident_community(request.user) is None:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def person(self):
        return Person.objects.filter(user=self.request.user).first()

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "person": self.person()}

    def get_initial(self):
        return {"phone": self.request.user.phone}

    def get_context_data(self, **kwargs):
        return super().get_context_data(on_behalf=False, **kwargs)

    def form_valid(self, form):
        try:
            errand = services.errand_request(
                actor=self.request.user,
                phone=form.cleaned_data["phone"],
                on_record=form.cleaned_data.get("on_record", False),
                **form.errand_data(),
            )
        except ValidationError as error:
            form_error_from(form, error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("Your request %(reference)s is sent. The community will find a volunteer.")
            % {"reference": errand.case.reference},
        )
        return redirect("eldercare:errand_detail", pk=errand.pk)


class ErrandRequestForView(FormView):
    """Staff or a grid worker files an errand for a resident who cannot do it online."""

    template_name = "eldercare/errands/errand_form.html"
    form_class = ErrandRequestForForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not services.may_request_for_others(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        user = self.request.user
        return {
            **super().get_form_kwargs(),
            "user": user,
            "communities": services.communities_for_requests(user),
        }

    def get_context_data(self, **kwargs):
        return super().get_context_data(on_behalf=True, **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            errand = services.errand_request_for(
                actor=self.request.user,
                community=data["community"],
                name=data["name"],
                phone=data["phone"],
                person=data["id_number"],
                **form.errand_data(),
            )
        except ValidationError as error:
            if hasattr(error, "error_dict") and "person" in error.error_dict:
                form.add_error("id_number", error.error_dict.pop("person"))
            form_error_from(form, error)
            return self.form_invalid(form)
        except PermissionDenied:
            form.add_error("community", _("You may not file an errand for this community."))
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("Errand %(reference)s is filed. Give the reference number to the resident.")
            % {"reference": errand.case.reference},
        )
        return redirect("eldercare:errand_detail", pk=errand.pk)
