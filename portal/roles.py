"""The vocabularies of scope: roles, programmes, area levels, organisation types, actions."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    RESIDENT = "resident", _("resident")
    GRID_WORKER = "grid_worker", _("grid worker")
    COMMUNITY_STAFF = "community_staff", _("community staff")
    PARTY_SECRETARY = "party_secretary", _("party secretary")
    SUBDISTRICT_STAFF = "subdistrict_staff", _("subdistrict staff")
    PROGRAMME_OFFICER = "programme_officer", _("programme officer")
    OFFICIAL = "official", _("official")
    ORGANISATION_MEMBER = "organisation_member", _("organisation member")


class Programme(models.TextChoices):
    """A practice app; programme officers work exactly one."""

    HOUSING = "housing", _("Housing")
    DISPUTES = "disputes", _("Disputes")
    ELEVATORS = "elevators", _("Elevators")
    ELDERCARE = "eldercare", _("Eldercare")
    STATIONS = "stations", _("Stations")
    CIVILITY = "civility", _("Civility")


class AreaLevel(models.TextChoices):
    PROVINCE = "province", _("province")
    CITY = "city", _("city")
    DISTRICT = "district", _("district or county")
    SUBDISTRICT = "subdistrict", _("subdistrict or town")
    COMMUNITY = "community", _("community or village")
    GRID = "grid", _("grid")


class OrganisationType(models.TextChoices):
    COMMUNITY_COMMITTEE = "community_committee", _("community committee")
    SUBDISTRICT_OFFICE = "subdistrict_office", _("subdistrict office")
    POLICE_STATION = "police_station", _("police station")
    COURT = "court", _("court")
    JUDICIAL_OFFICE = "judicial_office", _("judicial office")
    PROPERTY_COMPANY = "property_company", _("property company")
    DEPARTMENT = "department", _("government department")
    CARE_INSTITUTION = "care_institution", _("care institution")
    MEDICAL_INSTITUTION = "medical_institution", _("medical institution")
    TRADE_UNION = "trade_union", _("trade union")
    VOLUNTEER_TEAM = "volunteer_team", _("volunteer team")
    CONTRACTOR = "contractor", _("contractor")
    RELIGIOUS_COMMUNITY = "religious_community", _("religious community")
    OTHER = "other", _("other")


class Action(models.TextChoices):
    VIEW = "view", _("view")
    CREATE = "create", _("create")
    CHANGE = "change", _("change")
    ASSIGN = "assign", _("assign")
    CLOSE = "close", _("close")
    EXPORT = "export", _("export")
    REVEAL = "reveal", _("reveal personal data")
