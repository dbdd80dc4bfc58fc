"""The user's own account, resident registration and account administration."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, TemplateView
from django_filters.views import FilterView
from django_otp import user_has_device
from django_ratelimit.decorators import ratelimit

from ..filters import AccountFilter
from ..forms import AccountCreateForm, ProfileForm, RegistrationForm, RoleAtAreaForm
from ..models import Membership, User
from ..net import client_ip_for_ratelimit
from ..querysets import area_labels
from ..roles import Action
from ..scope import ACCOUNT, account_manageable, active_memberships, get_visible_or_404, may
from ..security import search_stash, search_stashed
from ..services import accounts as services
from ..services import handover as handover_services
from ..services import security as security_services


def form_error_from(form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form, by field where it names one."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


# --- The user's own account -----------------------------------------------------


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's view; a changed password also lifts the one-time-password lock."""

    def form_valid(self, form):
        response = super().form_valid(form)
        services.password_changed(user=form.user)
        return response


class MyAccountView(FormView):
    template_name = "portal/my_account.html"
    form_class = ProfileForm
    success_url = reverse_lazy("portal:my_account")

    def get_initial(self):
        return {"display_name": self.request.user.display_name, "email": self.request.user.email}

    def get_context_data(self, **kwargs):
        memberships = active_memberships(self.request.user)
        labels = area_labels(m.area for m in memberships if m.area)
        return super().get_context_data(
            memberships=[(m, labels.get(m.area_id) or m.organisation) for m in memberships],
            has_authenticator=user_has_device(self.request.user),
            recovery_codes_left=security_services.recovery_codes_left(self.request.user),
            **kwargs,
        )

    def form_valid(self, form):
        services.profile_update(user=self.request.user, **form.cleaned_data)
        messages.success(self.request, _("Your details are saved."))
        return super().form_valid(form)


