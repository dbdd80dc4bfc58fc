"""Accounts given a printed one-time password must choose their own before anything else;
and the one test of "is this a static or uploaded file?" the request gates share."""

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse


def is_file_path(path: str) -> bool:
    """A static file or an upload: no gate (password change, second factor) stops it and
    no refusal of it is audited."""
    prefixes = tuple("/" + p.lstrip("/") for p in (settings.STATIC_URL, settings.MEDIA_URL) if p)
    return path.startswith(prefixes) or path == "/favicon.ico"


# Pages a user with a one-time password may still open.
ALLOWED_WHILE_CHANGING = frozenset(
    {"password_change", "password_change_done", "logout", "set_language", "portal:text_size"}
)


class PasswordChangeRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if not (user and user.is_authenticated and user.must_change_password):
            return None
        match = request.resolver_match
        if match and match.view_name in ALLOWED_WHILE_CHANGING:
            return None
        if is_file_path(request.path):
            return None
        return redirect(reverse("password_change"))
