"""The eldercare exports: scope as the lists, names masked, sensitive facts never out."""

import re
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from eldercare import demo, exports
from eldercare.models import (
    Adaptation,
    AdaptationStage,
    Errand,
    ErrandGroup,
    ErrandService,
    ErrandStatus,
    Facility,
    FacilityType,
)
from housing.models import Person
from portal.registry import registry
from portal.services.cases import case_open
from portal.services.exports import export_queryset, export_rows
from tests.eldercare.test_eldercare_dashboards import adaptations_in

pytestmark = pytest.mark.django_db

Stage = AdaptationStage
PHONE = re.compile(r"1\d{10}")


def table(provider_name, user, params=None):
    provider = registry.export_providers[provider_name]
    rows = export_queryset(provider_name=provider_name, user=user, params=params or {})
    with translation.override("en"):
        return list(export_rows(provider=provider, queryset=rows))


def errand_in(world, community, status=ErrandStatus.REQUESTED, **fields):
    staff = world.users["own_staff" if community == "community_a" else "other_staff"]
    case = case_open(
        kind="eldercare.errand",
        actor=staff,
        community=world.areas[community],
        title="帮办代办",
        filer_name="周秀英",
        filer_phone="13800001234",
    )
    case.status = status
    case.save()
    return Errand.objects.create(
        case=case,
        group=ErrandGroup.WIDOWED,
        service=ErrandService.PENSION_CERTIFICATION,
        details="养老金资格认证",
        address="1号楼",
        **fields,
    )


def test_the_providers_are_registered_with_their_kinds():
    kinds = {
        name: registry.export_providers[name].kind
        for name in ("eldercare.adaptations", "eldercare.errands", "eldercare.facilities")
    }
    assert kinds == {
        "eldercare.adaptations": "eldercare.adaptation",
        "eldercare.errands": "eldercare.errand",
        "eldercare.facilities": "eldercare.facility",
    }


def test_the_adaptations_export_masks_the_elder_and_leaves_eligibility_out(world):
    adaptations_in(world.areas["community_a"], [(Stage.PAID, 10), (Stage.WORKS, 5)])
    adaptations_in(world.areas["community_b"], [(Stage.PAID, 10)], name="F")
    elder = Person.objects.filter(community=world.areas["community_a"]).order_by("pk").first()
    elder.phone = "13912345678"
    elder.save()
    paid = Adaptation.objects.get(elder=elder)

    found = table("eldercare.adaptations", world.users["own_staff"])

    assert found[0] == [
        "reference number",
        "community",
        "stage",
        "elder",
        "home",
        "total cost (yuan)",
        "subsidy (yuan)",
        "self-pay (yuan)",
        "other funding (yuan)",
        "contractor",
        "filed at",
        "due",
        "accepted on",
        "subsidy paid on",
    ]
    assert len(found) == 3  # community A's two
    row = next(r for r in found if r[0] == paid.case.reference)
    assert row[1:4] == ["Community A", "subsidy paid", elder.masked_name]
    assert row[5:9] == ["3400.00", "800.00", "2600.00", "100.00"]
    assert elder.name not in str(found) and "13912345678" not in str(found)
    assert "low-income" not in str(found) and "eligibility" not in str(found[0])


def test_an_official_exports_the_district_and_may_filter_by_stage(world):
    adaptations_in(world.areas["community_a"], [(Stage.PAID, 10), (Stage.WORKS, 5)])
    adaptations_in(world.areas["community_b"], [(Stage.PAID, 10)], name="F")
    official = world.users["official"]

    assert len(table("eldercare.adaptations", official)) == 4
    assert len(table("eldercare.adaptations", official, {"stage": "paid"})) == 3
    with pytest.raises(ValidationError):
        exports.adaptation_rows(official, {"stage": "finished"})


def test_residents_and_people_without_reach_export_nothing(world):
    adaptations_in(world.areas["community_a"], [(Stage.PAID, 10)])

    with pytest.raises(PermissionDenied):
        table("eldercare.adaptations", world.users["resident"])
    assert len(table("eldercare.adaptations", world.users["other_staff"])) == 1  # header only


def test_the_errands_export_never_names_the_circumstances_or_the_filer(world):
    errand = errand_in(world, "community_a", ErrandStatus.ASSIGNED)
    errand_in(world, "community_b")

    found = table("eldercare.errands", world.users["own_staff"])

    assert found[0] == [
        "reference number",
        "community",
        "service",
        "status",
        "filed at",
        "wanted by",
        "done at",
        "closed at",
    ]
    assert found[1][:4] == [
        errand.case.reference,
        "Community A",
        "pension certification",
        "volunteer assigned",
    ]
    assert len(found) == 2
    text = str(found)
    assert "widowed" not in text and "周秀英" not in text and not PHONE.search(text)
    assert len(table("eldercare.errands", world.users["official"], {"status": "requested"})) == 2
    with pytest.raises(ValidationError):
        exports.errand_rows(world.users["official"], {"service": "taxi"})


def test_the_facilities_export_lists_public_fields(world):
    Facility.objects.create(
        community=world.areas["community_a"],
        name="府东社区助餐点",
        type=FacilityType.MEAL_POINT,
        address="临街门面",
        origin="donated",
        donor=demo.DONOR,
        services=["meals", "mobility"],
        capacity=40,
        floor_area_m2=Decimal("68.00"),
        phone="13800005678",
    )

    found = table("eldercare.facilities", world.users["official"], {"type": "meal_point"})

    assert found[1][:8] == [
        "府东社区助餐点",
        "meal point (助餐点)",
        "Community A",
        "临街门面",
        "donated",
        demo.DONOR,
        "meals、mobility help",
        40,
    ]
    assert "13800005678" not in str(found)
    assert len(table("eldercare.facilities", world.users["official"], {"type": "canteen"})) == 1


def test_the_demo_exports_carry_no_unmasked_names_or_phones(demo_data):
    from django.contrib.auth import get_user_model

    staff = get_user_model().objects.get(username="staff.fengyang")
    found = table("eldercare.adaptations", staff)
    assert len(found) == 774  # the header and every Fengyang household
    names = set(Adaptation.objects.values_list("elder__name", flat=True))
    text = str(found)
    assert not [name for name in names if name in text]
    assert not PHONE.search(text)

    secretary = get_user_model().objects.get(username="secretary.tuanjie")
    errands = str(table("eldercare.errands", secretary))
    filers = {e.case.filer_name for e in Errand.objects.select_related("case")} - {""}
    assert filers and not [name for name in filers if name in errands]
    assert not PHONE.search(errands)
