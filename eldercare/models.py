"""Eldercare (DOMAIN.md Part 1 §1 and §5, Part 3 §4): care facilities and their daily
service logs, home adaptation (one household, one plan), medical-care agreements and
family-doctor teams, and red-vest errands.

Eligibility categories and the groups errands serve are sensitive: they are shown only
to whom `housing.services.registry.may_see_sensitive` allows, and each opening is logged.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from portal.models import Case

from .querysets import (
    AdaptationQuerySet,
    AgreementQuerySet,
    ContractQuerySet,
    ErrandQuerySet,
    FacilityQuerySet,
    TeamQuerySet,
)

MONEY = {"max_digits": 12, "decimal_places": 2}


# --- Facilities -----------------------------------------------------------------------


class FacilityType(models.TextChoices):
    SERVICE_CENTRE = "service_centre", _("regional elderly service centre")
    SERVICE_STATION = "service_station", _("community elderly service station")
    MEAL_POINT = "meal_point", _("meal point (助餐点)")
    CANTEEN = "canteen", _("elderly canteen (老年食堂)")
    DAY_CARE = "day_care", _("day-care centre")


# Where residents can eat: the finder lists these.
MEAL_TYPES = (FacilityType.MEAL_POINT, FacilityType.CANTEEN)


class PremisesOrigin(models.TextChoices):
    NEW = "new", _("newly built")
    IDLE_SCHOOL = "idle_school", _("converted idle school")
    IDLE_HOSPITAL = "idle_hospital", _("converted idle hospital")
    IDLE_SHOP = "idle_shop", _("converted idle shop front")
    DONATED = "donated", _("donated")


class FacilityService(models.TextChoices):
    MEALS = "meals", _("meals")
    MOBILITY = "mobility", _("mobility help")
    DAY_CARE = "day_care", _("day care")
    EDUCATION = "education", _("elderly education")


class Facility(models.Model):
    """A care premises; its operator's members keep its daily service log."""

    community = models.ForeignKey(
        "portal.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    name = models.CharField(_("name"), max_length=200)
    type = models.CharField(_("type"), max_length=20, choices=FacilityType.choices)
    address = models.CharField(_("address"), max_length=300)
    origin = models.CharField(
        _("premises"), max_length=20, choices=PremisesOrigin.choices, default=PremisesOrigin.NEW
    )
    donor = models.CharField(
        _("donor"), max_length=200, blank=True, help_text=_("Who donated the premises.")
    )
    services = models.JSONField(_("services"), default=list, blank=True)
    capacity = models.PositiveIntegerField(_("capacity (people)"), default=0)
    floor_area_m2 = models.DecimalField(
        _("floor area (m²)"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    ground_floor = models.BooleanField(_("on the ground floor"), default=True)
    licence_number = models.CharField(_("licence number"), max_length=60, blank=True)
    opening_hours = models.CharField(_("opening hours"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    operator = models.ForeignKey(
        "portal.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("operator"),
    )
    is_open = models.BooleanField(_("in service"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = FacilityQuerySet.as_manager()

    class Meta:
        verbose_name = _("care facility")
        verbose_name_plural = _("care facilities")
        ordering = ["name", "pk"]
        indexes = [models.Index(fields=["community", "type"])]

    def __str__(self):
        return self.name


class ServiceLog(models.Model):
    """One day's service at a facility, as counts (no names)."""

    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="logs")
    date = models.DateField(_("date"))
    meals_dine_in = models.PositiveIntegerField(_("meals eaten in"), default=0)
    meals_delivered = models.PositiveIntegerField(_("meals delivered"), default=0)
    day_care = models.PositiveIntegerField(_("day-care attendance"), default=0)
    classes = models.PositiveIntegerField(_("classes held"), default=0)
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("service log")
        verbose_name_plural = _("service logs")
        ordering = ["-date"]
        constraints = [
            models.UniqueConstraint(fields=["facility", "date"], name="eldercare_one_log_per_day")
        ]
        indexes = [models.Index(fields=["date"])]

    def __str__(self):
        return f"{self.facility_id} {self.date}"


# --- Home adaptation ----------------------------------------------------------------


class Eligibility(models.TextChoices):
    """Why a household qualifies (sensitive)."""

    DISPERSED_EXTREME_POVERTY = (
        "dispersed_extreme_poverty",
        _("dispersed extreme poverty (分散供养特困)"),
    )
    LOW_INCOME = "low_income", _("low-income (低保)")
    DISABLED = "disabled", _("disabled or incapacitated")
    AGED_80 = "aged_80_plus", _("aged 80 or over")
    FAMILY_PLANNING = "family_planning", _("special family-planning family")
    OTHER = "other", _("other")


# The categories the source counts as "elderly people in special hardship".
SPECIAL_HARDSHIP = (
    Eligibility.DISPERSED_EXTREME_POVERTY,
    Eligibility.LOW_INCOME,
    Eligibility.DISABLED,
    Eligibility.FAMILY_PLANNING,
)


class Exclusion(models.TextChoices):
    """Homes the rule in force may exclude."""

    RENTED = "rented", _("rented home")
    DEMOLITION = "demolition", _("due for demolition within 2 years")
    DANGEROUS = "dangerous", _("dangerous building")


class AdaptationStage(models.TextChoices):
    APPLIED = "applied", _("applied")
    ASSESSED = "assessed", _("assessed")
    PLANNED = "planned", _("plan made")
    APPROVED = "approved", _("approved")
    WORKS = "works", _("works under way")
    ACCEPTED = "accepted", _("accepted")
    PAID = "paid", _("subsidy paid")
    REJECTED = "rejected", _("rejected")


# Accepted and paid households count as completed, and their cost as investment.
COMPLETED = (AdaptationStage.ACCEPTED, AdaptationStage.PAID)


class Applicant(models.TextChoices):
    ELDER = "elder", _("the elder")
    FAMILY = "family", _("a family member")
    STAFF = "staff", _("staff on the elder's behalf")


class AdaptationArea(models.TextChoices):
    """The five functional areas (Zhejiang 2020, as in the source)."""

    TOILET_BATHING = "toilet_bathing", _("toilet and bathing safety")
    HOME_ENVIRONMENT = "home_environment", _("home environment")
    INDOOR_WALKING = "indoor_walking", _("indoor walking")
    SMART_MONITORING = "smart_monitoring", _("smart monitoring")
    ASSISTIVE_DEVICES = "assistive_devices", _("assistive devices")


class CapacityLevel(models.IntegerChoices):
    """GB/T 42195-2022 overall capacity levels."""

    INTACT = 0, _("capacity intact")
    MILD = 1, _("mildly impaired")
    MODERATE = 2, _("moderately impaired")
    SEVERE = 3, _("severely impaired")
    LOST = 4, _("capacity lost")


class Adaptation(models.Model):
    """One household's home adaptation (a case kind, prefix SL): one household, one plan."""

    case = models.OneToOneField(Case, on_delete=models.PROTECT, primary_key=True, related_name="+")
    elder = models.ForeignKey(
        "housing.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("elder")
    )
    household = models.ForeignKey(
        "housing.Household", on_delete=models.PROTECT, related_name="+", verbose_name=_("home")
    )
    applicant = models.CharField(
        _("applied by"), max_length=10, choices=Applicant.choices, default=Applicant.ELDER
    )
    eligibility = models.CharField(_("eligibility"), max_length=30, choices=Eligibility.choices)
    # Declared at application; the rule in force decides which of them exclude the home.
    exclusions = models.JSONField(_("home conditions"), default=list, blank=True)
    stage = models.CharField(
        _("stage"), max_length=20, choices=AdaptationStage.choices, default=AdaptationStage.APPLIED
    )
    stage_changed_at = models.DateTimeField(_("stage since"), default=timezone.now)
    # The subsidy rule and catalogue versions the application was decided under.
    subsidy_rule_set = models.ForeignKey(
        "portal.RuleSet", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    catalogue_rule_set = models.ForeignKey(
        "portal.RuleSet", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    subsidy_cap = models.DecimalField(_("subsidy cap (yuan)"), **MONEY, default=0)
    # Capacity assessment (GB/T 42195 domains, 0 = intact … 4 = lost) and home assessment.
    capacity_level = models.PositiveSmallIntegerField(
        _("capacity level"), choices=CapacityLevel.choices, null=True, blank=True
    )
    daily_living = models.PositiveSmallIntegerField(
        _("daily living activities"), choices=CapacityLevel.choices, null=True, blank=True
    )
    mental_state = models.PositiveSmallIntegerField(
        _("mental state"), choices=CapacityLevel.choices, null=True, blank=True
    )
    sensory = models.PositiveSmallIntegerField(
        _("sensory and communication"), choices=CapacityLevel.choices, null=True, blank=True
    )
    social = models.PositiveSmallIntegerField(
        _("social participation"), choices=CapacityLevel.choices, null=True, blank=True
    )
    home_assessment = models.TextField(_("home assessment"), blank=True)
    assessed_at = models.DateTimeField(_("assessed at"), null=True, blank=True)
    # The plan's money, kept in step with its items by the plan service (so dashboards
    # can sum it in SQL).
    total_cost = models.DecimalField(_("total cost (yuan)"), **MONEY, default=0)
    subsidy = models.DecimalField(_("subsidy (yuan)"), **MONEY, default=0)
    self_pay = models.DecimalField(_("self-pay (yuan)"), **MONEY, default=0)
    other_funding = models.DecimalField(_("other funding (yuan)"), **MONEY, default=0)
    contractor = models.ForeignKey(
        "portal.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("contractor"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    works_started_on = models.DateField(_("works started"), null=True, blank=True)
    accepted_on = models.DateField(_("accepted on"), null=True, blank=True)
    acceptance_record = models.TextField(_("acceptance record"), blank=True)
    paid_on = models.DateField(_("subsidy paid on"), null=True, blank=True)
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)
    satisfaction = models.PositiveSmallIntegerField(_("satisfaction"), null=True, blank=True)
    survey_comment = models.TextField(_("survey comment"), blank=True)
    surveyed_at = models.DateTimeField(_("surveyed at"), null=True, blank=True)

    objects = AdaptationQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("home adaptation")
        verbose_name_plural = _("home adaptations")
        indexes = [
            models.Index(fields=["stage"]),
            models.Index(fields=["eligibility"]),
            models.Index(fields=["contractor", "stage"]),
        ]
        constraints = [
            # One household, one plan: a rejected application may be made again.
            models.UniqueConstraint(
                fields=["household"],
                condition=~Q(stage="rejected"),
                name="eldercare_one_live_adaptation_per_household",
            ),
            models.CheckConstraint(
                condition=Q(
                    total_cost__gte=0, subsidy__gte=0, self_pay__gte=0, other_funding__gte=0
                ),
                name="eldercare_adaptation_money_positive",
            ),
            models.CheckConstraint(
                condition=Q(satisfaction__isnull=True)
                | Q(satisfaction__gte=1, satisfaction__lte=5),
                name="eldercare_adaptation_satisfaction_1_to_5",
            ),
        ]

    def __str__(self):
        return str(self.case)

    @property
    def investment(self):
        """What the source counts: subsidy, self-pay and any other funding."""
        return self.total_cost + self.other_funding


class PlanItem(models.Model):
    """One item of a household's plan, copied from the catalogue version in force so a
    later catalogue never rewrites it."""

    adaptation = models.ForeignKey(Adaptation, on_delete=models.CASCADE, related_name="items")
    code = models.CharField(_("code"), max_length=40)
    area = models.CharField(_("area"), max_length=30, choices=AdaptationArea.choices)
    name = models.CharField(_("item"), max_length=200)
    basic = models.BooleanField(_("basic (subsidised)"), default=True)
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    unit_price = models.DecimalField(_("unit price (yuan)"), **MONEY)

    class Meta:
        verbose_name = _("plan item")
        verbose_name_plural = _("plan items")
        ordering = ["area", "code"]
        constraints = [
            models.UniqueConstraint(fields=["adaptation", "code"], name="eldercare_plan_item_once"),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0), name="eldercare_plan_price_positive"
            ),
        ]

    def __str__(self):
        return f"{self.adaptation_id}: {self.name} × {self.quantity}"

    @property
    def line_total(self):
        return self.unit_price * self.quantity


# --- Medical-care integration ---------------------------------------------------------


class AgreementService(models.TextChoices):
    HEALTH_ASSESSMENT = "health_assessment", _("free health assessment")
    CHECKUP_ADVICE = "checkup_advice", _("check-up advice")
    GREEN_CHANNEL = "green_channel", _("green channel")


class CareAgreement(models.Model):
    """A care institution's agreement with a medical institution (医养结合)."""

    area = models.ForeignKey(
        "portal.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("area")
    )
    care_institution = models.ForeignKey(
        "portal.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("care institution"),
    )
    medical_institution = models.ForeignKey(
        "portal.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("medical institution"),
    )
    services = models.JSONField(_("services"), default=list)
    signed_on = models.DateField(_("signed on"))
    expires_on = models.DateField(_("expires on"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    renewal_follow_up = models.ForeignKey(
        "portal.FollowUp", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = AgreementQuerySet.as_manager()

    class Meta:
        verbose_name = _("medical-care agreement")
        verbose_name_plural = _("medical-care agreements")
        ordering = ["expires_on", "pk"]
        indexes = [models.Index(fields=["expires_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_on__gt=models.F("signed_on")),
                name="eldercare_agreement_expires_after_signing",
            )
        ]

    def __str__(self):
        return f"{self.care_institution} – {self.medical_institution}"


class DoctorTeam(models.Model):
    """A family-doctor contract team (家庭医生签约团队)."""

    area = models.ForeignKey(
        "portal.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("area")
    )
    name = models.CharField(_("name"), max_length=200)
    medical_institution = models.ForeignKey(
        "portal.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("medical institution"),
    )
    members = models.TextField(_("members"), help_text=_("One name and role per line."))
    phone = models.CharField(_("phone"), max_length=20, blank=True)

    objects = TeamQuerySet.as_manager()

    class Meta:
        verbose_name = _("family-doctor team")
        verbose_name_plural = _("family-doctor teams")
        ordering = ["name", "pk"]
        indexes = [models.Index(fields=["area", "name"])]

    def __str__(self):
        return self.name


class DoctorContract(models.Model):
    """An elderly resident's contract with a team; visits are due every so many days."""

    team = models.ForeignKey(DoctorTeam, on_delete=models.PROTECT, related_name="contracts")
    person = models.ForeignKey(
        "housing.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("resident")
    )
    signed_on = models.DateField(_("signed on"))
    visit_every_days = models.PositiveSmallIntegerField(_("visit every (days)"), default=30)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    next_visit_follow_up = models.ForeignKey(
        "portal.FollowUp", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ContractQuerySet.as_manager()

    class Meta:
        verbose_name = _("family-doctor contract")
        verbose_name_plural = _("family-doctor contracts")
        ordering = ["-signed_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "person"],
                condition=Q(ended_on__isnull=True),
                name="eldercare_one_live_contract_per_team",
            ),
            models.CheckConstraint(
                condition=Q(visit_every_days__gte=1), name="eldercare_visit_interval_positive"
            ),
        ]

    def __str__(self):
        return f"{self.team} – {self.person}"


class DoctorVisit(models.Model):
    contract = models.ForeignKey(DoctorContract, on_delete=models.CASCADE, related_name="visits")
    visited_on = models.DateField(_("visited on"))
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        verbose_name = _("doctor visit")
        verbose_name_plural = _("doctor visits")
        ordering = ["-visited_on", "pk"]
        indexes = [models.Index(fields=["visited_on"])]

    def __str__(self):
        return f"{self.contract_id} {self.visited_on}"


# --- Red-vest errands ---------------------------------------------------------------


class ErrandGroup(models.TextChoices):
    """Who the team runs errands for (sensitive)."""

    WIDOWED = "widowed", _("widowed")
    ORPHANED = "orphaned", _("orphaned")
    CHILDLESS = "childless", _("childless")
    MOBILITY = "mobility_impaired", _("mobility impaired")
    ELDERLY_ALONE = "elderly_alone", _("elderly, living alone")


class ErrandService(models.TextChoices):
    PENSION_CERTIFICATION = "pension_certification", _("pension certification")
    MEDICAL_INSURANCE = "medical_insurance", _("medical insurance")
    ID_RENEWAL = "id_renewal", _("ID card renewal")
    BENEFIT_APPLICATION = "benefit_application", _("benefit application")
    SHOPPING = "shopping", _("shopping")
    OTHER = "other", _("other")


class ErrandStatus(models.TextChoices):
    REQUESTED = "requested", _("awaiting a volunteer")
    ASSIGNED = "assigned", _("volunteer assigned")
    DONE = "done", _("done")
    CANCELLED = "cancelled", _("cancelled")


class Errand(models.Model):
    """A red-vest errand (帮办代办, a case kind, prefix BB): the case's organisation is
    the volunteer team and its handler the volunteer."""

    case = models.OneToOneField(Case, on_delete=models.PROTECT, primary_key=True, related_name="+")
    person = models.ForeignKey(
        "housing.Person",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resident on record"),
    )
    group = models.CharField(_("circumstances"), max_length=20, choices=ErrandGroup.choices)
    service = models.CharField(_("service"), max_length=30, choices=ErrandService.choices)
    details = models.TextField(_("what is needed"))
    address = models.CharField(_("address"), max_length=300)
    wanted_by = models.DateField(_("wanted by"), null=True, blank=True)
    done_note = models.TextField(_("what was done"), blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    objects = ErrandQuerySet.as_manager()

    class Meta:
        verbose_name = _("errand")
        verbose_name_plural = _("errands")
        indexes = [models.Index(fields=["service"])]

    def __str__(self):
        return str(self.case)
