"""Elevator retrofits per building unit: projects and stages, ballots, objections,
coordination meetings and cost schedules."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from portal.models import Case

from .querysets import ProjectQuerySet


class Stage(models.TextChoices):
    INTENT = "intent", _("intent")
    VOTING = "voting", _("consultation and voting")
    CONSENT_REACHED = "consent_reached", _("consent reached")
    PUBLIC_NOTICE = "public_notice", _("public notice")
    APPROVAL = "approval", _("approval")
    CONSTRUCTION = "construction", _("construction")
    ACCEPTANCE = "acceptance", _("acceptance")
    IN_USE = "in_use", _("in use")
    SUSPENDED = "suspended", _("suspended")
    CANCELLED = "cancelled", _("cancelled")


# How the source counts projects (DOMAIN.md Part 2).
IN_PREPARATION = (
    Stage.INTENT,
    Stage.VOTING,
    Stage.CONSENT_REACHED,
    Stage.PUBLIC_NOTICE,
    Stage.APPROVAL,
)
UNDER_CONSTRUCTION = (Stage.CONSTRUCTION, Stage.ACCEPTANCE)
IN_USE = (Stage.IN_USE,)


class Project(models.Model):
    """A retrofit project for one building unit (a case kind, prefix DT)."""

    case = models.OneToOneField(Case, on_delete=models.PROTECT, primary_key=True, related_name="+")
    unit = models.ForeignKey(
        "housing.Unit",
        on_delete=models.PROTECT,
        related_name="elevator_projects",
        verbose_name=_("unit"),
    )
    initiator = models.ForeignKey(
        "housing.Person",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("initiator (牵头人)"),
    )
    implementing_body = models.CharField(_("implementing body"), max_length=200, blank=True)
    total_cost = models.DecimalField(
        _("total cost (yuan)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    subsidy = models.DecimalField(_("subsidy (yuan)"), max_digits=12, decimal_places=2, default=0)
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, default=Stage.INTENT)
    stage_changed_at = models.DateTimeField(_("stage since"), default=timezone.now)
    notice_starts_on = models.DateField(_("public notice from"), null=True, blank=True)
    vote_closed_at = models.DateTimeField(_("vote closed"), null=True, blank=True)
    # The consent rule version and the tally frozen when the vote closed.
    consent_rule_set = models.ForeignKey(
        "portal.RuleSet", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    frozen_result = models.JSONField(null=True, blank=True)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        verbose_name = _("elevator project")
        verbose_name_plural = _("elevator projects")
        indexes = [models.Index(fields=["stage"])]
        constraints = [
            models.UniqueConstraint(
                fields=["unit"],
                condition=~Q(stage="cancelled"),
                name="elevators_one_live_project_per_unit",
            ),
            models.CheckConstraint(condition=Q(subsidy__gte=0), name="elevators_subsidy_positive"),
        ]

    def __str__(self):
        return str(self.case)


class ChecklistItem(models.Model):
    """A document or step a stage needs (site survey, permits, inspections…)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="checklist")
    code = models.CharField(max_length=40)
    done_on = models.DateField(_("done on"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    attachment = models.ForeignKey(
        "portal.Attachment", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "code"], name="elevators_checklist_unique")
        ]

    def __str__(self):
        return f"{self.project_id}: {self.code}"


