"""The refused-access log: every 403/404 answered to a logged-in user, with the record
it named when scope code knew it.

Scope helpers (`get_visible_or_404`, `require`) note the record they refused on a
context variable; the middleware reads it once the response is known. A failure to
write the log is logged and swallowed: the log must never turn a 404 into a 500.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar

from django.core.exceptions import ValidationError
from django.core.validators import validate_ipv46_address
from django.db import transaction

from .middleware import is_file_path

log = logging.getLogger(__name__)

REFUSED = frozenset({403, 404})

_refused_target: ContextVar[str] = ContextVar("refused_target", default="")


def note_refused_target(target: str) -> None:
    """Remember "app.model:pk" of the record a request is refused, for the log."""
    _refused_target.set(str(target)[:50])


def _valid_ip(address: str) -> str | None:
    try:
        validate_ipv46_address(address)
    except ValidationError:
        return None
    return address


class RefusedAccessMiddleware:
    """Writes a `portal.RefusedAccess` row for each 403/404 a logged-in user receives."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _refused_target.set("")
        try:
            response = self.get_response(request)
            if response.status_code in REFUSED:
                self.record(request, response.status_code, _refused_target.get())
        finally:
            _refused_target.reset(token)
        return response

    def record(self, request, status: int, target: str) -> None:
        user = getattr(request, "user", None)
        if not (user and user.is_authenticated) or is_file_path(request.path):
            return
        try:
            from .models import RefusedAccess
            from .net import client_ip

            # A savepoint: inside a caller's transaction a failed insert must not
            # poison it (PostgreSQL aborts the whole transaction otherwise).
            with transaction.atomic():
                RefusedAccess.objects.create(
                    user=user,
                    status=status,
                    # request.path has no query string, so no search terms land here.
                    path=request.path[:300],
                    target=target,
                    ip_address=_valid_ip(client_ip(request)),
                )
        except Exception:  # noqa: BLE001 - the refusal stands whatever the log does
            log.exception("could not record a refused access to %s", request.path[:300])
