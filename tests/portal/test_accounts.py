"""Account administration, first login, throttling and deactivation, over real HTTP."""

import secrets

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from portal.models import Membership, User
from portal.roles import Role
from portal.services import accounts as services
from tests.factories import PASSWORD, UserFactory, member
from tests.scope import check_scope

pytestmark = pytest.mark.django_db

STAFF_ONLY = {
    "anonymous": 302,
    "resident": 403,
    "other_staff": 200,
    "own_staff": 200,
    "programme_officer": 403,
    "official": 403,
    "org_member": 403,
}


def own_community_only(success: int) -> dict:
    return {**STAFF_ONLY, "other_staff": 404, "own_staff": success}


def test_scope_of_the_account_list_and_the_create_page(client, world):
    check_scope(client, world, reverse("portal:account_list"), STAFF_ONLY)
    check_scope(client, world, reverse("portal:account_create"), STAFF_ONLY)


def test_scope_of_an_account_page(client, world):
    url = reverse("portal:account_detail", args=[world.users["resident"].pk])
    check_scope(client, world, url, own_community_only(200))


@pytest.mark.parametrize(
    ("name", "success"),
    [
        ("portal:account_reset_password", 200),
        ("portal:account_deactivate", 302),
        ("portal:account_reactivate", 302),
        ("portal:membership_grant", 200),
    ],
)
def test_scope_of_account_actions(client, world, name, success):
    url = reverse(name, args=[world.users["resident"].pk])
    check_scope(client, world, url, own_community_only(success), method="post")


def test_scope_of_ending_a_membership(client, world):
    resident = world.users["resident"]
    membership = resident.memberships.get()
    url = reverse("portal:membership_end", args=[resident.pk, membership.pk])

    check_scope(client, world, url, own_community_only(302), method="post")
    membership.refresh_from_db()
    assert membership.ended_at is not None


def test_scope_of_the_pages_everyone_has(client, world):
    everyone = dict.fromkeys(STAFF_ONLY, 200)
    check_scope(client, world, reverse("portal:home"), {**everyone, "anonymous": 302})
    check_scope(client, world, reverse("portal:my_account"), {**everyone, "anonymous": 302})
    check_scope(client, world, reverse("portal:register"), everyone)


def test_staff_create_a_resident_account_and_get_a_printable_slip(client, world):
    client.force_login(world.users["own_staff"])

    response = client.post(
        reverse("portal:account_create"),
        {
            "display_name": "李四",
            "phone": "138 0013 8000",
            "role": Role.RESIDENT,
            "area": world.areas["community_a"].pk,
        },
    )

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    password = response.context["password"]
    assert password in response.content.decode()
    account = User.objects.get(username="13800138000")
    assert account.phone == "13800138000" and account.must_change_password
    assert account.check_password(password)
    assert account.memberships.get().area == world.areas["community_a"]


def test_staff_cannot_create_accounts_outside_their_community_or_above_their_role(client, world):
    client.force_login(world.users["own_staff"])
    data = {"display_name": "X", "phone": "13800138001"}

    for role, area in [
        (Role.RESIDENT, "community_b"),
        (Role.COMMUNITY_STAFF, "community_a"),
        (Role.OFFICIAL, "district"),
    ]:
        response = client.post(
            reverse("portal:account_create"),
            {**data, "role": role, "area": world.areas[area].pk},
        )
        assert response.status_code == 200
        assert response.context["form"].errors, (role, area)
    assert not User.objects.filter(phone="13800138001").exists()


def test_a_taken_phone_number_is_a_form_error_that_keeps_the_input(client, world):
    client.force_login(world.users["own_staff"])
    taken = world.users["resident"].phone

    response = client.post(
        reverse("portal:account_create"),
        {
            "display_name": "王五",
            "phone": taken,
            "role": Role.RESIDENT,
            "area": world.areas["community_a"].pk,
        },
    )

    assert "phone" in response.context["form"].errors
    assert 'value="王五"' in response.content.decode()


