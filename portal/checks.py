"""System checks for settings the law puts a floor under."""

from django.conf import settings
from django.core.checks import Error, register

# Network logs are kept at least six months (Cybersecurity Law Art. 21).
AUDIT_RETENTION_MIN_DAYS = 183


@register()
def check_audit_retention(app_configs, **kwargs):
    days = getattr(settings, "AUDIT_RETENTION_DAYS", None)
    if isinstance(days, int) and days >= AUDIT_RETENTION_MIN_DAYS:
        return []
    return [
        Error(
            f"AUDIT_RETENTION_DAYS is {days!r}; audit logs must be kept at least "
            f"{AUDIT_RETENTION_MIN_DAYS} days (six months).",
            hint="Set AUDIT_RETENTION_DAYS to 183 or more (the default is 400).",
            id="portal.E101",
        )
    ]
