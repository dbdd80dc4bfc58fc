"""The party secretary's clinic: disputes, parties, the panel, sessions, agreements,
return visits, judicial confirmation, referrals, clinic slots and the concerns register."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.models import Case
from portal.personal import mask_name, mask_phone

from .querysets import ConcernQuerySet, DisputeQuerySet, MediatorQuerySet


class Category(models.Model):
    """A dispute type with a stable code (for statistics and a later 12345 mapping)."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=80)
    # Affiliation types the classification suggests for the panel.
    suggested_affiliations = models.JSONField(_("suggested panel"), default=list, blank=True)
    is_active = models.BooleanField(_("in use"), default=True)
    order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        verbose_name = _("dispute category")
        verbose_name_plural = _("dispute categories")
        ordering = ["order", "code"]

    def __str__(self):
        return self.name


class Risk(models.TextChoices):
    RED = "red", _("red: escalate at once")
    ORANGE = "orange", _("orange: handle the same day")
    YELLOW = "yellow", _("yellow: may be settled on the spot")


class Channel(models.TextChoices):
    WALK_IN = "walk_in", _("walk-in at the clinic")
    GRID_REFERRAL = "grid_referral", _("referred by a grid worker")
    WEB_FORM = "web_form", _("resident's web form")
    CLINIC_BOOKING = "clinic_booking", _("clinic booking")
    HAND_OVER = "hand_over", _("turned from another case")
    TEA_TALK = "tea_talk", _("raised at a tea talk")


