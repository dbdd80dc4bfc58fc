"""Two-factor login pages, recovery codes, a manager's reset and "log out other sessions"."""

import base64

import django_otp
import segno
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render, resolve_url
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView
from django_otp import user_has_device
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from .. import security
from ..forms import AuthenticatorCodeForm, SecondFactorForm
from ..scope import handles_personal_data
from ..services import security as services
from .accounts import AccountActionView, form_error_from


def next_url(request, default: str = "portal:home") -> str:
    """Where to go after the second factor: the page asked for, if it is ours."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(default)


def render_recovery_codes(request, codes):
    """The recovery codes, shown once and never cached."""
    response = render(request, "portal/security/recovery_codes.html", {"codes": codes})
    response["Cache-Control"] = "no-store"
    return response


def qr_svg(uri: str) -> str:
    """The otpauth URI as inline SVG, drawn on the server (no script, no network)."""
    code = segno.make(uri, error="m")
    return code.svg_inline(scale=5, border=4, dark="#000", light="#fff", title=_("QR code"))


class TwoFactorSetupView(FormView):
    """Scan (or type) the secret into an authenticator app, then confirm with a code."""

    template_name = "portal/security/two_factor_setup.html"
    form_class = AuthenticatorCodeForm

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            if user.is_verified():
                messages.info(request, _("Two-factor login is already set up."))
                return redirect("portal:my_account")
            return redirect("portal:two_factor_verify")
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        device = services.totp_device_pending(user=self.request.user)
        secret = base64.b32encode(device.bin_key).decode()
        return super().get_context_data(
            # segno escapes nothing it did not produce: the URI is ours, not user input.
            qr=mark_safe(qr_svg(device.config_url)),  # noqa: S308
            secret=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            required=settings.TWO_FACTOR_REQUIRED and handles_personal_data(self.request.user),
            next=self.request.GET.get("next", ""),
            **kwargs,
        )

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        response["Cache-Control"] = "no-store"
        return response

    def form_valid(self, form):
        try:
            device, codes = services.totp_device_confirm(
                user=self.request.user, token=form.cleaned_data["token"]
            )
        except ValidationError as error:
            form_error_from(form, error)
            return self.form_invalid(form)
        django_otp.login(self.request, device)
        self.request.session[security.HAS_DEVICE] = True
        messages.success(self.request, _("Two-factor login is set up."))
        return render_recovery_codes(self.request, codes)


class TwoFactorVerifyView(FormView):
    """The second login step for accounts with an authenticator."""

    template_name = "portal/security/two_factor_verify.html"
    form_class = SecondFactorForm

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_verified() or not user_has_device(user):
            return redirect(next_url(request))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(next=self.request.GET.get("next", ""), **kwargs)

    def form_valid(self, form):
        user = self.request.user
        device = services.second_factor_verify(user=user, token=form.cleaned_data["token"])
        if device is None:
            form.add_error("token", _("This code is not right. Try the current code."))
            return self.form_invalid(form)
        django_otp.login(self.request, device)
        if isinstance(device, StaticDevice):
            messages.warning(
                self.request,
                _(
                    "You used a recovery code; %(left)d are left. Make new ones on "
                    "“My account” if you run low."
                )
                % {"left": services.recovery_codes_left(user)},
            )
        return redirect(next_url(self.request))


class RecoveryCodesRenewView(View):
    """New recovery codes (the old ones stop working), for a verified session."""

    http_method_names = ["post"]

    def post(self, request):
        if not request.user.is_verified():
            return redirect("portal:two_factor_verify")
        codes = services.recovery_codes_renew(user=request.user)
        return render_recovery_codes(request, codes)


class SessionsEndOthersView(View):
    """Log out the account's other sessions (another computer, a lost phone)."""

    http_method_names = ["post"]

    def post(self, request):
        now = timezone.now()
        services.sessions_end_others(user=request.user, now=now)
        request.session[security.KEPT_AT] = now.timestamp()
        messages.success(request, _("Your other sessions are logged out."))
        return redirect("portal:my_account")


class AccountTwoFactorResetView(AccountActionView):
    """A manager removes a user's second factor (a lost phone); the user sets it up anew."""

    def act(self, account):
        services.second_factor_reset(actor=self.request.user, account=account, now=timezone.now())
        messages.success(
            self.request,
            _("The second factor is reset; the account is logged out and sets it up again."),
        )
        return redirect("portal:account_detail", pk=account.pk)
