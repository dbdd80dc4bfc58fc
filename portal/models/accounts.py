"""Core models: users, the area tree, organisations and memberships (who may see what)."""

import re

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.lookups import StartsWith
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from treebeard.mp_tree import MP_Node

from ..personal import mask_phone, normalise_phone, validate_mobile
from ..querysets import AreaManager, MembershipQuerySet, OrganisationQuerySet, UserQuerySet
from ..roles import AreaLevel, OrganisationType, Programme, Role


class PortalUserManager(UserManager.from_queryset(UserQuerySet)):
    pass


class User(AbstractUser):
    """A login: staff, resident or official. What it may see comes from memberships."""

    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    phone = models.CharField(
        _("mobile phone"),
        max_length=11,
        blank=True,
        validators=[validate_mobile],
        help_text=_("Mainland mobile number, 11 digits."),
    )
    must_change_password = models.BooleanField(
        _("must change password"),
        default=False,
        help_text=_("Set for accounts with a printed one-time password."),
    )
    # "Log out other sessions": sessions that logged in before this moment are ended.
    sessions_valid_after = models.DateTimeField(null=True, blank=True, editable=False)

    objects = PortalUserManager()

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(
                fields=["phone"], condition=~Q(phone=""), name="portal_user_phone_unique"
            ),
        ]

    def __str__(self):
        return self.display_name or self.get_username()

    def clean(self):
        super().clean()
        self.phone = normalise_phone(self.phone)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)


# A tree path is digits and capitals (treebeard's alphabet), four per level.
TREE_PATH = re.compile(r"[0-9A-Z]+")


class SubtreeStartsWith(StartsWith):
    """`path__startswith` on areas, with the prefix written into the SQL as a literal
    rather than sent as a parameter. Every scoped query filters by area subtree, and
    PostgreSQL reuses a prepared statement's generic plan, which knows nothing of a
    parameter's value: with `LIKE $1` it guesses that a handful of areas match, and a
    city-wide page then walks every community (300 ms instead of 0.4 ms). With the
    literal it plans for the subtree asked for. Anything but a plain path (an
    expression, a value outside the alphabet) is a parameter as usual."""

    def process_rhs(self, qn, connection):
        if isinstance(self.rhs, str) and TREE_PATH.fullmatch(self.rhs):
            # "%%" is the driver's escape for a literal "%".
            return f"'{self.rhs}%%'", []
        return super().process_rhs(qn, connection)


class Area(MP_Node):
    """A node of the administrative tree: province down to grid."""

    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=20, choices=AreaLevel.choices)
    code = models.CharField(
        _("statistical code"),
        max_length=12,
        blank=True,
        validators=[RegexValidator(r"^\d{12}$", _("A statistical code has 12 digits."))],
    )
    is_placeholder = models.BooleanField(
        _("placeholder"),
        default=False,
        help_text=_("The source names no such unit; this stands in for it."),
    )

    node_order_by = ["name"]
    objects = AreaManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        indexes = [models.Index(fields=["level"])]

    def __str__(self):
        return self.name


Area._meta.get_field("path").register_lookup(SubtreeStartsWith)


class Organisation(models.Model):
    """A body attached to an area: committee, police station, property company, …"""

    name = models.CharField(_("name"), max_length=200)
    type = models.CharField(_("type"), max_length=30, choices=OrganisationType.choices)
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="organisations", verbose_name=_("area")
    )
    is_placeholder = models.BooleanField(_("placeholder"), default=False)

    objects = OrganisationQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Membership(models.Model):
    """A user's role at an area or an organisation: the only source of reach."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    area = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("area"),
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("organisation"),
    )
    programme = models.CharField(
        _("programme"), max_length=20, choices=Programme.choices, blank=True
    )
    granted_by = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("granted by"),
    )
    created_at = models.DateTimeField(_("granted at"), auto_now_add=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    objects = MembershipQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "ended_at"])]
        constraints = [
            # An organisation member belongs to an organisation; every other role to an area.
            models.CheckConstraint(
                condition=(
                    Q(role=Role.ORGANISATION_MEMBER, organisation__isnull=False, area__isnull=True)
                    | (
                        ~Q(role=Role.ORGANISATION_MEMBER)
                        & Q(area__isnull=False, organisation__isnull=True)
                    )
                ),
                name="portal_membership_area_xor_organisation",
            ),
            # Only a programme officer works a programme, and it always names one.
            models.CheckConstraint(
                condition=(
                    Q(role=Role.PROGRAMME_OFFICER) & ~Q(programme="")
                    | ~Q(role=Role.PROGRAMME_OFFICER) & Q(programme="")
                ),
                name="portal_membership_programme_iff_officer",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "area", "programme"],
                condition=Q(ended_at__isnull=True, area__isnull=False),
                name="portal_membership_active_area_unique",
            ),
            models.UniqueConstraint(
                fields=["user", "organisation"],
                condition=Q(ended_at__isnull=True, organisation__isnull=False),
                name="portal_membership_active_organisation_unique",
            ),
        ]

    def __str__(self):
        where = self.organisation or self.area
        return f"{self.user} · {self.get_role_display()} · {where}"

    @property
    def is_active(self) -> bool:
        return self.ended_at is None
