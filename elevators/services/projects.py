"""Starting and describing elevator projects; stages, consent and costs have their own."""

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from housing.models import Household, Person, Relation, Residence, Unit
from housing.services.registry import is_verified_owner
from portal.roles import Action
from portal.scope import can, may_at
from portal.services.cases import case_open

from ..models import Project, Stage


def owned_units(user):
    """The units where the user is a verified owner of a household."""
    households = [
        h
        for h in Household.objects.bound_to(user).select_related("unit")
        if is_verified_owner(user, h)
    ]
    return Unit.objects.filter(pk__in={h.unit_id for h in households})


def _initiator(user, unit: Unit) -> Person | None:
    residence = (
        Residence.objects.filter(
            person__user=user,
            household__unit=unit,
            relation__in=[Relation.OWNER, Relation.CO_OWNER],
        )
        .select_related("person")
        .first()
    )
    return residence.person if residence else None


@transaction.atomic
def project_start(
    *,
    actor,
    unit: Unit,
    implementing_body: str = "",
    total_cost: Decimal | None = None,
    subsidy: Decimal = Decimal(0),
    now=None,
) -> Project:
    """An intent for a unit: a verified owner becomes its initiator (牵头人); staff of the
    community may also open one. One live project per unit."""
    community = unit.building.estate.community
    as_owner = owned_units(actor).filter(pk=unit.pk).exists()
    if not as_owner and not may_at(actor, Action.CREATE, "elevators.project", community):
        raise PermissionDenied
    if subsidy is not None and subsidy < 0 or total_cost is not None and total_cost < 0:
        raise ValidationError(_("Amounts cannot be negative."), code="negative")
    if total_cost is not None and subsidy and subsidy > total_cost:
        raise ValidationError(
            {"subsidy": _("The subsidy cannot exceed the total cost.")}, code="subsidy"
        )
    if Project.objects.filter(unit=unit).exclude(stage=Stage.CANCELLED).exists():
        raise ValidationError(_("This unit already has an elevator project."), code="exists")
    case = case_open(
        kind="elevators.project",
        actor=actor,
        community=community,
        grid=unit.building.grid or unit.building.estate.grid,
        title=_("%(unit)s: adding an elevator") % {"unit": unit},
        filed_by=actor if as_owner else None,
        filer_name=str(actor) if as_owner else "",
        now=now,
    )
    try:
        with transaction.atomic():
            return Project.objects.create(
                case=case,
                unit=unit,
                initiator=_initiator(actor, unit) if as_owner else None,
                implementing_body=implementing_body.strip(),
                total_cost=total_cost,
                subsidy=subsidy or Decimal(0),
            )
    except IntegrityError as error:  # a concurrent intent for the same unit
        raise ValidationError(
            _("This unit already has an elevator project."), code="exists"
        ) from error


@transaction.atomic
def project_update(
    *, actor, project: Project, implementing_body: str, total_cost: Decimal | None, subsidy: Decimal
) -> Project:
    """The implementing body and the money: by staff who may change the project."""
    if not can(actor, Action.CHANGE, project.case):
        raise PermissionDenied
    if subsidy < 0 or (total_cost is not None and total_cost < 0):
        raise ValidationError(_("Amounts cannot be negative."), code="negative")
    if total_cost is not None and subsidy > total_cost:
        raise ValidationError(
            {"subsidy": _("The subsidy cannot exceed the total cost.")}, code="subsidy"
        )
    project.implementing_body, project.total_cost, project.subsidy = (
        implementing_body.strip(),
        total_cost,
        subsidy,
    )
    project.save(update_fields=["implementing_body", "total_cost", "subsidy"])
    return project
