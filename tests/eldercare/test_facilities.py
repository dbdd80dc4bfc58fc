"""Care facilities, their daily service log and the public meal-point finder."""

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from eldercare.models import Facility, FacilityType, PremisesOrigin, ServiceLog
from eldercare.services.facilities import facility_create, facility_update, service_log_record
from housing.models import Person
from portal.models import Organisation
from portal.roles import OrganisationType, Programme
from tests.scope import build_world, check_scope

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2025, 6, 10, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture
def world(db):
    """The scope world with an eldercare programme officer, and the world's organisation
    a care operator whose members are a facility's staff."""
    w = build_world(Programme.ELDERCARE)
    w.organisation.type = OrganisationType.CARE_INSTITUTION
    w.organisation.name = "凤阳县云味餐饮管理服务有限公司"
    w.organisation.save()
    return w


def make_facility(world, n=0, **fields):
    values = {
        "community": world.areas["community_a"],
        "name": f"府东社区助餐点 {n}",
        "type": FacilityType.MEAL_POINT,
        "address": f"府城镇府东街 {n} 号",
        "origin": PremisesOrigin.DONATED,
        "donor": "凤阳县云味餐饮管理服务有限公司",
        "services": ["meals", "mobility", "day_care", "education"],
        "capacity": 40,
        "floor_area_m2": Decimal("60.00"),
        "opening_hours": "周一至周六 11:00–13:00",
        "phone": "0550-5123456",
        "operator": world.organisation,
        **fields,
    }
    return Facility.objects.create(**values)


# --- services -------------------------------------------------------------------


def test_staff_register_a_donated_meal_point_naming_the_donor(world):
    facility = facility_create(
        actor=world.users["own_staff"],
        community=world.areas["community_a"],
        name=" 府东社区助餐点 ",
        type=FacilityType.MEAL_POINT,
        address="府东街 1 号",
        origin=PremisesOrigin.DONATED,
        donor="凤阳县云味餐饮管理服务有限公司",
        services=["meals", "meals", "day_care"],
        capacity=30,
        floor_area_m2=Decimal("45.5"),
        ground_floor=True,
        phone="0550 5123456",
        operator=world.organisation,
    )

    assert facility.name == "府东社区助餐点"
    assert facility.services == ["meals", "day_care"]
    assert facility.phone == "05505123456"


def test_donated_premises_need_a_donor(world):
    with pytest.raises(ValidationError) as error:
        facility_create(
            actor=world.users["programme_officer"],
            community=world.areas["community_a"],
            name="Meal point",
            type=FacilityType.MEAL_POINT,
            address="x",
            origin=PremisesOrigin.DONATED,
            donor=" ",
        )

    assert error.value.error_dict["donor"][0].code == "donor_required"


def test_a_donor_is_dropped_when_the_premises_are_not_donated(world):
    facility = facility_create(
        actor=world.users["programme_officer"],
        community=world.areas["community_a"],
        name="Day care",
        type=FacilityType.DAY_CARE,
        address="x",
        origin=PremisesOrigin.IDLE_SCHOOL,
        donor="somebody",
    )

    assert facility.donor == ""


@pytest.mark.parametrize("persona", ["other_staff", "official", "org_member", "resident"])
def test_only_staff_of_the_community_and_officers_register_facilities(world, persona):
    with pytest.raises(PermissionDenied):
        facility_create(
            actor=world.users[persona],
            community=world.areas["community_a"],
            name="x",
            type=FacilityType.CANTEEN,
            address="x",
            origin=PremisesOrigin.NEW,
        )


def test_the_operator_keeps_the_log_but_does_not_edit_the_facility(world):
    facility = make_facility(world)

    with pytest.raises(PermissionDenied):
        facility_update(
            actor=world.users["org_member"],
            facility=facility,
            community=facility.community,
            name="renamed",
            type=facility.type,
            address=facility.address,
            origin=PremisesOrigin.NEW,
        )
    log, created = service_log_record(
        actor=world.users["org_member"],
        facility=facility,
        date=NOW.date(),
        meals_dine_in=5,
        now=NOW,
    )
    assert created and log.recorded_by == world.users["org_member"]