def test_a_one_time_password_must_be_changed_at_first_login(client, world):
    account, password = services.account_create(
        actor=world.users["own_staff"],
        phone="13800138002",
        display_name="新居民",
        role=Role.RESIDENT,
        area=world.areas["community_a"],
    )

    response = client.post(reverse("login"), {"username": "13800138002", "password": password})
    assert client.get(reverse("portal:home")).url == reverse("password_change")
    assert client.get(reverse("portal:my_account")).url == reverse("password_change")

    response = client.post(
        reverse("password_change"),
        {
            "old_password": password,
            "new_password1": "a-new-long-pass-42",
            "new_password2": "a-new-long-pass-42",
        },
    )
    assert response.status_code == 302
    assert client.get(reverse("portal:home")).status_code == 200
    account.refresh_from_db()
    assert not account.must_change_password


def test_staff_reset_a_password_and_the_old_one_stops_working(client, world):
    client.force_login(world.users["own_staff"])
    resident = world.users["resident"]

    response = client.post(reverse("portal:account_reset_password", args=[resident.pk]))

    resident.refresh_from_db()
    assert resident.check_password(response.context["password"])
    assert not resident.check_password(PASSWORD)
    assert resident.must_change_password


def test_a_deactivated_users_session_ends_at_once(client, world):
    resident = world.users["resident"]
    client.force_login(resident)
    assert client.get(reverse("portal:home")).status_code == 200

    services.account_set_active(actor=world.users["own_staff"], account=resident, active=False)

    response = client.get(reverse("portal:home"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_granting_and_ending_roles_from_the_account_page(client, world):
    client.force_login(world.users["own_staff"])
    resident = world.users["resident"]

    response = client.post(
        reverse("portal:membership_grant", args=[resident.pk]),
        {"role": Role.GRID_WORKER, "area": world.areas["grid_a1"].pk},
    )
    assert response.status_code == 302
    grid_role = resident.memberships.get(role=Role.GRID_WORKER)

    response = client.post(
        reverse("portal:membership_grant", args=[resident.pk]),
        {"role": Role.GRID_WORKER, "area": world.areas["grid_a1"].pk},
    )
    assert response.status_code == 200 and response.context["form"].errors  # already held

    client.post(reverse("portal:membership_end", args=[resident.pk, grid_role.pk]))
    grid_role.refresh_from_db()
    assert grid_role.ended_at is not None
    assert grid_role.history.count() == 2  # granted, ended: who and when are kept


def test_the_account_list_masks_phone_numbers(client, world):
    client.force_login(world.users["own_staff"])
    phone = world.users["resident"].phone

    html = client.get(reverse("portal:account_list")).content.decode()

    assert phone not in html
    assert f"{phone[:3]}****{phone[-4:]}" in html


def test_the_account_list_filters_by_name_phone_and_role(client, world):
    client.force_login(world.users["own_staff"])
    url = reverse("portal:account_list")

    by_role = client.get(url, {"role": Role.RESIDENT}).context["object_list"]
    by_phone = client.get(url, {"q": world.users["resident"].phone[-6:]}).context["object_list"]

    assert [u.username for u in by_role] == ["resident"]
    assert [u.username for u in by_phone] == ["resident"]


@pytest.mark.parametrize("rows", [5, 40])
def test_the_account_list_runs_a_fixed_number_of_queries(
    client, world, rows, django_assert_max_num_queries
):
    staff = world.users["own_staff"]
    for _ in range(rows):
        member(UserFactory(), Role.RESIDENT, area=world.areas["community_a"])
    client.force_login(staff)

    with django_assert_max_num_queries(8):
        response = client.get(reverse("portal:account_list"))
    assert response.status_code == 200


def test_residents_register_themselves_and_see_only_their_own(client, world):
    response = client.post(
        reverse("portal:register"),
        REMOTE_ADDR="10.1.0.1",
        data={
            "display_name": "赵六",
            "phone": "+86 139 0000 1234",
            "community": world.areas["community_a"].pk,
            "password1": "long-enough-pass-7",
            "password2": "long-enough-pass-7",
        },
    )

    assert response.status_code == 302
    user = User.objects.get(username="13900001234")
    assert user.memberships.get().role == Role.RESIDENT
    assert not User.objects.visible_to(user).exists()


def test_registration_is_throttled_per_address(client, world, settings):
    data = {
        "display_name": "x",
        "phone": "bad",
        "community": world.areas["community_a"].pk,
        "password1": "long-enough-pass-7",
        "password2": "long-enough-pass-7",
    }
    # The counters live in the cache, which is Redis in CI and outlives a run: a fresh
    # address per run, and a frozen clock so no window boundary falls inside the test.
    address = f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250)}"
    with time_machine.travel(timezone.now(), tick=False):
        for n in range(10):
            client.post(
                reverse("portal:register"),
                {**data, "phone": f"1370000{n:04d}"},
                REMOTE_ADDR=address,
            )

        response = client.post(
            reverse("portal:register"), {**data, "phone": "13700009999"}, REMOTE_ADDR=address
        )

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert not User.objects.filter(username="13700009999").exists()


