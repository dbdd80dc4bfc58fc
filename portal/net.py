"""The client's address, trusting X-Forwarded-For only from the configured proxies.

Riders and offices share addresses, so throttles key on more than the address; this
function is the single place that decides which address a request comes from.
"""

from django.conf import settings


def client_ip(request) -> str:
    """REMOTE_ADDR, or with TRUSTED_PROXY_COUNT proxies the address they saw."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [a for a in forwarded if a]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def client_ip_for_ratelimit(group, request) -> str:
    """django-ratelimit's key function signature."""
    return client_ip(request)