def test_an_edit_cannot_move_a_facility_out_of_the_editors_reach(world):
    facility = make_facility(world)

    with pytest.raises(ValidationError) as error:
        facility_update(
            actor=world.users["own_staff"],
            facility=facility,
            community=world.areas["community_b"],
            name=facility.name,
            type=facility.type,
            address=facility.address,
            origin=PremisesOrigin.NEW,
        )
    assert error.value.error_dict["community"][0].code == "outside_scope"


def test_recording_the_same_day_again_updates_that_day(world):
    facility = make_facility(world)
    staff = world.users["own_staff"]

    _log, created = service_log_record(
        actor=staff,
        facility=facility,
        date=NOW.date(),
        meals_dine_in=20,
        meals_delivered=6,
        now=NOW,
    )
    log, created_again = service_log_record(
        actor=staff,
        facility=facility,
        date=NOW.date(),
        meals_dine_in=22,
        meals_delivered=6,
        now=NOW,
    )

    assert created and not created_again
    assert ServiceLog.objects.get() == log and log.meals_dine_in == 22


def test_a_log_for_tomorrow_is_refused(world):
    with pytest.raises(ValidationError) as error:
        service_log_record(
            actor=world.users["own_staff"],
            facility=make_facility(world),
            date=NOW.date() + timedelta(days=1),
            now=NOW,
        )
    assert error.value.error_dict["date"][0].code == "future"


@pytest.mark.parametrize("persona", ["official", "other_staff", "resident"])
def test_viewers_and_outsiders_do_not_log(world, persona):
    with pytest.raises(PermissionDenied):
        service_log_record(
            actor=world.users[persona], facility=make_facility(world), date=NOW.date(), now=NOW
        )


# --- pages ----------------------------------------------------------------------


def test_scope_of_the_facility_pages(client, world):
    facility = make_facility(world)
    check_scope(
        client,
        world,
        reverse("eldercare:facility_list"),
        {
            "anonymous": 302,
            "resident": 403,
            "other_staff": 200,
            "own_staff": 200,
            "programme_officer": 200,
            "official": 200,
            "org_member": 200,
        },
    )
    check_scope(
        client,
        world,
        reverse("eldercare:facility_detail", args=[facility.pk]),
        {
            "anonymous": 302,
            "resident": 404,
            "other_staff": 404,
            "own_staff": 200,
            "programme_officer": 200,
            "official": 200,
            "org_member": 200,
        },
    )
    check_scope(
        client,
        world,
        reverse("eldercare:facility_edit", args=[facility.pk]),
        {
            "anonymous": 302,
            "resident": 404,
            "other_staff": 404,
            "own_staff": 200,
            "programme_officer": 200,
            "official": 403,
            "org_member": 403,
        },
    )
    check_scope(
        client,
        world,
        reverse("eldercare:facility_create"),
        {
            "anonymous": 302,
            "resident": 403,
            "other_staff": 200,
            "own_staff": 200,
            "programme_officer": 200,
            "official": 403,
            "org_member": 403,
        },
    )


def test_scope_of_the_log_post(client, world):
    facility = make_facility(world)
    today = timezone.localdate().isoformat()
    check_scope(
        client,
        world,
        reverse("eldercare:facility_log", args=[facility.pk]),
        {
            "anonymous": 302,
            "resident": 404,
            "other_staff": 404,
            "own_staff": 302,
            "programme_officer": 302,
            "official": 403,
            "org_member": 302,
        },
        method="post",
        data={
            "date": today,
            "meals_dine_in": "3",
            "meals_delivered": "1",
            "day_care": "0",
            "classes": "0",
        },
    )
    assert ServiceLog.objects.get().meals_dine_in == 3


def test_a_housing_officer_sees_no_facilities(client, db):
    w = build_world(Programme.HOUSING)
    facility = make_facility(w)
    client.force_login(w.users["programme_officer"])

    assert client.get(reverse("eldercare:facility_list")).status_code == 403
    assert client.get(reverse("eldercare:facility_detail", args=[facility.pk])).status_code == 404


