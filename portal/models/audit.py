"""Records of who opened which personal data, when and why."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PersonalDataAccess(models.Model):
    """A full ID number revealed, or a record's sensitive fields opened: who, what, why."""

    class Kind(models.TextChoices):
        REVEAL = "reveal", _("revealed in full")
        SENSITIVE = "sensitive", _("sensitive fields opened")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    kind = models.CharField(_("access"), max_length=10, choices=Kind.choices)
    target = models.CharField(_("record"), max_length=50)  # "housing.person:42"
    field = models.CharField(_("field"), max_length=50)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data accesses")
        ordering = ["-at"]
        indexes = [models.Index(fields=["target", "at"]), models.Index(fields=["user", "at"])]

    def __str__(self):
        return f"{self.user_id} {self.kind} {self.target}.{self.field}"
