"""Estates and who lives there; estate governance; the mobile office desk; estate issues."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.models import Case
from portal.personal import mask_id_number, mask_name, mask_phone

from .querysets import (
    DeskVisitQuerySet,
    EstateIssueQuerySet,
    EstateQuerySet,
    HouseholdQuerySet,
    PersonQuerySet,
)


class ManagementMode(models.TextChoices):
    UNSET = "unset", _("not yet decided")
    MIXED = "mixed", _("mixed 1+3+N")
    ENTRUSTED = "entrusted", _("fully entrusted to a property company")
    SELF_MANAGED = "self_managed", _("self-managed by residents")


class Estate(models.Model):
    """An estate or courtyard (小区/楼院) in a community."""

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
    name = models.CharField(_("name"), max_length=100)
    address = models.CharField(_("address"), max_length=200, blank=True)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    management_mode = models.CharField(
        _("management mode"),
        max_length=20,
        choices=ManagementMode.choices,
        default=ManagementMode.UNSET,
    )
    property_company = models.ForeignKey(
        "portal.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="served_estates",
        verbose_name=_("property company"),
    )
    owners_committee_founded_on = models.DateField(
        _("owners' committee founded"),
        null=True,
        blank=True,
        help_text=_("Empty when the estate has no owners' committee."),
    )
    has_party_branch = models.BooleanField(_("estate party branch"), default=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = EstateQuerySet.as_manager()

    class Meta:
        verbose_name = _("estate")
        verbose_name_plural = _("estates")
        ordering = ["name"]
        indexes = [models.Index(fields=["community", "management_mode"])]
        constraints = [
            models.UniqueConstraint(fields=["community", "name"], name="housing_estate_unique")
        ]

    def __str__(self):
        return self.name


class ModeChange(models.Model):
    """One change of an estate's management mode, with its reason: the mode history."""

    estate = models.ForeignKey(Estate, on_delete=models.CASCADE, related_name="mode_changes")
    mode = models.CharField(_("management mode"), max_length=20, choices=ManagementMode.choices)
    previous_mode = models.CharField(
        _("previous mode"), max_length=20, choices=ManagementMode.choices, blank=True
    )
    changed_on = models.DateField(_("from"))
    reason = models.CharField(_("reason"), max_length=300)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-changed_on", "-pk"]

    def __str__(self):
        return f"{self.estate_id}: {self.mode} from {self.changed_on}"


class Building(models.Model):
    """A building (楼栋) of an estate."""

    estate = models.ForeignKey(Estate, on_delete=models.CASCADE, related_name="buildings")
    number = models.CharField(_("building"), max_length=20)
    floors = models.PositiveSmallIntegerField(_("floors"))
    has_elevator = models.BooleanField(_("has an elevator"), default=False)
    year_built = models.PositiveSmallIntegerField(_("year built"), null=True, blank=True)
    grid = models.ForeignKey(
        "portal.Area",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("grid"),
    )

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        ordering = ["estate", "number"]
        constraints = [
            models.UniqueConstraint(fields=["estate", "number"], name="housing_building_unique")
        ]

    def __str__(self):
        return f"{self.estate} {self.number}"


class Unit(models.Model):
    """A stairwell unit (单元) of a building: the unit of elevator retrofits."""

    building = models.ForeignKey(Building, on_delete=models.CASCADE, related_name="units")
    number = models.CharField(_("unit"), max_length=20)
    floors = models.PositiveSmallIntegerField(_("floors"))

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["building", "number"]
        constraints = [
            models.UniqueConstraint(fields=["building", "number"], name="housing_unit_unique")
        ]

    def __str__(self):
        return f"{self.building} {self.number}"


class Occupancy(models.TextChoices):
    OWNER = "owner", _("owner-occupied")
    RENTED = "rented", _("rented")
    VACANT = "vacant", _("vacant")


class Household(models.Model):
    """A dwelling (户) in a unit; its registered floor area counts in elevator consent."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="households")
    floor = models.SmallIntegerField(_("floor"))
    room_number = models.CharField(_("room"), max_length=20)
    area_m2 = models.DecimalField(_("registered floor area (m²)"), max_digits=8, decimal_places=2)
    occupancy = models.CharField(
        _("occupancy"), max_length=10, choices=Occupancy.choices, default=Occupancy.OWNER
    )

    objects = HouseholdQuerySet.as_manager()

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["unit", "floor", "room_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "room_number"], name="housing_household_unique"
            ),
            models.CheckConstraint(
                condition=Q(area_m2__gt=0), name="housing_household_area_positive"
            ),
        ]

    def __str__(self):
        return f"{self.unit} {self.room_number}"


class Gender(models.TextChoices):
    MALE = "male", _("male")
    FEMALE = "female", _("female")


class CareTag(models.TextChoices):
    """Sensitive: shown only to the owning community's staff and eldercare officers."""

    ALONE = "elderly_alone", _("elderly, living alone")
    DISABLED = "disabled", _("disabled")
    LOW_INCOME = "low_income", _("low-income (低保)")
    HARDSHIP = "extreme_hardship", _("extreme hardship (特困)")
    WIDOWED_ORPHANED = "widowed_orphaned", _("widowed or orphaned")
    LEFT_BEHIND_CHILD = "left_behind_child", _("left-behind child")


