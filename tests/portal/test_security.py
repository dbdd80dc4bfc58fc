"""Two-factor login, the headers every page carries, error pages and URLs without
personal data."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.models import ExportJob, PersonalDataAccess
from portal.roles import Role
from portal.scope import PERMISSIONS, handles_personal_data, role_handles_personal_data
from portal.services import security as services
from tests.factories import PASSWORD, UserFactory
from tests.housing.helpers import id_number
from tests.kitapp.services import ticket_open
from tests.scope import check_scope

pytestmark = pytest.mark.django_db


@pytest.fixture
def required(settings):
    settings.TWO_FACTOR_REQUIRED = True


@pytest.fixture
def case(world):
    return ticket_open(
        actor=world.users["own_staff"],
        community=world.areas["community_a"],
        title="Broken lamp",
        filer_name="张三",
        filer_phone="13812345678",
    ).case


def code_for(device) -> str:
    """The code the user's phone shows now."""
    device.refresh_from_db()
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift):06d}"  # noqa: E501


def enrol(user) -> tuple[TOTPDevice, list[str]]:
    device = services.totp_device_pending(user=user)
    return services.totp_device_confirm(user=user, token=code_for(device))


# --- Who must use a second factor --------------------------------------------------


def test_the_roles_that_need_a_second_factor_come_from_the_permission_table():
    needing = {role for role in PERMISSIONS if role_handles_personal_data(role)}

    assert needing == {
        Role.COMMUNITY_STAFF,
        Role.PARTY_SECRETARY,
        Role.SUBDISTRICT_STAFF,
        Role.PROGRAMME_OFFICER,
        Role.OFFICIAL,
    }


def test_superusers_need_it_and_residents_and_organisation_members_do_not(world):
    assert handles_personal_data(UserFactory(is_superuser=True))
    assert not handles_personal_data(world.users["resident"])
    assert not handles_personal_data(world.users["org_member"])


