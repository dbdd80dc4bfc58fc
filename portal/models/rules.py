"""Rules as data: time limits, thresholds, caps and catalogues, versioned per area."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class RuleSet(models.Model):
    """One version of one kind of rule for an area and everything below it.

    No area means nationwide. A new version is a new row: cases keep pointing at the
    version they were decided under, so changing a rule never rewrites a closed case.
    """

    kind = models.CharField(_("rule kind"), max_length=50)
    area = models.ForeignKey(
        "portal.Area",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rule_sets",
        verbose_name=_("area"),
        help_text=_("Empty: nationwide."),
    )
    version = models.PositiveIntegerField(_("version"))
    valid_from = models.DateTimeField(_("valid from"), default=timezone.now)
    payload = models.JSONField(_("rules"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("rule set")
        verbose_name_plural = _("rule sets")
        ordering = ["kind", "area_id", "-version"]
        indexes = [models.Index(fields=["kind", "area", "valid_from"])]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "area", "version"],
                condition=Q(area__isnull=False),
                name="portal_ruleset_area_version_unique",
            ),
            models.UniqueConstraint(
                fields=["kind", "version"],
                condition=Q(area__isnull=True),
                name="portal_ruleset_national_version_unique",
            ),
        ]

    def __str__(self):
        return f"{self.kind} v{self.version} ({self.area or _('nationwide')})"
