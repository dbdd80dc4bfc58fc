"""Follow-ups (rows first, delivered by the beat scan), notifications and the e-mail outbox."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..querysets import FollowUpQuerySet


class FollowUp(models.Model):
    """Somebody must look at something by a time; the reminder is sent exactly once."""

    class State(models.TextChoices):
        SCHEDULED = "scheduled", _("scheduled")
        SENT = "sent", _("reminder sent")
        DONE = "done", _("done")
        CANCELLED = "cancelled", _("cancelled")

    case = models.ForeignKey(
        "portal.Case", on_delete=models.CASCADE, null=True, blank=True, related_name="follow_ups"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="follow_ups",
        verbose_name=_("for"),
    )
    # Or, instead of one user: everyone holding a role at an area or in an organisation.
    assignee_role = models.CharField(_("for the role"), max_length=30, blank=True)
    assignee_area = models.ForeignKey(
        "portal.Area", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    assignee_organisation = models.ForeignKey(
        "portal.Organisation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # With the programme-officer role: only the officers of this programme.
    assignee_programme = models.CharField(max_length=20, blank=True)

    class Purpose(models.TextChoices):
        MANUAL = "manual", _("follow-up")
        DUE_REMINDER = "due_reminder", _("due date reminder")
        ESCALATION = "escalation", _("escalation notice")

    purpose = models.CharField(max_length=20, choices=Purpose.choices, default=Purpose.MANUAL)
    reason = models.CharField(_("why"), max_length=300)
    due_at = models.DateTimeField(_("due"))
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.SCHEDULED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("reminder sent at"), null=True, blank=True)
    # Each reschedule after a reminder starts a new round, so it can remind once more.
    round = models.PositiveSmallIntegerField(default=1)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_note = models.TextField(_("note"), blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    objects = FollowUpQuerySet.as_manager()

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["due_at", "pk"]
        indexes = [
            models.Index(fields=["state", "due_at"]),
            models.Index(fields=["assignee", "state", "due_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(assignee__isnull=False)
                | ~Q(assignee_role="")
                & (Q(assignee_area__isnull=False) | Q(assignee_organisation__isnull=False)),
                name="portal_followup_has_assignee",
            ),
        ]

    def __str__(self):
        return self.reason


class Notification(models.Model):
    """An in-app message (the bell). One per follow-up round and user, by constraint."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    case = models.ForeignKey(
        "portal.Case", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    follow_up = models.ForeignKey(
        FollowUp, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    follow_up_round = models.PositiveSmallIntegerField(default=1)
    message = models.CharField(_("message"), max_length=300)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at", "created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["follow_up", "follow_up_round", "user"],
                condition=Q(follow_up__isnull=False),
                name="portal_notification_once_per_follow_up",
            )
        ]

    def __str__(self):
        return self.message


class OutboxEmail(models.Model):
    """An e-mail to send: at least once, and never twice for the same key."""

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    key = models.CharField(max_length=100, unique=True)
    to_address = models.EmailField()
    subject = models.CharField(max_length=200)
    body = models.TextField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["state", "created_at"])]

    def __str__(self):
        return self.key