class Ballot(models.Model):
    """One household's vote on a project; changes before the close are kept in history."""

    class Choice(models.TextChoices):
        AGREE = "agree", _("agree")
        DISAGREE = "disagree", _("disagree")
        ABSTAIN = "abstain", _("abstain")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="ballots")
    household = models.ForeignKey(
        "housing.Household", on_delete=models.PROTECT, related_name="+", verbose_name=_("household")
    )
    choice = models.CharField(_("vote"), max_length=10, choices=Choice.choices)
    cast_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("cast by"),
    )
    on_paper = models.BooleanField(_("signed paper form"), default=False)
    evidence = models.ForeignKey(
        "portal.Attachment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("scan"),
    )
    cast_at = models.DateTimeField(_("cast at"), default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("ballot")
        verbose_name_plural = _("ballots")
        constraints = [
            models.UniqueConstraint(
                fields=["project", "household"], name="elevators_one_ballot_per_household"
            )
        ]

    def __str__(self):
        return f"{self.project_id}/{self.household_id}: {self.choice}"


class Objection(models.Model):
    class Reason(models.TextChoices):
        LIGHT = "light", _("light")
        VENTILATION = "ventilation", _("ventilation")
        NOISE = "noise", _("noise")
        PRIVACY = "privacy", _("privacy")
        COST = "cost", _("cost")
        ACCESS = "access", _("access")
        OTHER = "other", _("other")

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        RESOLVED = "resolved", _("resolved")
        HANDED_OVER = "handed_over", _("handed to the clinic as a dispute")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="objections")
    household = models.ForeignKey(
        "housing.Household", on_delete=models.PROTECT, related_name="+", verbose_name=_("household")
    )
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    description = models.TextField(_("description"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.OPEN
    )
    low_floor = models.BooleanField(_("low floor"), default=False)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    raised_at = models.DateTimeField(_("raised at"), default=timezone.now)
    dispute_case = models.ForeignKey(
        Case,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("dispute"),
    )

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        ordering = ["raised_at"]

    def __str__(self):
        return f"{self.project_id}: {self.reason}"


class Meeting(models.Model):
    """A coordination meeting: "有事来商量" three parties, legal aid, survey, neighbours."""

    class Kind(models.TextChoices):
        THREE_PARTY = "three_party", _("three-party meeting (有事来商量)")
        LEGAL_AID = "legal_aid", _("legal aid")
        SITE_SURVEY = "site_survey", _("site survey")
        NEIGHBOUR_TALK = "neighbour_talk", _("neighbour talk")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="meetings")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    held_at = models.DateTimeField(_("when"))
    attendees = models.TextField(_("who attended"))
    minutes = models.TextField(_("minutes"), blank=True)
    outcome = models.TextField(_("outcome"), blank=True)
    resolved_objections = models.ManyToManyField(
        Objection, blank=True, related_name="meetings", verbose_name=_("objections resolved")
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        verbose_name = _("coordination meeting")
        verbose_name_plural = _("coordination meetings")
        ordering = ["held_at"]

    def __str__(self):
        return f"{self.project_id} {self.held_at:%Y-%m-%d}"


class CostSchedule(models.Model):
    """One cost to share (construction one-off; electricity, maintenance annual)."""

    class Kind(models.TextChoices):
        CONSTRUCTION = "construction", _("construction (one-off)")
        ELECTRICITY = "electricity", _("electricity (annual)")
        MAINTENANCE = "maintenance", _("maintenance (annual)")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="schedules")
    kind = models.CharField(_("schedule"), max_length=20, choices=Kind.choices)
    amount = models.DecimalField(_("amount (yuan)"), max_digits=12, decimal_places=2)
    # {"1": "0", "2": "0", "3": "0.7", ...}: coefficient per floor, as decimal strings.
    coefficients = models.JSONField(_("floor coefficients"), default=dict)
    agreed_on = models.DateField(_("agreed on"), null=True, blank=True)

    class Meta:
        verbose_name = _("cost schedule")
        verbose_name_plural = _("cost schedules")
        constraints = [
            models.UniqueConstraint(fields=["project", "kind"], name="elevators_schedule_unique"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="elevators_amount_positive"),
        ]

    def __str__(self):
        return f"{self.project_id} {self.kind}"


class Compensation(models.Model):
    """Compensation agreed for a (low-floor) household; added to the amount to share."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="compensations")
    household = models.ForeignKey(
        "housing.Household", on_delete=models.PROTECT, related_name="+", verbose_name=_("household")
    )
    amount = models.DecimalField(_("amount (yuan)"), max_digits=12, decimal_places=2)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("compensation")
        verbose_name_plural = _("compensations")
        constraints = [
            models.UniqueConstraint(
                fields=["project", "household"], name="elevators_compensation_unique"
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="elevators_compensation_positive"
            ),
        ]

    def __str__(self):
        return f"{self.project_id}/{self.household_id}: {self.amount}"
