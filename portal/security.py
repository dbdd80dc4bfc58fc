"""Login policy applied to every request: session limits, the second factor, no-store.

Times in the session are Unix timestamps (floats), so the session stays JSON.
"""

from __future__ import annotations

import secrets
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.dispatch import receiver
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django_otp import user_has_device

from .middleware import is_file_path
from .roles import Role
from .scope import handles_personal_data, roles_of

LOGIN_AT = "portal_login_at"
SEEN_AT = "portal_seen_at"
# Set when this session ended the account's other sessions: it stays valid itself.
KEPT_AT = "portal_kept_at"
AUDIENCE = "portal_audience"
HAS_DEVICE = "portal_has_device"
SEARCHES = "portal_searches"

STAFF, RESIDENT = "staff", "resident"
# Last activity is written at most once a minute, so reading a page does not save the
# session every time; the idle limit is therefore exact to within a minute.
SEEN_WRITE_INTERVAL = 60.0

# Pages open to a signed-in user who still owes the second factor.
ALLOWED_BEFORE_SECOND_FACTOR = frozenset(
    {
        "logout",
        "admin:logout",
        "set_language",
        "portal:text_size",
        "portal:health",
        "password_change",
        "password_change_done",
        "portal:two_factor_setup",
        "portal:two_factor_verify",
    }
)
# Public pages that show personal data (to whoever proves the reference and phone).
PERSONAL_PUBLIC_PAGES = frozenset({"portal:status"})


def audience_of(user) -> str:
    """Residents, who reach only their own rows, get the longer session limits."""
    if user.is_superuser or user.is_staff or roles_of(user) - {Role.RESIDENT}:
        return STAFF
    return RESIDENT


def session_limits(audience: str) -> tuple[float, float]:
    """(idle, absolute) limits in seconds for staff or residents."""
    if audience == RESIDENT:
        return (
            settings.RESIDENT_SESSION_IDLE.total_seconds(),
            settings.RESIDENT_SESSION_LIFETIME.total_seconds(),
        )
    return (
        settings.STAFF_SESSION_IDLE.total_seconds(),
        settings.STAFF_SESSION_LIFETIME.total_seconds(),
    )


def session_start(session, user, now: float) -> None:
    """Record when this session began and what limits and second factor apply."""
    audience = audience_of(user)
    session[LOGIN_AT] = now
    session[SEEN_AT] = now
    session[AUDIENCE] = audience
    session[HAS_DEVICE] = user_has_device(user)
    session.set_expiry(int(session_limits(audience)[1]))


@receiver(user_logged_in, dispatch_uid="portal.security.session_started")
def _session_started(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        session_start(request.session, user, time.time())


def session_end_reason(session, user, now: float) -> str | None:
    """Why this session must end now, or None while it is within its limits."""
    login_at = session[LOGIN_AT]
    idle, lifetime = session_limits(session.get(AUDIENCE, STAFF))
    if now - login_at > lifetime:
        return _("Your session reached its time limit. Please log in again.")
    if now - session.get(SEEN_AT, login_at) > idle:
        return _("You were logged out after a period without activity. Please log in again.")
    valid_after = user.sessions_valid_after
    if valid_after and max(login_at, session.get(KEPT_AT, 0.0)) < valid_after.timestamp():
        return _("Your other sessions were logged out. Please log in again.")
    return None


class SessionLimitsMiddleware:
    """Ends sessions past their idle or absolute limit, or older than the account's
    "log out other sessions"; the user lands on the login page with the reason."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = time.time()
            session = request.session
            if LOGIN_AT not in session:
                # A session from before these limits existed: count from now.
                session_start(session, request.user, now)
            elif reason := session_end_reason(session, request.user, now):
                logout(request)
                messages.info(request, reason)
                next_url = request.get_full_path() if request.method in ("GET", "HEAD") else ""
                return redirect_to_login(next_url)
            elif now - session.get(SEEN_AT, 0.0) >= SEEN_WRITE_INTERVAL:
                session[SEEN_AT] = now
        return self.get_response(request)


def second_factor_step(request) -> str | None:
    """The URL name a signed-in, unverified user must visit first, or None."""
    session = request.session
    if HAS_DEVICE not in session:
        session[HAS_DEVICE] = user_has_device(request.user)
    if session[HAS_DEVICE]:
        return "portal:two_factor_verify"
    if settings.TWO_FACTOR_REQUIRED and handles_personal_data(request.user):
        return "portal:two_factor_setup"
    return None


class SecondFactorMiddleware:
    """After the password: whoever has an authenticator enters its code; when
    TWO_FACTOR_REQUIRED is on, roles that may reveal or export set one up first.
    Until then every page except the few named above sends them there."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated:
            return None
        is_verified = getattr(user, "is_verified", None)
        if is_verified is None or is_verified():
            return None
        match = request.resolver_match
        if match and match.view_name in ALLOWED_BEFORE_SECOND_FACTOR:
            return None
        if is_file_path(request.path):
            return None
        step = second_factor_step(request)
        if step is None:
            return None
        url = reverse(step)
        if request.method in ("GET", "HEAD"):
            url += "?" + urlencode({"next": request.get_full_path()})
        return redirect(url)


class NoStoreMiddleware:
    """`Cache-Control: no-store` on every answer to a signed-in user, on every form
    submission and on public pages that show personal data. Static files never get
    here (whitenoise answers them first)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "no-store" not in response.get("Cache-Control", "") and self.personal(request):
            patch_cache_control(response, no_store=True)
        return response

    @staticmethod
    def personal(request) -> bool:
        user = getattr(request, "user", None)
        match = getattr(request, "resolver_match", None)
        return bool(
            (user is not None and user.is_authenticated)
            or request.method not in ("GET", "HEAD")
            or (match and match.view_name in PERSONAL_PUBLIC_PAGES)
        )


def login_context(request):
    """Lets the login page say when the demo runs without the second factor."""
    return {"two_factor_required": settings.TWO_FACTOR_REQUIRED}


# --- Search terms kept out of URLs ----------------------------------------------

_SEARCHES_KEPT = 20


def search_stash(request, text: str) -> str:
    """Keep a search text (a name, a phone) in the session; the URL carries a token."""
    token = secrets.token_urlsafe(8)
    searches = dict(list(request.session.get(SEARCHES, {}).items())[-(_SEARCHES_KEPT - 1) :])
    searches[token] = text
    request.session[SEARCHES] = searches
    return token


def search_stashed(request, token: str) -> str:
    """The search text behind a token from `search_stash`; empty when unknown."""
    return request.session.get(SEARCHES, {}).get(token or "", "")
