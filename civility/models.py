"""Civilized-city creation (DOMAIN.md Part 1 §1, §2, §4; Part 3 §5, §7): versioned
criteria sets, inspection sites, inspections with a checklist of applicable criteria,
findings (a case kind) and supervision orders (a case kind), outreach events.

"At most one visit" is one inspection with several departments and one combined
checklist; a failed criterion becomes a finding, which is fixed on the spot, handed over
verbally, fixed by the unit itself, or given a deadline (and only then sent to the
district platform). For school events only aggregate counts of minors are kept.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.models import Case

from .querysets import (
    CriteriaSetQuerySet,
    EventQuerySet,
    FindingQuerySet,
    InspectionQuerySet,
    OrderQuerySet,
    SiteQuerySet,
    TeamQuerySet,
)


class SiteType(models.TextChoices):
    RESTAURANT = "restaurant", _("restaurant")
    MARKET = "market", _("farmers' market")
    STREET = "street", _("back street")
    ESTATE = "estate", _("residential estate")
    TOILET = "toilet", _("public toilet")
    OTHER = "other", _("other")


class Category(models.TextChoices):
    CATERING = "catering", _("catering")
    MARKET = "market", _("farmers' market")
    BACK_STREET = "back_street", _("back street")
    ESTATE = "estate", _("residential estate")
    TOILET = "toilet", _("public toilet")
    OTHER = "other", _("other")


# --- Criteria -------------------------------------------------------------------------


class CriteriaSet(models.Model):
    """A version of the criteria in force for an area (and below) from `valid_from`."""

    area = models.ForeignKey(
        "portal.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("area")
    )
    name = models.CharField(_("name"), max_length=200)
    valid_from = models.DateField(_("in force from"))
    previous = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("replaces the set"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = CriteriaSetQuerySet.as_manager()

    class Meta:
        verbose_name = _("criteria set")
        verbose_name_plural = _("criteria sets")
        ordering = ["-valid_from", "pk"]
        indexes = [models.Index(fields=["area", "valid_from"])]

    def __str__(self):
        return self.name


class Criterion(models.Model):
    criteria_set = models.ForeignKey(
        CriteriaSet, on_delete=models.CASCADE, related_name="criteria", verbose_name=_("set")
    )
    code = models.CharField(_("code"), max_length=30)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    text = models.TextField(_("criterion"))
    weight = models.DecimalField(_("weight"), max_digits=6, decimal_places=2, default=1)
    # The SiteType values the criterion applies to.
    site_types = models.JSONField(_("applies to"), default=list)
    replaces = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="replaced_by",
        verbose_name=_("replaces the items"),
    )

    class Meta:
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        ordering = ["criteria_set", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["criteria_set", "code"], name="civility_criterion_code_once"
            ),
            models.CheckConstraint(condition=Q(weight__gte=0), name="civility_weight_positive"),
        ]

    def __str__(self):
        return f"{self.code} {self.text[:40]}"


# --- Sites and inspections ----------------------------------------------------------


class Site(models.Model):
    """A place inspected; its responsible unit (a department or a subdistrict office)
    answers for what is found there."""

    area = models.ForeignKey(
        "portal.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("area")
    )
    type = models.CharField(_("type"), max_length=20, choices=SiteType.choices)
    name = models.CharField(_("name"), max_length=200)
    address = models.CharField(_("address"), max_length=300)
    responsible_unit = models.ForeignKey(
        "portal.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("responsible unit"),
    )

    objects = SiteQuerySet.as_manager()

    class Meta:
        verbose_name = _("inspection site")
        verbose_name_plural = _("inspection sites")
        ordering = ["name", "pk"]
        indexes = [models.Index(fields=["area", "type"])]

    def __str__(self):
        return self.name


class Mode(models.TextChoices):
    COVERT = "covert", _("covert inspection (暗访)")
    JOINT = "joint", _("joint on-site guidance (联合指导)")
    SIMULATED = "simulated", _("simulated evaluation")
    RECHECK = "recheck", _("re-check (回头看)")


class Inspection(models.Model):
    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, related_name="inspections", verbose_name=_("site")
    )
    criteria_set = models.ForeignKey(
        CriteriaSet, on_delete=models.PROTECT, related_name="+", verbose_name=_("criteria set")
    )
    mode = models.CharField(_("mode"), max_length=20, choices=Mode.choices)
    inspected_on = models.DateField(_("date"))
    inspectors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("inspectors")
    )
    departments = models.ManyToManyField(
        "portal.Organisation", blank=True, related_name="+", verbose_name=_("departments")
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = InspectionQuerySet.as_manager()

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        ordering = ["-inspected_on", "-pk"]
        indexes = [models.Index(fields=["inspected_on"]), models.Index(fields=["mode"])]

    def __str__(self):
        return f"{self.site} {self.inspected_on}"


class Result(models.TextChoices):
    PASS = "pass", _("pass")
    FAIL = "fail", _("fail")
    NOT_APPLICABLE = "na", _("not applicable")


class Answer(models.Model):
    """One criterion's result in an inspection, saved as soon as it is given."""

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="answers")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="+")
    result = models.CharField(_("result"), max_length=4, choices=Result.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    answered_at = models.DateTimeField(_("answered at"), default=timezone.now)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(
                fields=["inspection", "criterion"], name="civility_one_answer_per_criterion"
            )
        ]

    def __str__(self):
        return f"{self.inspection_id}/{self.criterion_id}: {self.result}"


