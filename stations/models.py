"""Rest stations for outdoor workers (户外劳动者服务站点 / 爱心驿站; DOMAIN.md Part 1 §6,
Part 3 §6): the registry with hours and amenities, anonymous check-ins kept as daily
counts, moderated feedback, and supply checks.

Nothing here identifies a visitor: check-ins are counters per station, day and group,
and feedback holds a rating and an optional comment only.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .querysets import FeedbackQuerySet, StationQuerySet


class Station(models.Model):
    """A station hosted by an organisation; its members (host staff) keep it."""

    community = models.ForeignKey(
        "portal.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    name = models.CharField(_("name"), max_length=200)
    host = models.ForeignKey(
        "portal.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("host organisation"),
    )
    address = models.CharField(_("address"), max_length=300)
    # WGS-84, as GPS gives it; coordinates typed from Chinese map apps (GCJ-02) are
    # converted on entry (see stations/geo.py).
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    open_24_hours = models.BooleanField(_("open 24 hours"), default=False)
    union_registration = models.CharField(
        _("trade-union registration number"), max_length=60, blank=True
    )
    star_level = models.PositiveSmallIntegerField(_("star level"), null=True, blank=True)
    # The "six haves" (六有): sign, premises, equipment, rules, staff, on the map.
    has_sign = models.BooleanField(_("has a sign"), default=False)
    has_premises = models.BooleanField(_("has premises"), default=False)
    has_equipment = models.BooleanField(_("has equipment"), default=False)
    has_rules = models.BooleanField(_("has rules"), default=False)
    has_staff = models.BooleanField(_("has staff"), default=False)
    on_map = models.BooleanField(_("is on the map"), default=False)
    host_phone = models.CharField(_("host's contact phone"), max_length=20, blank=True)
    closed_reason = models.CharField(
        _("temporarily closed because"),
        max_length=200,
        blank=True,
        help_text=_("Leave empty while the station is open as usual."),
    )
    closed_until = models.DateField(_("closed until"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = StationQuerySet.as_manager()

    class Meta:
        verbose_name = _("station")
        verbose_name_plural = _("stations")
        ordering = ["name", "pk"]
        indexes = [models.Index(fields=["community", "name"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(star_level__isnull=True) | Q(star_level__gte=1, star_level__lte=5),
                name="stations_star_level_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__gte=-90, latitude__lte=90, longitude__gte=-180, longitude__lte=180),
                name="stations_coordinates_in_range",
            ),
        ]

    def __str__(self):
        return self.name

    SIX_HAVES = ("has_sign", "has_premises", "has_equipment", "has_rules", "has_staff", "on_map")

    @property
    def six_haves_count(self) -> int:
        return sum(1 for field in self.SIX_HAVES if getattr(self, field))

    @property
    def temporarily_closed(self) -> bool:
        return bool(self.closed_reason)


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class OpeningHours(models.Model):
    """Hours on one weekday; `closes` earlier than `opens` runs past midnight into the
    next day."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        ordering = ["weekday", "opens"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(opens=models.F("closes")), name="stations_hours_not_empty"
            ),
        ]

    def __str__(self):
        return f"{self.station_id} {self.weekday} {self.opens}-{self.closes}"


class Amenity(models.TextChoices):
    WATER = "water", _("water dispenser")
    CHARGER = "charger", _("phone charger")
    UMBRELLA = "umbrella", _("umbrellas")
    FIRST_AID = "first_aid", _("first-aid kit")
    TOOLS = "tools", _("work tools")
    MICROWAVE = "microwave", _("microwave")
    TOILETRIES = "toiletries", _("toiletries")
    STUDY = "study", _("study corner")
    TOILET = "toilet", _("toilet")
    CLIMATE = "climate", _("heating or cooling")
    SEATS = "seats", _("seats")


class Condition(models.TextChoices):
    GOOD = "good", _("good")
    WORN = "worn", _("worn")
    BROKEN = "broken", _("broken")


class StationAmenity(models.Model):
    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="amenities")
    amenity = models.CharField(_("amenity"), max_length=20, choices=Amenity.choices)
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    condition = models.CharField(
        _("condition"), max_length=10, choices=Condition.choices, default=Condition.GOOD
    )
    in_stock = models.BooleanField(_("in stock"), default=True)
    last_checked = models.DateField(_("last checked"), null=True, blank=True)
    expires_on = models.DateField(
        _("expires on"), null=True, blank=True, help_text=_("For first-aid kits and the like.")
    )
    expiry_follow_up = models.ForeignKey(
        "portal.FollowUp", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("station amenity")
        verbose_name_plural = _("station amenities")
        ordering = ["amenity"]
        constraints = [
            models.UniqueConstraint(fields=["station", "amenity"], name="stations_amenity_once")
        ]
        indexes = [models.Index(fields=["amenity", "in_stock"])]

    def __str__(self):
        return f"{self.station_id}: {self.amenity}"


class WorkerGroup(models.TextChoices):
    RIDER = "rider", _("delivery rider")
    COURIER = "courier", _("courier")
    TAXI = "taxi", _("taxi driver")
    SANITATION = "sanitation", _("sanitation worker")
    TRAFFIC_POLICE = "traffic_police", _("traffic police")
    OTHER = "other", _("other")


class CheckInCount(models.Model):
    """How many workers of a group checked in at a station on a day (counts only)."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="check_ins")
    day = models.DateField(_("day"))
    group = models.CharField(_("group"), max_length=20, choices=WorkerGroup.choices)
    count = models.PositiveIntegerField(_("check-ins"), default=0)

    class Meta:
        verbose_name = _("check-in count")
        verbose_name_plural = _("check-in counts")
        constraints = [
            models.UniqueConstraint(
                fields=["station", "day", "group"], name="stations_one_count_per_day_group"
            )
        ]
        indexes = [models.Index(fields=["day"])]

    def __str__(self):
        return f"{self.station_id} {self.day} {self.group}: {self.count}"


class Feedback(models.Model):
    """A visitor's rating and optional comment; public only once staff approve it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("awaiting moderation")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="feedback")
    rating = models.PositiveSmallIntegerField(_("rating"))
    comment = models.TextField(_("comment"), blank=True, max_length=500)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    created_at = models.DateTimeField(_("left at"), default=timezone.now)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    moderated_at = models.DateTimeField(_("moderated at"), null=True, blank=True)

    objects = FeedbackQuerySet.as_manager()

    class Meta:
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        ordering = ["-created_at", "pk"]
        indexes = [models.Index(fields=["station", "status", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=1, rating__lte=5), name="stations_rating_1_to_5"
            )
        ]

    def __str__(self):
        return f"{self.station_id}: {self.rating}"


class SupplyCheck(models.Model):
    """Host staff went through the amenities: `lines` records what they found
    ([{"amenity", "condition", "in_stock", "quantity"}]); the amenities are updated."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="supply_checks")
    checked_on = models.DateField(_("checked on"))
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    lines = models.JSONField(default=list)
    note = models.CharField(_("note"), max_length=300, blank=True)
    next_check_follow_up = models.ForeignKey(
        "portal.FollowUp", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("supply check")
        verbose_name_plural = _("supply checks")
        ordering = ["-checked_on", "-pk"]

    def __str__(self):
        return f"{self.station_id} {self.checked_on}"
