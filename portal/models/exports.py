"""Exports: every export is logged here; large ones also carry their file and progress."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def export_path(instance, filename: str) -> str:
    import uuid

    return f"exports/{timezone.localtime():%Y/%m}/{uuid.uuid4().hex}.{instance.format}"


class ExportJob(models.Model):
    """Who exported what, with which filters, how many rows; the file while it is kept."""

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "Excel (XLSX)"
        # A resident's download of their own data (portal.services.privacy).
        JSON = "json", "JSON"

    class State(models.TextChoices):
        QUEUED = "queued", _("waiting")
        RUNNING = "running", _("running")
        DONE = "done", _("ready")
        FAILED = "failed", _("failed")
        EXPIRED = "expired", _("expired")

    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exports"
    )
    provider = models.CharField(_("list"), max_length=50)
    format = models.CharField(_("format"), max_length=5, choices=Format.choices)
    params = models.JSONField(_("filters"), default=dict, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows written"), default=0)
    file = models.FileField(upload_to=export_path, blank=True)
    is_async = models.BooleanField(default=False)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(_("requested"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    expires_at = models.DateTimeField(_("kept until"), null=True, blank=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["requester", "created_at"]),
            models.Index(fields=["state", "expires_at"]),
        ]

    def __str__(self):
        return f"{self.provider} {self.format} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def progress_percent(self) -> int:
        if not self.rows_total:
            return 100 if self.state == self.State.DONE else 0
        return min(100, round(100 * self.rows_done / self.rows_total))
