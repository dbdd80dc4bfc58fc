"""Reads of the core models, each starting from what the user may see."""

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import Q
from treebeard.mp_tree import MP_NodeManager, MP_NodeQuerySet

from .roles import Action, AreaLevel
from .scope import ACCOUNT, NOTHING, ScopedQuerySet, active_memberships, reach, under_paths_q


class AreaQuerySet(MP_NodeQuerySet):
    def under(self, area, include_self: bool = True):
        """Everything in `area`'s subtree: one indexed prefix match on the path."""
        q = self.filter(path__startswith=area.path)
        return q if include_self else q.exclude(pk=area.pk)

    def communities(self):
        return self.filter(level=AreaLevel.COMMUNITY)


class AreaManager(MP_NodeManager.from_queryset(AreaQuerySet)):
    def get_queryset(self):
        return AreaQuerySet(self.model, using=self._db).order_by("path")


class OrganisationQuerySet(ScopedQuerySet):
    scope_kind = "portal.organisation"
    area_field = "area"


class UserQuerySet(ScopedQuerySet):
    """Accounts: a user is in an area when one of its active memberships is."""

    scope_kind = ACCOUNT

    def in_areas(self, paths, grids=frozenset()):
        from .models import Membership

        members = Membership.objects.active().filter(
            under_paths_q(paths, "area__path") | under_paths_q(paths, "organisation__area__path")
        )
        return Q(pk__in=members.values("user_id"))

    def with_roles(self):
        from django.db.models import Prefetch

        from .models import Membership

        return self.prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.active().select_related("area", "organisation"),
                to_attr="active_memberships",
            )
        )


class MembershipQuerySet(ScopedQuerySet):
    scope_kind = ACCOUNT
    area_field = "area"

    def active(self):
        return self.filter(ended_at__isnull=True)


def related_only(path: str, model, keep) -> list[str]:
    """`defer()` arguments that load only `keep` (and the key) of the related row at
    `path`, for a select_related row a page shows by name: each column a query reads
    costs Django time to build and read, whether the page uses it or not. Fields added
    to the model later are deferred too; a page that reads one pays a query for it,
    which tests catch with the `no_lazy_fields` fixture."""
    return [
        f"{path}__{field.name}"
        for field in model._meta.concrete_fields
        if not field.primary_key and field.name not in keep
    ]


def one_to_one(row, name: str):
    """`row`'s reverse one-to-one record `name` (a dispute's agreement), or None if it has
    none. From what `select_related(name)` loaded, without a query; one query otherwise."""
    try:
        return getattr(row, name)
    except ObjectDoesNotExist:
        return None


def area_labels(areas) -> dict[int, str]:
    """`Qinghai › Xining › … › name` for each area, with one query for all ancestors."""
    from .models import Area

    areas = list(areas)
    prefixes = {
        a.path[:end] for a in areas for end in range(Area.steplen, len(a.path), Area.steplen)
    }
    names = dict(Area.objects.filter(path__in=prefixes).values_list("path", "name"))
    labels = {}
    for a in areas:
        chain = [
            names.get(a.path[:end], "") for end in range(Area.steplen, len(a.path), Area.steplen)
        ]
        # Province and city are implied by the district; keep the labels short.
        labels[a.pk] = (
            " › ".join([*chain[2:], a.name]) if len(chain) > 2 else " › ".join([*chain, a.name])
        )
    return labels


class CaseReach:
    """How case rows are reached, for `Case` itself (prefix "") or a kind's model ("case__")."""

    case_prefix = ""

    def in_areas(self, paths, grids=frozenset()):
        """Rows whose community, or grid where known, lies under `paths`: a grid worker
        reaches the cases of their grid.

        Joined on the area's path rather than `IN (areas under paths)`: for a district
        that subquery lists every area under it on every query (a thousand rows at scale
        100, even to open one case), while the join checks only the rows looked at."""
        p = self.case_prefix
        q = NOTHING
        for path in paths:
            # A community or any area above it holds its cases by their community.
            field = "grid" if path in grids else "community"
            q |= Q(**{f"{p}{field}__path__startswith": path})
        return q

    def assigned_to(self, user, organisation_ids):
        p = self.case_prefix
        return Q(**{f"{p}organisation_id__in": organisation_ids}) | Q(**{f"{p}handler": user})

    def owned_by(self, user):
        from .models import CaseParty

        p = self.case_prefix
        party_cases = CaseParty.objects.filter(user=user).values("case_id")
        return Q(**{f"{p}filed_by": user}) | Q(**{f"{p}pk__in": party_cases})


class CaseKindQuerySet(CaseReach, ScopedQuerySet):
    """Base queryset of an app's case model (the one with `case = OneToOneField(Case)`).

    Subclasses set `scope_kind`; scope follows the shared case row.
    """

    case_prefix = "case__"

    def open(self):
        return self.filter(case__closed_at__isnull=True)


class CaseQuerySet(CaseReach, models.QuerySet):
    """Cases of every kind at once: each kind's rows by that kind's reach, in one query."""

    def scope_kind_of(self, case) -> str:
        """A case answers to its own kind's permissions."""
        return case.kind

    def visible_to(self, user, action: str = Action.VIEW):
        from .registry import registry

        by_reach: dict = {}
        for kind in registry.case_kinds:
            r = reach(user, kind, action)
            if r.everything:
                return self.all()
            key = (
                frozenset(r.area_paths),
                frozenset(r.grid_paths),
                frozenset(r.organisation_ids),
                r.own,
            )
            by_reach.setdefault(key, []).append(kind)
        q = NOTHING
        for (paths, grids, organisation_ids, own), kinds in by_reach.items():
            kind_q = NOTHING
            if paths:
                kind_q |= self.in_areas(paths, grids)
            if organisation_ids:
                kind_q |= self.assigned_to(user, organisation_ids)
            if own:
                kind_q |= self.owned_by(user)
            if kind_q != NOTHING:
                q |= Q(kind__in=kinds) & kind_q
        return self.filter(q)

    def open(self):
        return self.filter(closed_at__isnull=True)

    def overdue(self, *, now):
        return self.open().filter(due_at__lt=now)

    def needing_attention(self, *, now):
        """Open cases that carry a mark: overdue, escalated or under supervision."""
        return self.open().filter(
            Q(due_at__lt=now) | Q(escalated_at__isnull=False) | Q(supervised_at__isnull=False)
        )

    def filed_or_joined_by(self, user):
        return self.filter(self.owned_by(user))


class FollowUpQuerySet(models.QuerySet):
    def for_user(self, user):
        """Follow-ups for this user, or for a role the user holds at that area or organisation."""
        q = Q(assignee=user)
        for m in active_memberships(user):
            if m.area_id:
                q |= Q(assignee_role=m.role, assignee_area_id=m.area_id)
            if m.organisation_id:
                q |= Q(assignee_role=m.role, assignee_organisation_id=m.organisation_id)
        return self.filter(q)

    def due(self, *, now):
        return self.filter(state="scheduled", due_at__lte=now)

    def pending(self):
        return self.filter(state__in=["scheduled", "sent"])


def sees_internal(user, case) -> bool:
    """Does `user` reach the case as staff (area, organisation, superuser), not only as
    the resident who filed it or is a party? Only staff see internal notes and files."""
    r = reach(user, case.kind, Action.VIEW)
    if r.everything:
        return True
    if any(case.community.path.startswith(p) for p in r.area_paths):
        return True
    return bool(r.organisation_ids) and (
        case.organisation_id in r.organisation_ids or case.handler_id == user.pk
    )