class Dispute(models.Model):
    """A dispute brought to the clinic (a case kind of the kit, prefix JF)."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("received")
        ACCEPTED = "accepted", _("accepted for mediation")
        MEDIATING = "mediating", _("in mediation")
        AGREED = "agreed", _("agreement reached")
        PERFORMING = "performing", _("agreement being carried out")
        FAILED = "failed", _("mediation failed")
        REFUSED = "refused", _("a party refused mediation")
        SETTLED = "settled", _("settled")
        CLOSED = "closed", _("closed")

    case = models.OneToOneField(Case, on_delete=models.PROTECT, primary_key=True, related_name="+")
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="disputes", verbose_name=_("category")
    )
    risk = models.CharField(_("risk"), max_length=10, choices=Risk.choices, default=Risk.YELLOW)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    estate = models.ForeignKey(
        "housing.Estate",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("estate"),
    )
    place = models.CharField(_("where it happened"), max_length=200, blank=True)
    facts = models.TextField(_("what happened"))
    source_case = models.ForeignKey(
        Case,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("turned from"),
    )
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    rights_notice_given_at = models.DateTimeField(_("rights notice given"), null=True, blank=True)

    objects = DisputeQuerySet.as_manager()

    class Meta:
        verbose_name = _("dispute")
        verbose_name_plural = _("disputes")
        indexes = [models.Index(fields=["category", "risk"])]

    def __str__(self):
        return str(self.case)


class Party(models.Model):
    """An applicant, respondent or representative, with their willingness to mediate."""

    class Role(models.TextChoices):
        APPLICANT = "applicant", _("applicant")
        RESPONDENT = "respondent", _("respondent")
        REPRESENTATIVE = "representative", _("representative")

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="parties")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    person = models.ForeignKey(
        "housing.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resident record"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("account"),
    )
    name = models.CharField(_("name"), max_length=100)
    phone = models.CharField(_("mobile phone"), max_length=11, blank=True)
    represents = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="representatives",
        verbose_name=_("represents"),
    )
    willing = models.BooleanField(_("willing to mediate"), null=True, blank=True)
    willingness_recorded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("party")
        verbose_name_plural = _("parties")
        ordering = ["role", "pk"]

    def __str__(self):
        return self.name

    @property
    def masked_name(self) -> str:
        return mask_name(self.name)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)


class Affiliation(models.TextChoices):
    COMMUNITY_CADRE = "community_cadre", _("community cadre")
    POLICE_STATION = "police_station", _("police station")
    COURT = "court", _("court")
    JUDICIAL_OFFICE = "judicial_office", _("judicial office")
    RELIGIOUS_FIGURE = "religious_figure", _("religious figure")
    LAWYER = "lawyer", _("lawyer")
    COUNSELLOR = "counsellor", _("psychological counsellor")
    REPRESENTATIVE = "representative", _("deputy or committee member (两代表一委员)")
    PROPERTY_COMPANY = "property_company", _("property company")


class Mediator(models.Model):
    """A member of the mediation panel pool: a user (staff or organisation member)."""

    community = models.ForeignKey(
        "portal.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="mediator_roles",
        verbose_name=_("account"),
    )
    name = models.CharField(_("name"), max_length=100)
    affiliation = models.CharField(_("affiliation"), max_length=30, choices=Affiliation.choices)
    organisation = models.ForeignKey(
        "portal.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organisation"),
    )
    is_active = models.BooleanField(_("on the panel"), default=True)

    objects = MediatorQuerySet.as_manager()

    class Meta:
        verbose_name = _("mediator")
        verbose_name_plural = _("mediators")
        ordering = ["affiliation", "name"]

    def __str__(self):
        return f"{self.name} ({self.get_affiliation_display()})"


class PanelMember(models.Model):
    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="panel")
    mediator = models.ForeignKey(Mediator, on_delete=models.PROTECT, related_name="panels")
    is_lead = models.BooleanField(_("leads"), default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["dispute", "mediator"], name="disputes_panel_unique"),
            models.UniqueConstraint(
                fields=["dispute"], condition=Q(is_lead=True), name="disputes_one_lead"
            ),
        ]

    def __str__(self):
        return f"{self.dispute_id}: {self.mediator_id}"


class Session(models.Model):
    """A mediation session: clinic talk, tea talk, mini-forum, on site or at home."""

    class Format(models.TextChoices):
        CLINIC = "clinic", _("clinic talk")
        TEA_TALK = "tea_talk", _("tea talk (茶话会)")
        MINI_FORUM = "mini_forum", _("mini-forum (微座谈)")
        ON_SITE = "on_site", _("on site")
        HOME_VISIT = "home_visit", _("home visit")

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="sessions")
    format = models.CharField(_("format"), max_length=20, choices=Format.choices)
    starts_at = models.DateTimeField(_("when"))
    place = models.CharField(_("where"), max_length=200)
    attending_parties = models.ManyToManyField(
        Party, blank=True, related_name="sessions", verbose_name=_("parties attending")
    )
    attending_mediators = models.ManyToManyField(
        Mediator, blank=True, related_name="sessions", verbose_name=_("mediators attending")
    )
    minutes = models.TextField(_("minutes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        verbose_name = _("mediation session")
        verbose_name_plural = _("mediation sessions")
        ordering = ["starts_at"]

    def __str__(self):
        return f"{self.dispute_id} {self.starts_at:%Y-%m-%d %H:%M}"


class Agreement(models.Model):
    """The outcome of a successful mediation: written (printable) or oral."""

    class Form(models.TextChoices):
        WRITTEN = "written", _("written agreement (调解协议书)")
        ORAL = "oral", _("oral agreement")

    dispute = models.OneToOneField(Dispute, on_delete=models.CASCADE, related_name="agreement")
    form = models.CharField(_("form"), max_length=10, choices=Form.choices)
    number = models.CharField(_("agreement number"), max_length=40, unique=True)
    facts = models.TextField(_("facts and points in dispute"))
    responsibilities = models.TextField(_("responsibilities"), blank=True)
    terms = models.TextField(_("what the parties agree"))
    performance_deadline = models.DateField(_("to be carried out by"), null=True, blank=True)
    effective_on = models.DateField(_("effective from"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("mediation agreement")
        verbose_name_plural = _("mediation agreements")

    def __str__(self):
        return self.number


class ReturnVisit(models.Model):
    """A visit back (回访): was the agreement kept, how satisfied are the parties."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="return_visits")
    due_on = models.DateField(_("due"))
    visited_on = models.DateField(_("visited on"), null=True, blank=True)
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("visited by"),
    )
    kept = models.BooleanField(_("agreement kept"), null=True, blank=True)
    satisfaction = models.PositiveSmallIntegerField(_("satisfaction (1–5)"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    follow_up = models.ForeignKey(
        "portal.FollowUp", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("return visit")
        verbose_name_plural = _("return visits")
        ordering = ["due_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(satisfaction__isnull=True) | Q(satisfaction__range=(1, 5)),
                name="disputes_return_visit_satisfaction_1_to_5",
            )
        ]

    def __str__(self):
        return f"{self.dispute_id} {self.due_on}"


class JudicialConfirmation(models.Model):
    """An application to a court to confirm the agreement (within 30 days of it)."""

    class Result(models.TextChoices):
        PENDING = "pending", _("waiting for the court")
        CONFIRMED = "confirmed", _("confirmed")
        REJECTED = "rejected", _("not confirmed")

    dispute = models.OneToOneField(Dispute, on_delete=models.CASCADE, related_name="confirmation")
    applied_on = models.DateField(_("applied on"))
    court = models.ForeignKey(
        "portal.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("court")
    )
    result = models.CharField(
        _("result"), max_length=10, choices=Result.choices, default=Result.PENDING
    )
    result_on = models.DateField(_("decided on"), null=True, blank=True)

    class Meta:
        verbose_name = _("judicial confirmation")
        verbose_name_plural = _("judicial confirmations")

    def __str__(self):
        return f"{self.dispute_id} {self.result}"


class Referral(models.Model):
    """A referral from the clinic: legal aid, counselling, or another route."""

    class Kind(models.TextChoices):
        LEGAL_AID = "legal_aid", _("legal aid")
        COUNSELLING = "counselling", _("psychological counselling")
        COURT = "court", _("court")
        ARBITRATION = "arbitration", _("arbitration")
        PETITION = "petition", _("petition (信访)")

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="referrals")
    kind = models.CharField(_("to"), max_length=20, choices=Kind.choices)
    party = models.ForeignKey(
        Party,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("party"),
    )
    provider = models.CharField(_("provider"), max_length=200, blank=True)
    reason = models.TextField(
        _("why"), blank=True, help_text=_("For legal aid: why the party qualifies.")
    )
    outcome = models.TextField(_("outcome"), blank=True)
    referred_at = models.DateTimeField(_("referred at"), default=timezone.now)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["referred_at"]

    def __str__(self):
        return f"{self.dispute_id} → {self.kind}"


class Extension(models.Model):
    """The time limit extended, only with the parties' recorded consent."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="extensions")
    new_due_at = models.DateTimeField(_("new time limit"))
    consent = models.TextField(_("how the parties consented"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["recorded_at"]

    def __str__(self):
        return f"{self.dispute_id} → {self.new_due_at:%Y-%m-%d}"


class ClinicSlot(models.Model):
    """A time the clinic offers; residents book one to ask for mediation."""

    community = models.ForeignKey(
        "portal.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    capacity = models.PositiveSmallIntegerField(_("places"), default=3)

    class Meta:
        verbose_name = _("clinic slot")
        verbose_name_plural = _("clinic slots")
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["community", "starts_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")),
                name="disputes_slot_ends_after_start",
            )
        ]

    def __str__(self):
        return f"{self.community} {self.starts_at:%Y-%m-%d %H:%M}"


class Booking(models.Model):
    slot = models.ForeignKey(ClinicSlot, on_delete=models.PROTECT, related_name="bookings")
    dispute = models.OneToOneField(Dispute, on_delete=models.CASCADE, related_name="booking")

    def __str__(self):
        return f"{self.slot_id}: {self.dispute_id}"


class Concern(models.Model):
    """A resident's urgent concern (急难愁盼) recorded at a tea talk or in the clinic."""

    class Status(models.TextChoices):
        RECORDED = "recorded", _("recorded")
        ANSWERED = "answered", _("answered")
        TURNED = "turned", _("turned into a case")

    case = models.OneToOneField(Case, on_delete=models.PROTECT, primary_key=True, related_name="+")
    raised_at_event = models.CharField(_("raised at"), max_length=100, blank=True)
    description = models.TextField(_("the concern"))
    answer = models.TextField(_("answer"), blank=True)
    turned_into = models.ForeignKey(
        Case,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("turned into"),
    )

    objects = ConcernQuerySet.as_manager()

    class Meta:
        verbose_name = _("concern")
        verbose_name_plural = _("concerns")

    def __str__(self):
        return str(self.case)
