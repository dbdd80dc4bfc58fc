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


class RefusedAccess(models.Model):
    """A request refused on a scoped object or page (404/403): who asked for what, and when.

    The path is stored without its query string, so no personal data lands here.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    status = models.PositiveSmallIntegerField(_("answer"))
    path = models.CharField(_("address"), max_length=300)
    target = models.CharField(_("record"), max_length=50, blank=True)  # "disputes.dispute:42"
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("refused access")
        verbose_name_plural = _("refused accesses")
        ordering = ["-at"]
        indexes = [models.Index(fields=["at"]), models.Index(fields=["user", "at"])]

    def __str__(self):
        return f"{self.status} {self.path}"


class RetentionRun(models.Model):
    """What one pass of the retention task did for one case kind: counts, never contents."""

    case_kind = models.CharField(_("case kind"), max_length=50)
    rule_version = models.PositiveIntegerField(_("rule version"), null=True, blank=True)
    cutoff = models.DateTimeField(_("closed before"))
    anonymised = models.PositiveIntegerField(_("anonymised"), default=0)
    deleted = models.PositiveIntegerField(_("deleted"), default=0)
    at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("retention run")
        verbose_name_plural = _("retention runs")
        ordering = ["-at", "case_kind"]
        indexes = [models.Index(fields=["at"])]

    def __str__(self):
        return f"{self.case_kind} {self.at:%Y-%m-%d}"


class PrivacyNotice(models.Model):
    """The privacy notice (个人信息保护告知). Each edit is a new row; the newest is shown."""

    controller = models.CharField(_("personal information handler"), max_length=200)
    contact = models.CharField(_("contact for personal information requests"), max_length=200)
    body_zh = models.TextField(_("notice (Chinese)"))
    body_en = models.TextField(_("notice (English)"), blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("privacy notice")
        verbose_name_plural = _("privacy notices")
        ordering = ["-updated_at", "-pk"]

    def __str__(self):
        return f"{self.controller} {self.updated_at:%Y-%m-%d}"