def test_the_quick_log_defaults_to_today_and_keeps_bad_input(client, world):
    facility = make_facility(world)
    client.force_login(world.users["org_member"])

    page = client.get(reverse("eldercare:facility_detail", args=[facility.pk]))
    assert page.context["log_form"]["date"].value() == timezone.localdate()

    response = client.post(
        reverse("eldercare:facility_log", args=[facility.pk]),
        {"date": "yesterday", "meals_dine_in": "-4", "meals_delivered": "x"},
    )
    assert response.status_code == 200
    form = response.context["log_form"]
    assert set(form.errors) >= {"date", "meals_dine_in", "meals_delivered"}
    assert 'value="-4"' in response.content.decode()
    assert not ServiceLog.objects.exists()


def test_the_facility_page_shows_recent_logs_and_totals(client, world):
    facility = make_facility(world)
    today = timezone.localdate()
    for days_ago, meals in [(0, 10), (1, 20), (40, 100)]:
        ServiceLog.objects.create(
            facility=facility, date=today - timedelta(days=days_ago), meals_dine_in=meals
        )
    client.force_login(world.users["own_staff"])

    response = client.get(reverse("eldercare:facility_detail", args=[facility.pk]))

    assert response.context["recent_totals"]["meals_dine_in"] == 30
    assert response.context["all_totals"]["meals_dine_in"] == 130
    assert len(response.context["recent_logs"]) == 2


def test_staff_register_a_facility_from_the_page(client, world):
    client.force_login(world.users["programme_officer"])
    data = {
        "community": world.areas["community_a"].pk,
        "name": "府东社区助餐点",
        "type": "meal_point",
        "address": "府东街 1 号",
        "origin": "donated",
        "donor": "",
        "services": ["meals", "education"],
        "capacity": "30",
        "floor_area_m2": "45",
        "ground_floor": "on",
        "phone": "12",
        "operator": world.organisation.pk,
        "is_open": "on",
    }

    response = client.post(reverse("eldercare:facility_create"), data)
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"donor", "phone"}
    assert "府东社区助餐点" in response.content.decode()

    data.update(donor="凤阳县云味餐饮管理服务有限公司", phone="0550-5123456")
    response = client.post(reverse("eldercare:facility_create"), data)
    facility = Facility.objects.get()
    assert response["Location"] == reverse("eldercare:facility_detail", args=[facility.pk])
    assert facility.services == ["meals", "education"]


def test_the_list_filters_by_type_and_community(client, world):
    make_facility(world, 1)
    make_facility(world, 2, type=FacilityType.DAY_CARE)
    make_facility(world, 3, community=world.areas["community_b"])
    client.force_login(world.users["programme_officer"])

    by_type = client.get(reverse("eldercare:facility_list"), {"type": "day_care"})
    by_community = client.get(
        reverse("eldercare:facility_list"), {"community": world.areas["community_b"].pk}
    )

    assert [f.name for f in by_type.context["object_list"]] == ["府东社区助餐点 2"]
    assert [f.name for f in by_community.context["object_list"]] == ["府东社区助餐点 3"]


@pytest.mark.parametrize("facilities", [3, 30])
def test_the_facility_list_runs_a_fixed_number_of_queries(
    client, world, facilities, django_assert_max_num_queries
):
    for n in range(facilities):
        facility = make_facility(world, n)
        ServiceLog.objects.create(facility=facility, date=timezone.localdate(), meals_dine_in=n)
    client.force_login(world.users["programme_officer"])

    with django_assert_max_num_queries(12):
        response = client.get(reverse("eldercare:facility_list"))
    assert response.status_code == 200


@pytest.mark.parametrize("logs", [3, 30])
def test_the_facility_page_runs_a_fixed_number_of_queries(
    client, world, logs, django_assert_max_num_queries
):
    facility = make_facility(world)
    for n in range(logs):
        ServiceLog.objects.create(
            facility=facility,
            date=timezone.localdate() - timedelta(days=n),
            meals_dine_in=n,
            recorded_by=world.users["org_member"],
        )
    client.force_login(world.users["own_staff"])

    with django_assert_max_num_queries(16):
        response = client.get(reverse("eldercare:facility_detail", args=[facility.pk]))
    assert response.status_code == 200


# --- the public meal-point finder -------------------------------------------------