# --- Findings and supervision orders --------------------------------------------------


class Severity(models.TextChoices):
    MINOR = "minor", _("minor")
    MAJOR = "major", _("major")
    SERIOUS = "serious", _("serious")


class Resolution(models.TextChoices):
    FIXED_ON_SPOT = "fixed_on_spot", _("fixed on the spot")
    VERBAL = "verbal", _("handed over verbally (not sent to the platform)")
    SELF_FIX = "self_fix", _("fixed by the unit's own inspection")
    DEADLINE = "deadline", _("rectification by a deadline")


class FindingStatus(models.TextChoices):
    OPEN = "open", _("open")
    RECTIFYING = "rectifying", _("being rectified")
    ORDERED = "ordered", _("in a supervision order")
    RESOLVED = "resolved", _("resolved")
    RECHECK_FAILED = "recheck_failed", _("failed the re-check")
    # The answer was changed back to pass during the inspection: not a problem found.
    WITHDRAWN = "withdrawn", _("withdrawn during the inspection")


class Finding(models.Model):
    """A failed criterion at a site (a case kind, prefix WT); the case's organisation is
    the site's responsible unit."""

    case = models.OneToOneField(Case, on_delete=models.PROTECT, primary_key=True, related_name="+")
    inspection = models.ForeignKey(
        Inspection, on_delete=models.PROTECT, related_name="findings", verbose_name=_("inspection")
    )
    criterion = models.ForeignKey(
        Criterion, on_delete=models.PROTECT, related_name="findings", verbose_name=_("criterion")
    )
    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, related_name="findings", verbose_name=_("site")
    )
    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity.choices, default=Severity.MINOR
    )
    resolution = models.CharField(
        _("resolution"), max_length=20, choices=Resolution.choices, blank=True
    )
    rectify_by = models.DateField(_("rectify by"), null=True, blank=True)
    # Only deadline rectifications go to the district platform (数智平台).
    sent_to_platform = models.BooleanField(_("sent to the district platform"), default=False)
    after_photo = models.ForeignKey(
        "portal.Attachment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("photo after the fix"),
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    recheck_follow_up = models.ForeignKey(
        "portal.FollowUp", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    order = models.ForeignKey(
        "SupervisionOrder",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="findings",
        verbose_name=_("supervision order"),
    )

    objects = FindingQuerySet.as_manager()

    class Meta:
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        indexes = [
            models.Index(fields=["resolution"]),
            models.Index(fields=["criterion"]),
            models.Index(fields=["sent_to_platform"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["inspection", "criterion"], name="civility_one_finding_per_answer"
            )
        ]

    def __str__(self):
        return str(self.case)


class OrderLevel(models.TextChoices):
    NORMAL = "normal", _("normal")
    YELLOW = "yellow", _("yellow card")
    RED = "red", _("red card")


class OrderStatus(models.TextChoices):
    ISSUED = "issued", _("issued")
    REPLIED = "replied", _("replied")
    REOPENED = "reopened", _("reopened after the re-check")
    CLOSED = "closed", _("closed after the re-check")


class SupervisionOrder(models.Model):
    """A supervision order (督办单, a case kind, prefix DB) bundling findings for one
    responsible unit; the case's organisation is that unit, the case's due date the
    deadline."""

    case = models.OneToOneField(Case, on_delete=models.PROTECT, primary_key=True, related_name="+")
    responsible_unit = models.ForeignKey(
        "portal.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("responsible unit"),
    )
    level = models.CharField(
        _("level"), max_length=10, choices=OrderLevel.choices, default=OrderLevel.NORMAL
    )
    deadline = models.DateField(_("deadline"))
    requirements = models.TextField(_("requirements"), blank=True)
    reply = models.TextField(_("reply"), blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    rechecked_at = models.DateTimeField(_("re-checked at"), null=True, blank=True)

    objects = OrderQuerySet.as_manager()

    class Meta:
        verbose_name = _("supervision order")
        verbose_name_plural = _("supervision orders")
        indexes = [models.Index(fields=["level"]), models.Index(fields=["deadline"])]

    def __str__(self):
        return str(self.case)


# --- Outreach and safety education ------------------------------------------------------


class OutreachTeam(models.Model):
    """An organising team with its roster (e.g. Tuanjie's 22-member 一家亲 lecture group)."""

    area = models.ForeignKey(
        "portal.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("area")
    )
    name = models.CharField(_("name"), max_length=200)

    objects = TeamQuerySet.as_manager()

    class Meta:
        verbose_name = _("outreach team")
        verbose_name_plural = _("outreach teams")
        ordering = ["name", "pk"]

    def __str__(self):
        return self.name


class TeamMember(models.Model):
    team = models.ForeignKey(OutreachTeam, on_delete=models.CASCADE, related_name="members")
    name = models.CharField(_("name"), max_length=100)
    affiliation = models.CharField(_("affiliation"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        ordering = ["pk"]

    def __str__(self):
        return self.name


class EventType(models.TextChoices):
    LECTURE = "lecture", _("policy lecture")
    SAFETY_TOUR = "safety_tour", _("safety-education tour")
    BOOKLETS = "booklets", _("booklet distribution")
    OTHER = "other", _("other")


class PlaceType(models.TextChoices):
    SCHOOL = "school", _("school")
    COMMUNITY = "community", _("community")
    OTHER = "other", _("other")


class OutreachEvent(models.Model):
    area = models.ForeignKey(
        "portal.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("area")
    )
    type = models.CharField(_("type"), max_length=20, choices=EventType.choices)
    theme = models.CharField(_("theme"), max_length=200)
    held_on = models.DateField(_("date"))
    place_type = models.CharField(_("place"), max_length=20, choices=PlaceType.choices)
    place_name = models.CharField(_("place name"), max_length=200)
    team = models.ForeignKey(
        OutreachTeam,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("organising team"),
    )
    organiser = models.CharField(_("organiser"), max_length=200, blank=True)
    audience = models.PositiveIntegerField(_("audience"), default=0)
    # Minors are counted, never named.
    minors = models.PositiveIntegerField(_("of whom minors"), default=0)
    materials = models.PositiveIntegerField(_("materials handed out"), default=0)
    note = models.TextField(_("note"), blank=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        verbose_name = _("outreach event")
        verbose_name_plural = _("outreach events")
        ordering = ["-held_on", "pk"]
        indexes = [models.Index(fields=["area", "held_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(minors__lte=models.F("audience")),
                name="civility_minors_within_audience",
            )
        ]

    def __str__(self):
        return f"{self.theme} {self.held_on}"
