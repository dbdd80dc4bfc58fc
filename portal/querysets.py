"""Reads of the core models, each starting from what the user may see."""

from django.db.models import Q
from treebeard.mp_tree import MP_NodeManager, MP_NodeQuerySet

from .roles import AreaLevel
from .scope import ACCOUNT, ScopedQuerySet, under_paths_q


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

    def in_areas(self, paths):
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