@pytest.mark.parametrize("persona", ["own_staff", "official", "programme_officer"])
def test_staff_without_a_second_factor_are_sent_to_set_one_up(client, world, required, persona):
    client.force_login(world.users[persona])

    response = client.get(reverse("portal:my_requests"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("portal:two_factor_setup"))
    assert "next=" in response.url
    assert client.get(reverse("portal:two_factor_setup")).status_code == 200


@pytest.mark.parametrize("persona", ["resident", "org_member"])
def test_residents_and_organisation_members_are_not_forced(client, world, required, persona):
    client.force_login(world.users[persona])

    assert client.get(reverse("portal:home")).status_code == 200


def test_staff_without_a_second_factor_cannot_export_or_reveal(client, world, required, owner):
    client.force_login(world.users["own_staff"])

    export = client.get(reverse("portal:export", args=["kitapp.tickets"]))
    reveal = client.post(
        reverse("housing:person_reveal", args=[owner.pk]), {"reason": "checking a claim"}
    )

    assert export.status_code == 302 and reveal.status_code == 302
    assert export.url.startswith(reverse("portal:two_factor_setup"))
    assert reveal.url == reverse("portal:two_factor_setup")
    assert not ExportJob.objects.exists()
    assert not PersonalDataAccess.objects.filter(kind="reveal").exists()
    assert id_number() not in reveal.content.decode()


def test_logout_and_language_stay_open_before_the_second_factor(client, world, required):
    client.force_login(world.users["own_staff"])

    language = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    logout = client.post(reverse("logout"))

    assert language.status_code == 302 and language.url == "/"
    assert logout.status_code == 302 and logout.url == reverse("login")


def test_with_enforcement_off_staff_work_with_a_password_alone(client, world, settings):
    settings.TWO_FACTOR_REQUIRED = False
    client.force_login(world.users["own_staff"])

    assert client.get(reverse("portal:export", args=["kitapp.tickets"])).status_code == 200


def test_the_login_page_says_when_the_demo_runs_without_a_second_factor(client, settings):
    settings.TWO_FACTOR_REQUIRED = False
    off = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    settings.TWO_FACTOR_REQUIRED = True
    on = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "Demo: two-factor login is switched off" in off
    assert "Demo:" not in on


# --- Setting it up --------------------------------------------------------------------


def test_set_up_shows_a_qr_code_and_the_key_and_confirms_with_a_real_code(
    client, world, required, clock
):
    staff = world.users["own_staff"]
    client.force_login(staff)

    page = client.get(reverse("portal:two_factor_setup"))
    html = page.content.decode()
    device = TOTPDevice.objects.get(user=staff, confirmed=False)
    assert "<svg" in html and "<script" not in html.split("</main>")[0].split("<main")[1]
    secret = page.context["secret"].replace(" ", "")
    assert page.context["secret"] in html and len(secret) == 32
    assert client.get(reverse("portal:two_factor_setup")).context["secret"].replace(" ", "") == (
        secret
    ), "a reload keeps the same key"
    assert page["Cache-Control"] == "no-store"

    wrong = client.post(reverse("portal:two_factor_setup"), {"token": "000000"})
    assert wrong.status_code == 200 and wrong.context["form"].errors["token"]
    clock.shift(timedelta(seconds=31))
    done = client.post(reverse("portal:two_factor_setup"), {"token": code_for(device)})

    assert done.status_code == 200 and done["Cache-Control"] == "no-store"
    codes = done.context["codes"]
    assert len(codes) == 10 and all(code in done.content.decode() for code in codes)
    device.refresh_from_db()
    assert device.confirmed
    assert StaticToken.objects.filter(device__user=staff).count() == 10
    # Verified in this session at once: the export is open.
    assert client.get(reverse("portal:export", args=["kitapp.tickets"])).status_code == 200


@pytest.mark.parametrize("bad", ["", "12345", "abcdef", "1234567", "９９９９９９", "x" * 200])
def test_a_malformed_code_is_a_form_error(client, world, required, bad):
    client.force_login(world.users["own_staff"])

    response = client.post(reverse("portal:two_factor_setup"), {"token": bad})

    assert response.status_code == 200 and response.context["form"].errors


def test_residents_may_set_it_up_from_my_account(client, world, clock):
    resident = world.users["resident"]
    client.force_login(resident)
    assert (
        reverse("portal:two_factor_setup")
        in client.get(reverse("portal:my_account")).content.decode()
    )

    client.get(reverse("portal:two_factor_setup"))
    device = TOTPDevice.objects.get(user=resident)
    client.post(reverse("portal:two_factor_setup"), {"token": code_for(device)})

    page = client.get(reverse("portal:my_account"))
    assert page.context["has_authenticator"] and page.context["recovery_codes_left"] == 10


# --- The second login step --------------------------------------------------------------


def test_after_the_password_a_user_with_an_authenticator_enters_its_code(
    client, world, required, clock
):
    staff = world.users["own_staff"]
    device, _ = enrol(staff)
    clock.shift(timedelta(seconds=31))

    login = client.post(reverse("login"), {"username": staff.username, "password": PASSWORD})
    assert login.status_code == 302
    asked = client.get(reverse("portal:my_open_cases"))
    assert asked.url == (
        reverse("portal:two_factor_verify")
        + "?next="
        + reverse("portal:my_open_cases").replace("/", "%2F")
    )
    wrong = client.post(reverse("portal:two_factor_verify"), {"token": "123456"})
    assert wrong.status_code == 200 and wrong.context["form"].errors["token"]
    clock.shift(timedelta(seconds=31))

    right = client.post(
        reverse("portal:two_factor_verify"),
        {"token": code_for(device), "next": reverse("portal:my_open_cases")},
    )

    assert right.url == reverse("portal:my_open_cases")
    assert client.get(reverse("portal:my_open_cases")).status_code == 200


def test_residents_who_chose_an_authenticator_are_asked_for_it_too(client, world, clock):
    resident = world.users["resident"]
    enrol(resident)
    client.force_login(resident)

    assert client.get(reverse("portal:home")).url.startswith(reverse("portal:two_factor_verify"))


def test_the_next_page_after_the_code_is_never_another_site(client, world, required, clock):
    staff = world.users["own_staff"]
    device, _ = enrol(staff)
    clock.shift(timedelta(seconds=31))
    client.force_login(staff)

    response = client.post(
        reverse("portal:two_factor_verify"),
        {"token": code_for(device), "next": "https://evil.example/"},
    )

    assert response.url == reverse("portal:home")


def test_a_recovery_code_works_once(client, world, required, clock):
    staff = world.users["own_staff"]
    _, codes = enrol(staff)
    client.force_login(staff)

    used = client.post(reverse("portal:two_factor_verify"), {"token": codes[0].upper()})
    assert used.status_code == 302
    assert client.get(reverse("portal:home")).status_code == 200
    assert StaticToken.objects.filter(device__user=staff).count() == 9

    client.logout()
    clock.shift(timedelta(minutes=5))
    client.force_login(staff)
    again = client.post(reverse("portal:two_factor_verify"), {"token": codes[0]})

    assert again.status_code == 200 and again.context["form"].errors["token"]
    assert client.get(reverse("portal:home")).status_code == 302


def test_new_recovery_codes_replace_the_old_ones(client, world, clock):
    staff = world.users["own_staff"]
    _, old = enrol(staff)
    client.force_login(staff)
    client.post(reverse("portal:two_factor_verify"), {"token": old[0]})

    response = client.post(reverse("portal:recovery_codes_renew"))

    new = response.context["codes"]
    assert len(new) == 10 and not set(new) & set(old)
    assert set(StaticToken.objects.values_list("token", flat=True)) == set(new)
    assert response["Cache-Control"] == "no-store"


# --- Resets ------------------------------------------------------------------------


def test_a_manager_resets_a_lost_second_factor_and_the_account_is_logged_out(client, world, clock):
    resident = world.users["resident"]
    enrol(resident)
    theirs = Client()
    theirs.force_login(resident)
    clock.shift(timedelta(seconds=5))
    client.force_login(world.users["own_staff"])
    detail = client.get(reverse("portal:account_detail", args=[resident.pk])).content.decode()
    assert reverse("portal:account_two_factor_reset", args=[resident.pk]) in detail

    response = client.post(reverse("portal:account_two_factor_reset", args=[resident.pk]))

    assert response.url == reverse("portal:account_detail", args=[resident.pk])
    assert not TOTPDevice.objects.filter(user=resident).exists()
    assert not StaticDevice.objects.filter(user=resident).exists()
    assert theirs.get(reverse("portal:home")).url.startswith(reverse("login"))


def test_scope_of_the_reset(client, world, clock):
    target = world.users["resident"]
    check_scope(
        client,
        world,
        reverse("portal:account_two_factor_reset", args=[target.pk]),
        {
            "anonymous": 302,
            "resident": 403,
            "other_staff": 404,
            "own_staff": 302,
            "programme_officer": 403,
            "official": 403,
            "org_member": 403,
        },
        method="post",
    )


def test_the_admin_action_resets_the_second_factor(client, world, clock, caplog):
    staff = world.users["own_staff"]
    enrol(staff)
    admin_user = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(admin_user)
    # The admin's own second factor (enforcement is off in tests, so none is needed).

    response = client.post(
        reverse("admin:portal_user_changelist"),
        {"action": "reset_second_factor", "_selected_action": [staff.pk, admin_user.pk]},
    )

    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=staff).exists()
    assert f"second factor reset: account={staff.pk} by={admin_user.pk}" in caplog.text