class Person(models.Model):
    """A resident's record (居民档案). One owner of several flats is one person."""

    community = models.ForeignKey(
        "portal.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    name = models.CharField(_("name"), max_length=100)
    # The ID number is stored encrypted; its keyed hash finds duplicates; the masked
    # form is kept for display, so listing never decrypts.
    id_number_encrypted = models.TextField(blank=True)
    id_number_hash = models.CharField(max_length=64, blank=True)
    id_number_masked = models.CharField(_("ID card number"), max_length=18, blank=True)
    phone = models.CharField(_("mobile phone"), max_length=11, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    gender = models.CharField(_("gender"), max_length=10, choices=Gender.choices, blank=True)
    ethnicity = models.CharField(
        _("ethnicity"),
        max_length=30,
        blank=True,
        help_text=_("Optional. Shown only to this community's staff."),
    )
    care_tags = models.JSONField(_("care needs"), default=list, blank=True)
    # Sensitive personal information (PIPL Art. 28) is recorded only with its purpose.
    ethnicity_reason = models.CharField(_("why ethnicity is recorded"), max_length=200, blank=True)
    care_tags_reason = models.CharField(
        _("why care needs are recorded"), max_length=200, blank=True
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="person",
        verbose_name=_("account"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = PersonQuerySet.as_manager()

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["name", "pk"]
        indexes = [models.Index(fields=["community", "name"])]
        constraints = [
            models.UniqueConstraint(
                fields=["id_number_hash"],
                condition=~Q(id_number_hash=""),
                name="housing_person_id_unique",
            )
        ]

    def __str__(self):
        return self.name

    @property
    def masked_name(self) -> str:
        return mask_name(self.name)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def masked_id_number(self) -> str:
        return self.id_number_masked or mask_id_number("")


class Relation(models.TextChoices):
    OWNER = "owner", _("owner")
    CO_OWNER = "co_owner", _("co-owner")
    TENANT = "tenant", _("tenant")
    FAMILY = "family", _("family member")


class Residence(models.Model):
    """A person's link to a household, with their relation to it."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="residences")
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="residences")
    relation = models.CharField(_("relation"), max_length=10, choices=Relation.choices)

    class Meta:
        verbose_name = _("residence")
        verbose_name_plural = _("residences")
        constraints = [
            models.UniqueConstraint(fields=["person", "household"], name="housing_residence_unique")
        ]

    def __str__(self):
        return f"{self.person_id} {self.relation} {self.household_id}"


class HouseholdClaim(models.Model):
    """A resident account asks to be bound to a household; staff approve or reject."""

    class State(models.TextChoices):
        PENDING = "pending", _("waiting for the community")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="household_claims"
    )
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="claims")
    relation = models.CharField(
        _("I am the"),
        max_length=10,
        choices=[(Relation.OWNER, Relation.OWNER.label), (Relation.TENANT, Relation.TENANT.label)],
    )
    owner_name = models.CharField(_("owner's name"), max_length=100)
    owner_id_last4 = models.CharField(_("last 4 characters of the owner's ID card"), max_length=4)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("household binding request")
        verbose_name_plural = _("household binding requests")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "household"],
                condition=Q(state="pending"),
                name="housing_claim_one_pending",
            )
        ]

    def __str__(self):
        return f"{self.user_id} → {self.household_id} ({self.state})"


class RosterRole(models.TextChoices):
    PARTY_BRANCH_SECRETARY = "party_branch_secretary", _("estate party branch secretary")
    COMMITTEE_CHAIR = "committee_chair", _("owners' committee chair")
    COMMITTEE_MEMBER = "committee_member", _("owners' committee member")
    PROPERTY_MANAGER = "property_manager", _("property manager")
    PARTY_LIAISON = "party_liaison", _("party organisation liaison")
    CO_BUILDING_UNIT = "co_building_unit", _("co-building unit")
    REPRESENTATIVE = "representative", _("deputy or committee member (两代表一委员)")
    GRID_HEAD = "grid_head", _("grid head")
    BUILDING_HEAD = "building_head", _("building head")
    PARTY_MEMBER = "party_member", _("party-member resident")
    VOLUNTEER = "volunteer", _("volunteer")


class RosterEntry(models.Model):
    """Someone's role in an estate's governance (the 1+3+N roster), with dates."""

    estate = models.ForeignKey(Estate, on_delete=models.CASCADE, related_name="roster")
    role = models.CharField(_("role"), max_length=30, choices=RosterRole.choices)
    building = models.ForeignKey(
        Building,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("building"),
    )
    person = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("person"),
    )
    organisation = models.ForeignKey(
        "portal.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organisation"),
    )
    name = models.CharField(
        _("name"),
        max_length=100,
        blank=True,
        help_text=_("When neither a person record nor an organisation."),
    )
    started_on = models.DateField(_("since"))
    ended_on = models.DateField(_("until"), null=True, blank=True)

    class Meta:
        verbose_name = _("roster entry")
        verbose_name_plural = _("roster")
        ordering = ["role", "started_on"]
        indexes = [models.Index(fields=["estate", "role", "ended_on"])]

    def __str__(self):
        return f"{self.get_role_display()}: {self.display_name}"

    @property
    def display_name(self) -> str:
        return str(self.person or self.organisation or self.name)


class PropertyReview(models.Model):
    """The party organisation's review of a property company's service at an estate."""

    estate = models.ForeignKey(Estate, on_delete=models.CASCADE, related_name="reviews")
    company = models.ForeignKey(
        "portal.Organisation",
        on_delete=models.PROTECT,
        related_name="reviews",
        verbose_name=_("property company"),
    )
    reviewed_on = models.DateField(_("date"))
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("reviewer"),
    )
    security = models.PositiveSmallIntegerField(_("security"))
    cleaning = models.PositiveSmallIntegerField(_("cleaning"))
    maintenance = models.PositiveSmallIntegerField(_("maintenance"))
    responsiveness = models.PositiveSmallIntegerField(_("responsiveness"))
    problems_raised = models.TextField(_("problems the company raised"), blank=True)
    help_given = models.TextField(_("help given"), blank=True)

    class Meta:
        verbose_name = _("property service review")
        verbose_name_plural = _("property service reviews")
        ordering = ["-reviewed_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    security__range=(1, 5),
                    cleaning__range=(1, 5),
                    maintenance__range=(1, 5),
                    responsiveness__range=(1, 5),
                ),
                name="housing_review_scores_1_to_5",
            )
        ]

    def __str__(self):
        return f"{self.company} @ {self.estate} {self.reviewed_on}"


class DeskVisit(models.Model):
    """A mobile office desk (流动办公桌) session at an estate."""

    estate = models.ForeignKey(Estate, on_delete=models.CASCADE, related_name="desk_visits")
    scheduled_at = models.DateTimeField(_("when"))
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="desk_visits", verbose_name=_("staff")
    )
    held = models.BooleanField(_("held"), default=False)
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    objects = DeskVisitQuerySet.as_manager()

    class Meta:
        verbose_name = _("desk visit")
        verbose_name_plural = _("desk visits")
        ordering = ["-scheduled_at"]
        indexes = [models.Index(fields=["estate", "scheduled_at"])]

    def __str__(self):
        return f"{self.estate} {self.scheduled_at:%Y-%m-%d}"


class IssueCategory(models.TextChoices):
    PARKING = "parking", _("parking")
    SANITATION = "sanitation", _("cleaning and rubbish")
    FACILITIES = "facilities", _("facilities and repairs")
    SAFETY = "safety", _("safety and fire")
    NEIGHBOURS = "neighbours", _("neighbours")
    PROPERTY_SERVICE = "property_service", _("property service")
    OTHER = "other", _("other")


class EstateIssue(models.Model):
    """A problem at an estate (a case kind): reported on a desk visit, by staff or a resident."""

    class Status(models.TextChoices):
        REPORTED = "reported", _("reported")
        IN_HAND = "in_hand", _("being handled")
        COLLECTIVE_STUDY = "collective_study", _("under the community's collective study")
        ESCALATED = "escalated", _("escalated to the subdistrict office")
        SOLVED_ON_SPOT = "solved_on_spot", _("solved on the spot")
        SOLVED = "solved", _("solved")
        TURNED_INTO_DISPUTE = "dispute", _("turned into a dispute")
        NOT_ACCEPTED = "not_accepted", _("not accepted")

    case = models.OneToOneField(Case, on_delete=models.PROTECT, primary_key=True, related_name="+")
    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="issues")
    building = models.ForeignKey(
        Building,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("building"),
    )
    category = models.CharField(_("category"), max_length=20, choices=IssueCategory.choices)
    description = models.TextField(_("what is the problem"))
    reporter = models.ForeignKey(
        Person,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reported by"),
    )
    desk_visit = models.ForeignKey(
        DeskVisit, on_delete=models.SET_NULL, null=True, blank=True, related_name="issues"
    )
    dispute_case = models.ForeignKey(
        Case,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("dispute"),
    )

    objects = EstateIssueQuerySet.as_manager()

    class Meta:
        verbose_name = _("estate issue")
        verbose_name_plural = _("estate issues")
        indexes = [models.Index(fields=["estate", "category"])]

    def __str__(self):
        return str(self.case)
