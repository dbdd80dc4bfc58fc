"""Reads of the housing registry, each restricted by `visible_to(user)`."""

from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from portal.querysets import CaseKindQuerySet
from portal.scope import ScopedQuerySet


def count_of(queryset, link: str):
    """COUNT of the rows of `queryset` whose `link` is the outer row, as a subquery: one
    query for a whole list, and no row multiplication as with several joined counts."""
    counted = (
        queryset.filter(**{link: OuterRef("pk")})
        .order_by()
        .values(link)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


class EstateQuerySet(ScopedQuerySet):
    scope_kind = "housing.estate"
    area_field = "community"

    def owned_by(self, user):
        from .models import Household

        return Q(pk__in=Household.objects.bound_to(user).values("unit__building__estate_id"))

    def assigned_to(self, user, organisation_ids):
        return Q(property_company_id__in=organisation_ids)

    def with_counts(self):
        """Buildings, households and open issues per estate, without a query per row."""
        from .models import Building, EstateIssue, Household

        return self.annotate(
            building_count=count_of(Building.objects.all(), "estate"),
            household_count=count_of(Household.objects.all(), "unit__building__estate"),
            open_issue_count=count_of(
                EstateIssue.objects.filter(case__closed_at__isnull=True), "estate"
            ),
        )


class HouseholdQuerySet(ScopedQuerySet):
    scope_kind = "housing.household"
    area_field = "unit__building__estate__community"

    def bound_to(self, user):
        """Households the user is verified for, or where their person record lives."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        from .models import HouseholdClaim, Residence

        # A union of the two small id lists: joined and OR-ed, the database read every
        # household and person (0.9 s at a million households, for a user with none).
        claimed = HouseholdClaim.objects.filter(user=user, state="approved")
        living = Residence.objects.filter(person__user=user)
        return self.filter(
            pk__in=claimed.order_by()
            .values("household_id")
            .union(living.order_by().values("household_id"))
        )

    def owned_by(self, user):
        return Q(pk__in=type(self)(self.model).bound_to(user).values("pk"))


class PersonQuerySet(ScopedQuerySet):
    scope_kind = "housing.person"
    area_field = "community"

    def owned_by(self, user):
        return Q(user=user)


class DeskVisitQuerySet(ScopedQuerySet):
    scope_kind = "housing.desk_visit"
    area_field = "estate__community"


class EstateIssueQuerySet(CaseKindQuerySet):
    scope_kind = "housing.issue"