# --- Scope of the new pages ------------------------------------------------------------


EVERYONE = {
    "resident": 200,
    "other_staff": 200,
    "own_staff": 200,
    "programme_officer": 200,
    "official": 200,
    "org_member": 200,
}


def test_scope_of_the_set_up_and_verify_pages(client, world):
    check_scope(client, world, reverse("portal:two_factor_setup"), {"anonymous": 302, **EVERYONE})
    # Without an authenticator there is nothing to verify: straight on to the home page.
    check_scope(
        client,
        world,
        reverse("portal:two_factor_verify"),
        {"anonymous": 302, **{persona: 302 for persona in EVERYONE}},
    )


def test_scope_of_recovery_codes_and_ending_other_sessions(client, world):
    # New recovery codes need a verified authenticator: the others are sent to verify.
    everyone_redirected = {"anonymous": 302, **{persona: 302 for persona in EVERYONE}}
    check_scope(
        client, world, reverse("portal:recovery_codes_renew"), everyone_redirected, method="post"
    )
    check_scope(
        client, world, reverse("portal:sessions_end_others"), everyone_redirected, method="post"
    )


# --- Headers ---------------------------------------------------------------------------


def csp_directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {
        part.split()[0]: part.split()[1:] for part in (p.strip() for p in policy.split(";")) if part
    }