class TestLoginThrottling:
    def attempt(self, client, username, password, ip="10.0.0.1"):
        return client.post(
            reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip
        )

    def test_ten_failures_lock_that_username_from_that_address_only(self, client, world):
        for _ in range(10):
            self.attempt(client, "resident", "wrong")

        assert self.attempt(client, "resident", PASSWORD).status_code == 429
        assert self.attempt(client, "resident", PASSWORD, ip="10.0.0.2").status_code == 302
        assert self.attempt(client, "own_staff", PASSWORD).status_code == 302

    def test_unknown_and_known_usernames_get_the_same_answers(self, client, world):
        known = self.attempt(client, "resident", "wrong")
        unknown = self.attempt(client, "nobody-here", "wrong")
        assert known.status_code == unknown.status_code == 200
        assert known.context["form"].errors == unknown.context["form"].errors

        for _ in range(9):
            self.attempt(client, "resident", "wrong")
            self.attempt(client, "nobody-here", "wrong")
        assert self.attempt(client, "resident", "x").status_code == 429
        assert self.attempt(client, "nobody-here", "x").status_code == 429

    def test_a_trusted_proxy_passes_the_riders_own_address(self, client, world, settings):
        settings.TRUSTED_PROXY_COUNT = 1
        for _ in range(10):
            client.post(
                reverse("login"),
                {"username": "resident", "password": "wrong"},
                REMOTE_ADDR="10.9.9.9",
                HTTP_X_FORWARDED_FOR="1.1.1.1",
            )

        other_rider = client.post(
            reverse("login"),
            {"username": "resident", "password": PASSWORD},
            REMOTE_ADDR="10.9.9.9",
            HTTP_X_FORWARDED_FOR="2.2.2.2",
        )
        assert other_rider.status_code == 302


def test_everyone_edits_their_own_details(client, world):
    client.force_login(world.users["resident"])

    response = client.post(reverse("portal:my_account"), {"display_name": "新名字", "email": "bad"})
    assert response.context["form"].errors and 'value="新名字"' in response.content.decode()

    client.post(reverse("portal:my_account"), {"display_name": "新名字", "email": "a@b.cn"})
    world.users["resident"].refresh_from_db()
    assert world.users["resident"].display_name == "新名字"


def test_memberships_cannot_hold_both_an_area_and_an_organisation(world):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        Membership.objects.create(
            user=world.users["resident"],
            role=Role.GRID_WORKER,
            area=world.areas["grid_a1"],
            organisation=world.organisation,
        )


def test_the_account_list_filters_deactivated_accounts(client, world):
    world.users["resident"].is_active = False
    world.users["resident"].save()
    client.force_login(world.users["own_staff"])

    listed = client.get(reverse("portal:account_list"), {"is_active": "false"}).context[
        "object_list"
    ]

    assert [u.username for u in listed] == ["resident"]
