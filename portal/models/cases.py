"""The case kit: one `Case` row per case of any kind, composed by each app's own model.

An app's model holds its domain fields and a `case = OneToOneField(Case,
primary_key=True)`; reference numbers, status, due dates, escalation, the timeline,
parties, attachments and satisfaction live here once, so cross-kind lists ("My
requests", search, the status page) are single queries.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..personal import mask_name, mask_phone
from ..querysets import CaseQuerySet


class ReferenceCounter(models.Model):
    """The last sequence number used for a reference prefix in a year."""

    prefix = models.CharField(max_length=8)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["prefix", "year"], name="portal_refcounter_unique")
        ]

    def __str__(self):
        return f"{self.prefix}-{self.year}: {self.last}"


class Case(models.Model):
    """What every kind of case shares: reference, place, owner, due date, history."""

    class Level(models.TextChoices):
        COMMUNITY = "community", _("community")
        SUBDISTRICT = "subdistrict", _("subdistrict")

    kind = models.CharField(_("kind"), max_length=50)
    reference = models.CharField(_("reference number"), max_length=20, unique=True)
    title = models.CharField(_("subject"), max_length=200)
    status = models.CharField(_("status"), max_length=30)
    community = models.ForeignKey(
        "portal.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    grid = models.ForeignKey(
        "portal.Area",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("grid"),
    )
    level = models.CharField(
        _("handled at"), max_length=20, choices=Level.choices, default=Level.COMMUNITY
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="handled_cases",
        verbose_name=_("handler"),
    )
    organisation = models.ForeignKey(
        "portal.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("assigned organisation"),
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="filed_cases",
        verbose_name=_("filed by"),
    )
    filer_name = models.CharField(_("name of the person filing"), max_length=100, blank=True)
    filer_phone = models.CharField(_("phone of the person filing"), max_length=11, blank=True)
    rule_set = models.ForeignKey(
        "portal.RuleSet",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("rule version"),
    )
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated to the subdistrict"), null=True, blank=True)
    supervised_at = models.DateTimeField(_("red supervision mark"), null=True, blank=True)
    created_at = models.DateTimeField(_("filed at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    reopened_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    rating = models.PositiveSmallIntegerField(_("satisfaction"), null=True, blank=True)
    rating_comment = models.TextField(_("comment on the handling"), blank=True)
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)
    # Set when retention removed the case's personal data; the case and its figures stay.
    anonymised_at = models.DateTimeField(_("personal data removed"), null=True, blank=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["community", "closed_at"]),
            models.Index(fields=["kind", "community", "created_at"]),
            models.Index(fields=["handler", "closed_at"]),
            models.Index(fields=["filed_by", "created_at"]),
            models.Index(fields=["filer_phone"]),
            models.Index(
                fields=["due_at"], condition=Q(closed_at__isnull=True), name="portal_case_open_due"
            ),
            # Keyset pages of long case lists (portal/paging.py): open by due date, closed
            # latest first, per kind.
            models.Index(
                fields=["kind", "due_at", "id"],
                condition=Q(closed_at__isnull=True),
                name="portal_case_kind_open_due",
            ),
            models.Index(fields=["kind", "closed_at", "id"], name="portal_case_kind_closed"),
            # and all of a kind, newest first (the estate-issue queue).
            models.Index(fields=["kind", "created_at", "id"], name="portal_case_kind_created"),
            # What retention has still to look at.
            models.Index(
                fields=["kind", "closed_at"],
                condition=Q(anonymised_at__isnull=True, closed_at__isnull=False),
                name="portal_case_retention",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="portal_case_rating_1_to_5",
            ),
        ]

    def __str__(self):
        return f"{self.reference} {self.title}"

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None

    def is_overdue(self, now=None) -> bool:
        now = now or timezone.now()
        return not self.is_closed and self.due_at is not None and self.due_at < now

    @property
    def mark(self) -> str:
        """ "red" under supervision, "yellow" escalated or overdue, else ""."""
        if self.is_closed:
            return ""
        if self.supervised_at:
            return "red"
        if self.escalated_at or self.is_overdue():
            return "yellow"
        return ""

    @property
    def masked_filer_phone(self) -> str:
        return mask_phone(self.filer_phone)

    @property
    def masked_filer_name(self) -> str:
        return mask_name(self.filer_name)


class CaseParty(models.Model):
    """A user who is a party to a case (besides the filer) and may follow it."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="parties")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "user"], name="portal_caseparty_unique")
        ]

    def __str__(self):
        return f"{self.case_id}: {self.user_id}"


class TimelineEntry(models.Model):
    """One step in a case's history. Append-only: written by services, never edited."""

    class Verb(models.TextChoices):
        REPORTED = "reported", _("reported")
        ACCEPTED = "accepted", _("accepted")
        ASSIGNED = "assigned", _("assigned")
        HANDED_OVER = "handed_over", _("handed over")
        ESCALATED = "escalated", _("escalated")
        SUPERVISED = "supervised", _("put under supervision")
        REPLIED = "replied", _("replied")
        VERIFIED = "verified", _("verified")
        CLOSED = "closed", _("closed")
        REOPENED = "reopened", _("reopened")
        RATED = "rated", _("rated")
        COMMENTED = "commented", _("commented")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="timeline")
    verb = models.CharField(_("action"), max_length=20, choices=Verb.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    from_organisation = models.ForeignKey(
        "portal.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("from"),
    )
    to_organisation = models.ForeignKey(
        "portal.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("to"),
    )
    status_after = models.CharField(_("status after"), max_length=30, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    is_public = models.BooleanField(_("shown to the resident"), default=False)
    at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["case", "at"])]

    def __str__(self):
        return f"{self.case_id} {self.verb} {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("timeline entries are append-only")
        super().save(*args, **kwargs)


def attachment_path(instance, filename: str) -> str:
    """A generated name: never the uploader's, which may carry personal data."""
    import uuid

    suffix = {
        "image/jpeg": "jpg",
        "image/png": "png",
        "image/webp": "webp",
        "application/pdf": "pdf",
    }.get(instance.content_type, "bin")
    now = timezone.localtime()
    return f"attachments/{now:%Y/%m}/{uuid.uuid4().hex}.{suffix}"


class Attachment(models.Model):
    """A photo or scan on a case; served only to those who may see the case."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to=attachment_path)
    thumbnail = models.FileField(_("thumbnail"), upload_to=attachment_path, blank=True)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=50)
    size = models.PositiveIntegerField(_("size in bytes"))
    is_public = models.BooleanField(_("shown to the resident"), default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at", "pk"]

    def __str__(self):
        return self.original_name