@method_decorator(
    ratelimit(key=client_ip_for_ratelimit, rate="10/h", method="POST", block=False),
    name="post",
)
@method_decorator(login_not_required, name="dispatch")
class RegisterView(FormView):
    """A resident registers with a phone number and chooses a community."""

    template_name = "registration/register.html"
    form_class = RegistrationForm

    def form_valid(self, form):
        if getattr(self.request, "limited", False):
            form.add_error(None, _("Too many registrations from this network. Try again later."))
            return self.form_invalid(form)
        data = form.cleaned_data
        try:
            services.resident_register(
                phone=data["phone"],
                display_name=data["display_name"],
                community=data["community"],
                password=data["password1"],
            )
        except ValidationError as error:
            form_error_from(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Your account is ready. Log in with your phone number."))
        return redirect("login")


# --- Account administration ----------------------------------------------------


class AccountAdminMixin:
    """Pages for those who manage accounts; others are told they may not."""

    action = Action.VIEW

    def dispatch(self, request, *args, **kwargs):
        if not may(request.user, self.action, ACCOUNT):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_account(self, action=Action.VIEW):
        return get_visible_or_404(
            User.objects.all(), self.request.user, action, pk=self.kwargs["pk"]
        )


class AccountListView(AccountAdminMixin, FilterView):
    template_name = "portal/account_list.html"
    filterset_class = AccountFilter
    paginate_by = 25

    def post(self, request, *args, **kwargs):
        """The filter form posts, so a searched name or phone never enters the URL."""
        params = {k: v for k, v in request.POST.items() if k in ("role", "is_active") and v}
        if text := request.POST.get("q", "").strip():
            params["s"] = search_stash(request, text)
        return redirect(f"{reverse('portal:account_list')}?{urlencode(params)}")

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        if token := self.request.GET.get("s"):
            data = self.request.GET.copy()
            data["q"] = search_stashed(self.request, token)
            kwargs["data"] = data
        return kwargs

    def get_queryset(self):
        return (
            User.objects.visible_to(self.request.user)
            .with_roles()
            .order_by("display_name", "username")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        accounts = context["object_list"]
        labels = area_labels(m.area for a in accounts for m in a.active_memberships if m.area)
        context["rows"] = [
            (a, [(m, labels.get(m.area_id) or m.organisation) for m in a.active_memberships])
            for a in accounts
        ]
        context["may_create"] = may(self.request.user, Action.CREATE, ACCOUNT)
        return context


def render_slip(request, account, password, *, new: bool):
    """The printable slip with the one-time password: shown once, never stored."""
    response = render(
        request,
        "portal/account_slip.html",
        {
            "account": account,
            "password": password,
            "new": new,
            "login_url": request.build_absolute_uri(reverse("login")),
        },
    )
    response["Cache-Control"] = "no-store"
    return response


class AccountCreateView(AccountAdminMixin, FormView):
    action = Action.CREATE
    template_name = "portal/account_form.html"
    form_class = AccountCreateForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "actor": self.request.user}

    def form_valid(self, form):
        try:
            account, password = services.account_create(
                actor=self.request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form_error_from(form, error)
            return self.form_invalid(form)
        return render_slip(self.request, account, password, new=True)


class AccountDetailView(AccountAdminMixin, TemplateView):
    template_name = "portal/account_detail.html"

    def get_context_data(self, **kwargs):
        account = self.get_account()
        memberships = list(
            account.memberships.select_related("area", "organisation", "granted_by").order_by(
                "ended_at", "-created_at"
            )
        )
        labels = area_labels(m.area for m in memberships if m.area)
        return super().get_context_data(
            account=account,
            memberships=[(m, labels.get(m.area_id) or m.organisation) for m in memberships],
            manageable=account_manageable(self.request.user, account),
            has_second_factor=user_has_device(account, confirmed=None),
            open_work=handover_services.open_work(account),
            grant_form=RoleAtAreaForm(actor=self.request.user),
            **kwargs,
        )


class AccountActionView(AccountAdminMixin, View):
    """POST-only actions on one account the user may manage."""

    action = Action.CHANGE
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        account = self.get_account(Action.CHANGE)
        if not account_manageable(request.user, account):
            raise PermissionDenied
        return self.act(account)


class AccountResetPasswordView(AccountActionView):
    def act(self, account):
        password = services.account_reset_password(actor=self.request.user, account=account)
        return render_slip(self.request, account, password, new=False)


class AccountDeactivateView(AccountActionView):
    active = False

    def act(self, account):
        services.account_set_active(actor=self.request.user, account=account, active=self.active)
        if self.active:
            messages.success(self.request, _("The account is active again."))
        else:
            messages.success(self.request, _("The account is deactivated; it is logged out."))
            if handover_services.holds_open_work(account):
                messages.warning(
                    self.request,
                    _("This account still holds open work: hand it to a colleague."),
                )
        return redirect("portal:account_detail", pk=account.pk)


class AccountReactivateView(AccountDeactivateView):
    active = True


class MembershipGrantView(AccountActionView):
    def act(self, account):
        form = RoleAtAreaForm(self.request.POST, actor=self.request.user)
        if form.is_valid():
            try:
                services.membership_grant(
                    actor=self.request.user, account=account, **form.cleaned_data
                )
            except ValidationError as error:
                form_error_from(form, error)
        if form.errors:
            return render(
                self.request,
                "portal/membership_form.html",
                {"account": account, "form": form},
                status=200,
            )
        messages.success(self.request, _("The role is granted."))
        return redirect("portal:account_detail", pk=account.pk)


class MembershipEndView(AccountActionView):
    def post(self, request, *args, **kwargs):
        account = self.get_account(Action.CHANGE)
        membership = get_object_or_404(
            Membership.objects.active(), user=account, pk=kwargs["membership"]
        )
        if not account_manageable(request.user, account):
            raise PermissionDenied
        services.membership_end(actor=request.user, membership=membership)
        messages.success(request, _("The role is ended."))
        return redirect("portal:account_detail", pk=account.pk)
