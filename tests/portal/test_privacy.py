"""Privacy: the notice, a resident's copy of their own data, purposes of sensitive fields."""

import json

import pytest
from django.urls import reverse
from django.utils import translation

from housing.models import Person
from housing.services import desk
from portal.models import CaseParty, ExportJob, PrivacyNotice
from portal.roles import Role
from portal.services.privacy import my_data
from tests.factories import UserFactory, member
from tests.housing.helpers import estate_with_households
from tests.scope import PERSONAS, check_scope

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_residents(world):
    """Two residents of community A, each with a resident record and a request."""
    community = world.areas["community_a"]
    estate, _flats = estate_with_households(community)
    first = world.users["resident"]
    second = UserFactory(username="resident2")
    member(second, Role.RESIDENT, area=community)
    out = {}
    for user, name, phone in ((first, "王鹏", "13800000001"), (second, "李娜", "13800000002")):
        person = Person.objects.create(community=community, name=name, phone=phone, user=user)
        issue = desk.estate_issue_open(
            actor=world.users["own_staff"],
            estate=estate,
            category="parking",
            description=f"{name}家门口的车",
            filed_by=user,
            filer_name=name,
            filer_phone=phone,
        )
        out[user.username] = {"user": user, "person": person, "issue": issue}
    return out


def download(client, user) -> dict:
    client.force_login(user)
    response = client.get(reverse("portal:my_data"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert response["Cache-Control"] == "no-store"
    text = response.content.decode("utf-8")
    assert "\\u" not in text  # Chinese written as such, not escaped
    return json.loads(text)


@pytest.mark.parametrize(("me", "other"), [("resident", "resident2"), ("resident2", "resident")])
def test_the_download_holds_my_data_and_no_one_elses(client, two_residents, me, other):
    mine, theirs = two_residents[me], two_residents[other]

    data = download(client, mine["user"])

    text = json.dumps(data, ensure_ascii=False)
    assert data["records"]["portal.account"]["rows"][0]["phone"] == mine["user"].phone
    assert len(data["records"]["housing.person"]["rows"]) == 1
    assert data["records"]["housing.person"]["rows"][0]["name"] == mine["person"].name
    references = [r["reference"] for r in data["records"]["portal.case"]["rows"]]
    assert references == [mine["issue"].case.reference]
    issues = data["records"]["housing.issue"]["rows"]
    assert [i["description"] for i in issues] == [mine["issue"].description]
    for leak in (
        theirs["person"].name,
        theirs["person"].phone,
        theirs["issue"].case.reference,
        theirs["user"].phone,
    ):
        assert leak not in text


def test_a_case_i_am_a_party_to_is_in_my_download(client, two_residents):
    mine, theirs = two_residents["resident"], two_residents["resident2"]
    CaseParty.objects.create(case=theirs["issue"].case, user=mine["user"])

    data = download(client, mine["user"])

    references = {r["reference"] for r in data["records"]["portal.case"]["rows"]}
    assert references == {mine["issue"].case.reference, theirs["issue"].case.reference}
    # Their resident record and account stay theirs.
    assert theirs["person"].phone not in json.dumps(data, ensure_ascii=False)


def test_each_download_is_logged_as_an_export(client, two_residents):
    user = two_residents["resident"]["user"]

    download(client, user)

    job = ExportJob.objects.get(requester=user)
    assert job.provider == "portal.my_data" and job.state == ExportJob.State.DONE
    assert job.rows_total == sum(len(r["rows"]) for r in my_data(user=user)["records"].values())


def test_staff_download_their_own_account_not_their_cases(world, two_residents):
    data = my_data(user=world.users["own_staff"])

    assert set(data["records"]) == {"portal.account"}


def test_everyone_logged_in_may_download_their_data(client, world):
    check_scope(
        client, world, reverse("portal:my_data"), {**dict.fromkeys(PERSONAS, 200), "anonymous": 302}
    )


def test_my_account_links_to_the_download_and_the_notice(client, world):
    client.force_login(world.users["resident"])

    page = client.get(reverse("portal:my_account")).content.decode()

    assert reverse("portal:my_data") in page and reverse("portal:privacy") in page


# --- The privacy notice -------------------------------------------------------------


def test_the_notice_is_public_and_only_superusers_edit_it(client, world):
    check_scope(client, world, reverse("portal:privacy"), dict.fromkeys(PERSONAS, 200))
    check_scope(
        client,
        world,
        reverse("portal:privacy_edit"),
        {**dict.fromkeys(PERSONAS, 403), "anonymous": 302},
    )
    check_scope(
        client,
        world,
        reverse("portal:privacy_edit"),
        {**dict.fromkeys(PERSONAS, 403), "anonymous": 302},
        method="post",
        data={"controller": "x", "contact": "y", "body_zh": "z"},
    )
    assert not PrivacyNotice.objects.exists()


def test_the_built_in_notice_shows_until_one_is_written(client):
    response = client.get(reverse("portal:privacy"))

    assert response.status_code == 200 and response.context["notice"] is None
    assert 'data-testid="privacy-body"' in response.content.decode()


def test_each_save_is_a_new_version_shown_in_the_readers_language(client):
    admin = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(admin)
    for body in ("第一版", "第二版"):
        response = client.post(
            reverse("portal:privacy_edit"),
            {
                "controller": "城东区民政局",
                "contact": "0971-1234567",
                "body_zh": body,
                "body_en": "Second version" if body == "第二版" else "",
            },
        )
        assert response.status_code == 302

    assert PrivacyNotice.objects.count() == 2
    newest = PrivacyNotice.objects.first()
    assert (newest.body_zh, newest.updated_by) == ("第二版", admin)
    client.logout()
    with translation.override("zh-hans"):
        assert "第二版" in client.get(reverse("portal:privacy")).content.decode()
    page = client.get(reverse("portal:privacy"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Second version" in page or "第二版" in page


def test_a_notice_without_text_is_a_form_error(client):
    client.force_login(UserFactory(is_superuser=True))

    response = client.post(reverse("portal:privacy_edit"), {"controller": "", "body_zh": ""})

    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"controller", "contact", "body_zh"}


@pytest.mark.parametrize("name", ["login", "portal:register"])
def test_login_and_register_link_to_the_notice(client, name):
    assert reverse("portal:privacy") in client.get(reverse(name)).content.decode()


# --- Sensitive fields are recorded only with a reason --------------------------------


@pytest.fixture
def household(world):
    return estate_with_households(world.areas["community_a"])[1][0]


def add_person(client, world, household, **fields):
    client.force_login(world.users["own_staff"])
    return client.post(
        reverse("housing:person_add", args=[household.pk]),
        {"name": "马兰", "relation": "owner", **fields},
    )


def test_ethnicity_without_a_reason_is_a_form_error(client, world, household):
    response = add_person(client, world, household, ethnicity="回族", care_tags=["disabled"])

    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"ethnicity_reason", "care_tags_reason"}
    assert not Person.objects.filter(name="马兰").exists()


def test_with_a_reason_it_is_recorded_and_shown_to_the_community_staff(client, world, household):
    response = add_person(
        client,
        world,
        household,
        ethnicity="回族",
        ethnicity_reason="少数民族补贴",
        care_tags=["disabled"],
        care_tags_reason="居家适老化改造",
    )

    assert response.status_code == 302
    person = Person.objects.get(name="马兰")
    assert (person.ethnicity_reason, person.care_tags_reason) == ("少数民族补贴", "居家适老化改造")
    page = client.get(reverse("housing:person_detail", args=[person.pk])).content.decode()
    assert "少数民族补贴" in page and "居家适老化改造" in page
