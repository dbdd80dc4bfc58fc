"""Inspection sites: registering and editing them, and the choices their forms offer.

A site's responsible unit is a government department or a subdistrict office whose area
holds the site's area or lies inside it: the unit answers for what is found there.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from portal.errors import field_error
from portal.models import Area, Organisation
from portal.roles import Action, AreaLevel, OrganisationType
from portal.scope import may_at, member_of, near_paths_q, reach, under_paths_q

from ..models import Site, SiteType

KIND = "civility.site"

RESPONSIBLE_UNIT_TYPES = (OrganisationType.DEPARTMENT, OrganisationType.SUBDISTRICT_OFFICE)
SITE_LEVELS = (
    AreaLevel.CITY,
    AreaLevel.DISTRICT,
    AreaLevel.SUBDISTRICT,
    AreaLevel.COMMUNITY,
    AreaLevel.GRID,
)
SITE_FIELDS = ("type", "name", "address", "responsible_unit")


def may_create_somewhere(user) -> bool:
    """Could the user register a site at some area (officers, community staff)?"""
    r = reach(user, KIND, Action.CREATE)
    return r.everything or bool(r.area_paths)


def may_list(user) -> bool:
    """Area staff, officers and officials, and the members of responsible units."""
    r = reach(user, KIND, Action.VIEW)
    return r.everything or bool(r.area_paths or r.organisation_ids)


def in_nav(user) -> bool:
    """Decided from the memberships already loaded, so the navigation costs no query:
    area roles that reach sites, and members of departments and subdistrict offices."""
    r = reach(user, KIND, Action.VIEW)
    if r.everything or r.area_paths:
        return True
    return member_of(user, RESPONSIBLE_UNIT_TYPES)


def may_manage(user, site: Site) -> bool:
    """Area staff and officers edit a site; a responsible unit only sees it."""
    return may_at(user, Action.CHANGE, KIND, site.area)


def site_areas(user):
    """The areas where `user` may register (or move) a site."""
    r = reach(user, KIND, Action.CREATE)
    areas = Area.objects.filter(level__in=SITE_LEVELS).order_by("path")
    return areas if r.everything else areas.filter(under_paths_q(r.area_paths))


def responsible_units(user):
    """Departments and subdistrict offices in or above the areas the user works in."""
    r = reach(user, KIND, Action.CREATE)
    units = Organisation.objects.filter(type__in=RESPONSIBLE_UNIT_TYPES)
    if r.everything:
        return units.order_by("name")
    return units.filter(near_paths_q(r.area_paths, "area__path")).order_by("name")


def _unit_serves(unit: Organisation, area: Area) -> bool:
    own, path = unit.area.path, area.path
    return own.startswith(path) or path.startswith(own)


def _clean(fields: dict, area: Area) -> dict:
    unknown = set(fields) - set(SITE_FIELDS)
    if unknown:
        raise TypeError(f"unknown site fields: {sorted(unknown)}")
    fields = dict(fields)
    errors = {}
    for name in ("name", "address"):
        fields[name] = (fields.get(name) or "").strip()
    if not fields["name"]:
        errors["name"] = ValidationError(_("Give the site a name."), code="required")
    if not fields["address"]:
        errors["address"] = ValidationError(_("Give the site's address."), code="required")
    if fields.get("type") not in SiteType.values:
        errors["type"] = ValidationError(_("Choose a type of site."), code="invalid_type")
    unit = fields.get("responsible_unit")
    if unit is None:
        errors["responsible_unit"] = ValidationError(
            _("Choose the responsible unit."), code="required"
        )
    elif unit.type not in RESPONSIBLE_UNIT_TYPES:
        errors["responsible_unit"] = ValidationError(
            _("The responsible unit must be a government department or a subdistrict office."),
            code="unit_type",
        )
    elif not _unit_serves(unit, area):
        errors["responsible_unit"] = ValidationError(
            _("The responsible unit must belong to the site's area or an area above it."),
            code="unit_outside",
        )
    if errors:
        raise ValidationError(errors)
    return fields


@transaction.atomic
def site_create(*, actor, area: Area, **fields) -> Site:
    """Register an inspection site in an area the actor may create sites in."""
    if area is None or not may_at(actor, Action.CREATE, KIND, area):
        raise PermissionDenied
    fields = _clean(fields, area)
    return Site.objects.create(area=area, **fields)


@transaction.atomic
def site_update(*, actor, site: Site, area: Area, **fields) -> Site:
    """Edit a site; moving it needs the right to create at the new area, so an edit
    never puts a site out of the editor's reach."""
    site = Site.objects.select_for_update().select_related("area").get(pk=site.pk)
    if not may_manage(actor, site):
        raise PermissionDenied
    if area is None:
        raise field_error("area", _("Choose the area."), "required")
    if area.pk != site.area_id and not may_at(actor, Action.CREATE, KIND, area):
        raise field_error("area", _("You may not move the site to this area."), "outside_scope")
    fields = _clean(fields, area)
    changed = [
        name for name, value in {"area": area, **fields}.items() if getattr(site, name) != value
    ]
    if not changed:
        return site
    for name in changed:
        setattr(site, name, area if name == "area" else fields[name])
    site.save(update_fields=changed)
    return site
