"""The eldercare dashboard tiles: home adaptations by stage, completed households and
their investment, overdue acceptance; care institutions with medical agreements;
family-doctor teams and visits; meal points and meals served.

Every figure is an aggregate over the rows the user may see under the area: six
queries whatever the number of rows. Aggregates only: no tile names a person.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, DecimalField, F, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.breakdowns import by_area_prefix, combine, per_month
from portal.registry import Tile
from portal.workdays import local_day

from .models import (
    COMPLETED,
    MEAL_TYPES,
    Adaptation,
    AdaptationStage,
    CareAgreement,
    DoctorContract,
    DoctorTeam,
    DoctorVisit,
    Facility,
    ServiceLog,
)

ZERO = Decimal("0.00")
MONEY = DecimalField(max_digits=14, decimal_places=2)
# Stages whose due date is the acceptance (works) or the payment after it (accepted).
AWAITING_ACCEPTANCE = (AdaptationStage.WORKS, AdaptationStage.ACCEPTED)


def _investment():
    return Coalesce(
        Sum(
            F("total_cost") + F("other_funding"), filter=Q(stage__in=COMPLETED), output_field=MONEY
        ),
        Value(ZERO),
        output_field=MONEY,
    )


def _overdue(now) -> Q:
    return Q(stage__in=AWAITING_ACCEPTANCE, case__closed_at__isnull=True, case__due_at__lt=now)


def _adaptation_figures(user, area, now) -> dict:
    adaptations = Adaptation.objects.visible_to(user).filter(
        case__community__path__startswith=area.path
    )
    return adaptations.aggregate(
        **{f"stage_{stage.value}": Count("pk", filter=Q(stage=stage)) for stage in AdaptationStage},
        completed=Count("pk", filter=Q(stage__in=COMPLETED)),
        investment=_investment(),
        overdue=Count("pk", filter=_overdue(now)),
    )


def tiles(*, user, area, start, end, now=None) -> list[Tile]:
    now = now or timezone.now()
    today = timezone.localdate(now)
    first_day, last_day = local_day(start), local_day(end)

    figures = _adaptation_figures(user, area, now)
    investment = Decimal(figures["investment"]).quantize(ZERO)
    completed = figures["completed"]
    average = (investment / completed).quantize(ZERO) if completed else "—"

    institutions = (
        CareAgreement.objects.visible_to(user)
        .filter(area__path__startswith=area.path, expires_on__gte=today, signed_on__lte=today)
        .aggregate(n=Count("care_institution", distinct=True))["n"]
    )
    teams = DoctorTeam.objects.visible_to(user).filter(area__path__startswith=area.path).count()
    contracts = DoctorContract.objects.visible_to(user).filter(
        person__community__path__startswith=area.path
    )
    visits = DoctorVisit.objects.filter(
        contract__in=contracts, visited_on__range=(first_day, last_day)
    ).count()
    facilities = Facility.objects.visible_to(user).filter(community__path__startswith=area.path)
    meal_points = facilities.filter(type__in=MEAL_TYPES, is_open=True).count()
    meals = ServiceLog.objects.filter(
        facility__in=facilities, date__range=(first_day, last_day)
    ).aggregate(
        n=Coalesce(Sum(F("meals_dine_in") + F("meals_delivered")), Value(0)),
    )["n"]

    return [
        *(
            Tile(
                gettext("Home adaptations: %(stage)s") % {"stage": stage.label},
                figures[f"stage_{stage.value}"],
                f"adaptations_{stage.value}",
            )
            for stage in AdaptationStage
        ),
        Tile(_("Households with completed home adaptations"), completed, "completed_households"),
        Tile(_("Investment in completed home adaptations (yuan)"), investment, "investment"),
        Tile(_("Average investment per completed household (yuan)"), average, "average_cost"),
        Tile(
            _("Home adaptations overdue for acceptance or payment"),
            figures["overdue"],
            "overdue_acceptance",
        ),
        Tile(
            _("Care institutions with a medical agreement in force"),
            institutions,
            "institutions_with_agreements",
        ),
        Tile(_("Family-doctor teams"), teams, "doctor_teams"),
        Tile(_("Family-doctor visits in the period"), visits, "doctor_visits"),
        Tile(_("Meal points and elderly canteens in service"), meal_points, "meal_points"),
        Tile(_("Meals served in the period (eaten in and delivered)"), meals, "meals_served"),
    ]


FIGURES = (
    ("completed_households", _("Households with completed home adaptations")),
    ("investment", _("Investment in completed home adaptations (yuan)")),
    ("overdue_acceptance", _("Home adaptations overdue for acceptance or payment")),
    ("meal_points", _("Meal points and elderly canteens in service")),
)


def by_area(*, user, areas, start, end, now=None) -> dict[int, dict]:
    """Completed households, their investment, overdue acceptance and meal points, as
    `tiles` counts them, for each of `areas` in two queries."""
    now = now or timezone.now()
    adaptations = by_area_prefix(
        Adaptation.objects.visible_to(user),
        "case__community__path",
        areas,
        completed_households=Count("pk", filter=Q(stage__in=COMPLETED)),
        investment=_investment(),
        overdue_acceptance=Count("pk", filter=_overdue(now)),
    )
    for figures in adaptations.values():
        figures["investment"] = Decimal(figures["investment"]).quantize(ZERO)
    meal_points = by_area_prefix(
        Facility.objects.visible_to(user).filter(type__in=MEAL_TYPES, is_open=True),
        "community__path",
        areas,
        meal_points=Count("pk"),
    )
    return combine(adaptations, meal_points)


def trend(*, user, area, start, end) -> list[tuple[str, dict]]:
    """Home adaptations accepted (completed) per month of the period, in one query."""
    completed = Adaptation.objects.visible_to(user).filter(
        case__community__path__startswith=area.path,
        stage__in=COMPLETED,
        accepted_on__range=(local_day(start), local_day(end)),
    )
    return per_month(
        completed, "accepted_on", start=start, end=end, completed_households=Count("pk")
    )


__all__ = ["FIGURES", "by_area", "tiles", "trend"]