def test_personal_data_pages_carry_the_csp_and_no_store(client, world, owner, case):
    client.force_login(world.users["own_staff"])

    for url in (
        reverse("housing:person_detail", args=[owner.pk]),
        reverse("portal:case_detail", args=[case.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        directives = csp_directives(response)
        assert directives["script-src"] == ["'self'"]
        assert directives["style-src"] == ["'self'"]
        assert directives["default-src"] == ["'self'"]
        assert directives["frame-ancestors"] == ["'none'"]
        assert directives["object-src"] == ["'none'"]
        assert "'unsafe-inline'" not in response["Content-Security-Policy"]
        assert "'unsafe-eval'" not in response["Content-Security-Policy"]
        assert "no-store" in response["Cache-Control"]
        html = response.content.decode()
        assert "<script>" not in html and " onclick=" not in html and 'style="' not in html


def test_the_public_status_answer_is_not_stored_but_a_public_list_may_be(client, case):
    status = client.post(
        reverse("portal:status"),
        {"reference": case.reference, "phone": "13812345678"},
        REMOTE_ADDR="10.9.0.1",
    )
    public = client.get(reverse("stations:finder"))

    assert status.status_code == 200 and "no-store" in status["Cache-Control"]
    assert public.status_code == 200
    assert "no-store" not in public.get("Cache-Control", "")
    assert "Content-Security-Policy" in public


def test_no_template_has_inline_script_handlers_or_styles():
    from pathlib import Path

    from django.conf import settings

    offenders = []
    for path in Path(settings.BASE_DIR, "templates").rglob("*.html"):
        text = path.read_text()
        for needle in ("<script>", " onclick=", " onload=", " onchange=", 'style="', "javascript:"):
            if needle in text:
                offenders.append((str(path), needle))
    assert offenders == []


# --- Error pages -----------------------------------------------------------------------


def test_error_pages_reveal_nothing(client, world):
    client.force_login(world.users["resident"])

    missing = client.get("/cases/987654/").content.decode()
    forbidden = client.get(reverse("portal:account_list"))

    assert "987654" not in missing and "/cases/" not in missing
    assert forbidden.status_code == 403
    html = forbidden.content.decode()
    assert "PermissionDenied" not in html and "/people/" not in html


def test_a_refused_form_for_a_stale_csrf_token_says_what_to_do_and_nothing_more(world):
    strict = Client(enforce_csrf_checks=True)

    response = strict.post(reverse("login"), {"username": "x", "password": "y"})

    assert response.status_code == 403
    html = response.content.decode()
    assert "CSRF" not in html and "Referer" not in html and "cookie not set" not in html
    assert response.templates[0].name == "403_csrf.html"


@pytest.mark.parametrize(
    "template", ["400.html", "403.html", "403_csrf.html", "404.html", "500.html"]
)
def test_every_error_page_is_translated(template):
    from django.template.loader import render_to_string
    from django.utils import translation

    with translation.override("zh-hans"):
        chinese = render_to_string(template)
    with translation.override("en"):
        english = render_to_string(template)

    assert chinese != english


# --- No personal data in URLs -------------------------------------------------------


def test_the_search_form_posts_and_its_results_url_carries_no_phone(client, world, case):
    client.force_login(world.users["own_staff"])
    html = client.get(reverse("portal:search")).content.decode()
    assert '<form method="post" role="search"' in html

    response = client.post(reverse("portal:search"), {"q": "13812345678"}, follow=True)

    final_url = response.redirect_chain[-1][0] if response.redirect_chain else ""
    assert "13812345678" not in final_url and "345678" not in final_url
    assert [c.pk for c in response.context["cases"]] == [case.pk]


def test_the_account_filter_posts_and_keeps_the_phone_out_of_the_url(client, world):
    client.force_login(world.users["own_staff"])
    phone = world.users["resident"].phone
    html = client.get(reverse("portal:account_list")).content.decode()
    assert '<form method="post"' in html

    response = client.post(
        reverse("portal:account_list"), {"q": phone[-6:], "role": Role.RESIDENT}, follow=True
    )

    final_url = response.redirect_chain[-1][0]
    assert phone[-6:] not in final_url and "role=resident" in final_url
    assert [u.username for u in response.context["object_list"]] == ["resident"]
    page_two = client.get(final_url + "&page=1")
    assert [u.username for u in page_two.context["object_list"]] == ["resident"]
