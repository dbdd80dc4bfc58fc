"""Accounts given a printed one-time password must choose their own before anything else."""

from django.shortcuts import redirect
from django.urls import reverse

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
        if request.path.startswith(("/static/", "/media/")):
            return None
        return redirect(reverse("password_change"))