@pytest.fixture
def meal_points(world):
    """Two meal points in A, a canteen in B, a closed meal point and a day-care centre,
    and residents with names and phones who must never show."""
    open_a = make_facility(world, 1)
    make_facility(
        world, 2, name="老年食堂", type=FacilityType.CANTEEN, community=world.areas["community_b"]
    )
    make_facility(world, 3, name="已关闭助餐点", is_open=False)
    make_facility(world, 4, name="日间照料中心", type=FacilityType.DAY_CARE)
    Person.objects.create(
        community=world.areas["community_a"],
        name="王秀英",
        phone="13912345678",
        birth_date=date(1940, 5, 1),
    )
    ServiceLog.objects.create(facility=open_a, date=timezone.localdate(), meals_dine_in=12)
    return open_a


def test_the_finder_works_logged_out_and_lists_open_meal_places_only(client, meal_points):
    response = client.get(reverse("eldercare:meal_points"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "府东社区助餐点 1" in html and "老年食堂" in html
    assert "已关闭助餐点" not in html and "日间照料中心" not in html
    assert "周一至周六 11:00–13:00" in html and "0550-5123456" in html


def test_the_finder_shows_no_personal_data_and_no_external_links(client, world, meal_points):
    for persona in ("anonymous", "resident"):
        client.logout()
        if persona != "anonymous":
            client.force_login(world.users[persona])
        html = client.get(reverse("eldercare:meal_points")).content.decode()

        assert "王秀英" not in html and "13912345678" not in html
        for user in world.users.values():
            assert user.phone not in html
        hosts = {m.group(1) for m in re.finditer(r"https?://([^/\"'\s<>]+)", html)}
        assert hosts <= {"testserver"}, hosts


def test_the_finder_chooses_by_county_town_or_community(client, world, meal_points):
    response = client.get(reverse("eldercare:meal_points"))
    options = dict(response.context["form"].fields["area"].choices)
    for name in ("district", "subdistrict", "community_a", "community_b"):
        assert str(world.areas[name].pk) in options
    assert str(world.areas["city"].pk) not in options

    in_b = client.get(reverse("eldercare:meal_points"), {"area": world.areas["community_b"].pk})
    in_town = client.get(reverse("eldercare:meal_points"), {"area": world.areas["subdistrict"].pk})

    assert [f.name for f, _ in in_b.context["rows"]] == ["老年食堂"]
    assert len(in_town.context["rows"]) == 2


def test_the_finder_answers_a_bad_area_with_a_form_error(client, meal_points):
    response = client.get(reverse("eldercare:meal_points"), {"area": "<script>"})

    assert response.status_code == 200
    assert response.context["form"].errors["area"]


@pytest.mark.parametrize("points", [3, 30])
def test_the_finder_runs_a_fixed_number_of_queries(
    client, world, points, django_assert_max_num_queries
):
    for n in range(points):
        make_facility(world, n, community=world.areas["community_a" if n % 2 else "community_b"])

    with django_assert_max_num_queries(5):
        response = client.get(reverse("eldercare:meal_points"))
    assert response.status_code == 200
    client.force_login(world.users["resident"])
    with django_assert_max_num_queries(10):
        response = client.get(
            reverse("eldercare:meal_points"), {"area": world.areas["subdistrict"].pk}
        )
    assert response.status_code == 200


def test_an_operator_is_an_organisation_near_the_community(world):
    far = Organisation.objects.create(
        name="Elsewhere", type=OrganisationType.CARE_INSTITUTION, area=world.areas["community_b"]
    )
    with pytest.raises(ValidationError) as error:
        facility_create(
            actor=world.users["programme_officer"],
            community=world.areas["community_a"],
            name="x",
            type=FacilityType.CANTEEN,
            address="x",
            origin=PremisesOrigin.NEW,
            operator=far,
        )
    assert error.value.error_dict["operator"][0].code == "operator_outside"


def test_the_navigation_shows_facilities_to_staff_and_to_operating_organisations(world):
    from eldercare.views.facilities import in_nav
    from portal.scope import forget_memberships

    shown = {persona for persona, user in world.users.items() if in_nav(user)}
    assert shown == {"other_staff", "own_staff", "programme_officer", "official", "org_member"}

    # A volunteer team runs no facility: its members are not shown the list.
    world.organisation.type = OrganisationType.VOLUNTEER_TEAM
    world.organisation.save()
    forget_memberships(world.users["org_member"])
    assert not in_nav(world.users["org_member"])
