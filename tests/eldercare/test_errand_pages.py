"""The errand pages: the resident's form, the queue, My errands, the errand page and its
actions, the sensitive circumstances, scope and query counts."""

import pytest
from django.urls import reverse
from django.utils import translation

from eldercare.models import Errand, ErrandGroup, ErrandService, ErrandStatus
from portal.models import Case, Membership, PersonalDataAccess
from tests.eldercare.test_errand_helpers import assigned_errand, red_vest_teams, resident_errand
from tests.scope import check_scope

pytestmark = pytest.mark.django_db


@pytest.fixture
def teams(world):
    return red_vest_teams(world)


def request_data(**overrides):
    return {
        "service": ErrandService.ID_RENEWAL,
        "group": ErrandGroup.MOBILITY,
        "details": "身份证到期，需要代办换证预约",
        "address": "清怡院 1号楼 101",
        "phone": "139 0000 1234",
        **overrides,
    }


def group_label(response, group) -> str:
    """The circumstances as the page would word them, in the page's language."""
    with translation.override(response.wsgi_request.LANGUAGE_CODE):
        return str(ErrandGroup(group).label)


# --- The resident's request -------------------------------------------------------------------


def test_a_resident_files_an_errand_through_the_form_and_sees_it(client, world):
    client.force_login(world.users["resident"])
    assert client.get(reverse("eldercare:errand_request")).status_code == 200

    response = client.post(reverse("eldercare:errand_request"), request_data())

    errand = Errand.objects.get()
    assert response["Location"] == reverse("eldercare:errand_detail", args=[errand.pk])
    assert errand.case.filed_by == world.users["resident"]
    assert errand.case.filer_phone == "13900001234"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "身份证到期" in page.content.decode() and "清怡院 1号楼 101" in page.content.decode()
    requests = client.get(reverse("portal:my_requests")).content.decode()
    assert errand.case.reference in requests


@pytest.mark.parametrize(
    "bad",
    [
        {},
        {"service": "<script>", "group": "rich", "phone": "12345", "wanted_by": "yesterday"},
        {"wanted_by": "2001-01-01"},
        {"details": "x" * 5000, "phone": "+1 555 0100"},
    ],
)
def test_bad_input_to_the_request_form_gives_form_errors(client, world, bad):
    client.force_login(world.users["resident"])
    data = {} if not bad else request_data(**bad)

    response = client.post(reverse("eldercare:errand_request"), data)

    assert response.status_code == 200 and response.context["form"].errors
    assert not Errand.objects.exists()
    if bad.get("phone"):
        assert bad["phone"] in response.content.decode()  # kept as typed


def test_staff_request_on_behalf_and_the_resident_follows_it_by_reference_and_phone(client, world):
    client.force_login(world.users["own_staff"])
    form = client.get(reverse("eldercare:errand_request_for"))
    assert list(form.context["form"].fields["community"].queryset) == [world.areas["community_a"]]

    response = client.post(
        reverse("eldercare:errand_request_for"),
        {**request_data(), "community": world.areas["community_a"].pk, "name": "赵花"},
    )

    errand = Errand.objects.get()
    assert response["Location"] == reverse("eldercare:errand_detail", args=[errand.pk])
    client.logout()
    status = client.post(
        reverse("portal:status"), {"reference": errand.case.reference, "phone": "13900001234"}
    )
    assert status.context["case"] == errand.case


def test_bad_input_to_the_request_on_behalf_form_gives_form_errors(client, world):
    client.force_login(world.users["own_staff"])
    for data in (
        {},
        {
            **request_data(phone="abc"),
            "community": world.areas["community_b"].pk,
            "name": "",
            "id_number": "123",
        },
        {**request_data(), "community": "x", "name": "赵花", "id_number": "110101199003077777"},
    ):
        response = client.post(reverse("eldercare:errand_request_for"), data)

        assert response.status_code == 200 and response.context["form"].errors, data
    assert not Errand.objects.exists()


# --- Assigning, My errands, done, rating ----------------------------------------------------


def roster_entry(user):
    return Membership.objects.get(user=user, ended_at__isnull=True)


def test_the_assign_form_lists_the_roster_and_refuses_others(client, world, teams):
    errand = resident_errand(world)
    client.force_login(world.users["own_staff"])
    page = client.get(reverse("eldercare:errand_detail", args=[errand.pk]))
    assert [m.user for m in page.context["roster"]] == [teams.volunteer]
    assert "马志愿" in page.content.decode() and "外队员" not in page.content.decode()
    url = reverse("eldercare:errand_assign", args=[errand.pk])

    refused = client.post(url, {"volunteer": roster_entry(teams.outsider).pk})

    assert refused.status_code == 200 and refused.context["assign_form"].errors
    assert Case.objects.get(pk=errand.pk).handler is None
    response = client.post(url, {"volunteer": roster_entry(teams.volunteer).pk})
    assert response.status_code == 302
    case = Case.objects.get(pk=errand.pk)
    assert case.handler == teams.volunteer and case.organisation == teams.team


def test_a_volunteer_sees_it_in_my_errands_and_marks_it_done(client, world, teams):
    errand = assigned_errand(world, teams)
    other = resident_errand(world, service=ErrandService.SHOPPING)
    client.force_login(teams.volunteer)

    mine = client.get(reverse("eldercare:my_errands"))
    assert list(mine.context["object_list"]) == [errand]
    page = client.get(reverse("eldercare:errand_detail", args=[errand.pk]))
    assert "清怡院 3号楼 2单元 501" in page.content.decode()
    assert page.context["done_form"] is not None and "cancel_form" not in page.context
    assert client.get(reverse("eldercare:errand_detail", args=[other.pk])).status_code == 404

    empty = client.post(reverse("eldercare:errand_done", args=[errand.pk]), {"note": ""})
    assert empty.status_code == 200 and empty.context["done_form"].errors
    response = client.post(
        reverse("eldercare:errand_done", args=[errand.pk]), {"note": "已陪同完成认证"}
    )

    assert response.status_code == 302
    errand.refresh_from_db()
    assert errand.done_note == "已陪同完成认证"
    assert Case.objects.get(pk=errand.pk).status == ErrandStatus.DONE
    mine = client.get(reverse("eldercare:my_errands"))
    assert list(mine.context["object_list"]) == [errand]


def test_the_resident_rates_it_after_it_is_done(client, world, teams):
    from eldercare.services.errands import errand_done

    errand = assigned_errand(world, teams)
    client.force_login(world.users["resident"])
    url = reverse("eldercare:errand_rate", args=[errand.pk])
    assert client.post(url, {"rating": 5, "solved": "yes"}).status_code == 403
    errand_done(actor=teams.volunteer, errand=errand, note="已办好")

    page = client.get(reverse("eldercare:errand_detail", args=[errand.pk]))
    assert page.context["rating_form"] is not None
    response = client.post(url, {"rating": 5, "solved": "yes", "comment": "很及时"})

    assert response.status_code == 302
    case = Case.objects.get(pk=errand.pk)
    assert case.rating == 5 and case.rating_comment == "很及时"
    assert "rating_form" not in client.get(response["Location"]).context


def test_staff_cancel_from_the_page_with_a_reason(client, world, teams):
    errand = assigned_errand(world, teams)
    client.force_login(world.users["own_staff"])
    url = reverse("eldercare:errand_cancel", args=[errand.pk])

    assert client.post(url, {"reason": ""}).context["cancel_form"].errors
    assert client.post(url, {"reason": "家属已代办"}).status_code == 302
    assert Case.objects.get(pk=errand.pk).status == ErrandStatus.CANCELLED


# --- The sensitive circumstances ---------------------------------------------------------------


def test_the_circumstances_are_hidden_from_the_official_and_the_volunteer(client, world, teams):
    errand = assigned_errand(world, teams, group=ErrandGroup.CHILDLESS)
    url = reverse("eldercare:errand_detail", args=[errand.pk])

    for user in (world.users["official"], teams.volunteer, world.users["resident"]):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200
        assert not response.context["show_group"]
        assert group_label(response, ErrandGroup.CHILDLESS) not in response.content.decode()
    assert not PersonalDataAccess.objects.exists()


def test_the_circumstances_are_shown_to_own_staff_and_each_opening_is_logged(client, world):
    errand = resident_errand(world, group=ErrandGroup.CHILDLESS)
    client.force_login(world.users["own_staff"])
    url = reverse("eldercare:errand_detail", args=[errand.pk])

    response = client.get(url)
    client.get(url)

    assert group_label(response, ErrandGroup.CHILDLESS) in response.content.decode()
    openings = PersonalDataAccess.objects.filter(user=world.users["own_staff"])
    assert openings.count() == 2
    assert {(o.kind, o.target, o.field) for o in openings} == {
        ("sensitive", f"eldercare.errand:{errand.pk}", "group")
    }


def test_the_queue_never_shows_the_circumstances(client, world):
    resident_errand(world, group=ErrandGroup.CHILDLESS)
    client.force_login(world.users["own_staff"])

    response = client.get(reverse("eldercare:errand_list"))

    assert group_label(response, ErrandGroup.CHILDLESS) not in response.content.decode()


# --- Scope and queries --------------------------------------------------------------------


def test_scope_of_the_errand_pages(client, world, teams):
    errand = resident_errand(world)
    denied = {p: 403 for p in ("resident", "other_staff", "own_staff", "official")}
    denied.update({"anonymous": 302, "programme_officer": 403, "org_member": 403})
    check_scope(
        client,
        world,
        reverse("eldercare:errand_list"),
        {**denied, "other_staff": 200, "own_staff": 200, "official": 200},
    )
    check_scope(
        client,
        world,
        reverse("eldercare:errand_detail", args=[errand.pk]),
        {
            "anonymous": 302,
            "resident": 200,
            "other_staff": 404,
            "own_staff": 200,
            "programme_officer": 404,
            "official": 200,
            "org_member": 404,
        },
    )
    check_scope(client, world, reverse("eldercare:errand_request"), {**denied, "resident": 200})
    check_scope(
        client,
        world,
        reverse("eldercare:errand_request_for"),
        {**denied, "other_staff": 200, "own_staff": 200},
    )
    check_scope(client, world, reverse("eldercare:my_errands"), denied)
    client.force_login(teams.volunteer)
    assert client.get(reverse("eldercare:my_errands")).status_code == 200
    assert client.get(reverse("eldercare:errand_list")).status_code == 403


def test_scope_of_an_errand_action(client, world):
    errand = resident_errand(world)
    check_scope(
        client,
        world,
        reverse("eldercare:errand_cancel", args=[errand.pk]),
        {
            "anonymous": 302,
            "resident": 403,
            "other_staff": 404,
            "own_staff": 200,  # the empty reason is a form error
            "programme_officer": 404,
            "official": 403,
            "org_member": 404,
        },
        method="post",
    )
    assert Case.objects.get(pk=errand.pk).closed_at is None
    client.force_login(world.users["own_staff"])
    assert client.get(reverse("eldercare:errand_cancel", args=[errand.pk])).status_code == 405


def test_the_queue_filters_by_status_service_and_overdue(client, world, teams):
    from datetime import timedelta

    from django.utils import timezone

    late = resident_errand(world, now=timezone.now() - timedelta(days=30))
    assigned = assigned_errand(world, teams, service=ErrandService.SHOPPING)
    client.force_login(world.users["own_staff"])
    url = reverse("eldercare:errand_list")

    def listed(**params):
        return list(client.get(url, params).context["object_list"])

    assert listed() == [late, assigned]
    assert listed(status="assigned") == [assigned]
    assert listed(service="shopping") == [assigned]
    assert listed(overdue="true") == [late]
    assert listed(overdue="false") == [assigned]
    assert client.get(url, {"status": "nonsense"}).status_code == 200


@pytest.mark.parametrize("errands", [3, 30])
def test_the_queue_runs_a_fixed_number_of_queries(
    client, world, teams, errands, django_assert_max_num_queries
):
    for n in range(errands):
        if n % 2:
            assigned_errand(world, teams)
        else:
            resident_errand(world)
    client.force_login(world.users["own_staff"])

    with django_assert_max_num_queries(8):
        response = client.get(
            reverse("eldercare:errand_list"), {"service": "pension_certification"}
        )
    assert response.status_code == 200
    assert len(response.context["object_list"]) == min(errands, 25)


@pytest.mark.parametrize("errands", [3, 30])
def test_my_errands_runs_a_fixed_number_of_queries(
    client, world, teams, errands, django_assert_max_num_queries
):
    for _n in range(errands):
        assigned_errand(world, teams)
    client.force_login(teams.volunteer)

    with django_assert_max_num_queries(8):
        response = client.get(reverse("eldercare:my_errands"))
    assert len(response.context["object_list"]) == min(errands, 25)


def test_a_resident_on_file_of_another_community_is_a_form_error(client, world):
    from housing.services.registry import person_create
    from portal.personal import id_check_character
    from tests.factories import UserFactory

    first17 = "63010219400101001"
    person_create(
        actor=None,
        community=world.areas["community_a"],
        name="李奶奶",
        id_number=first17 + id_check_character(first17),
        check_scope=False,
    )
    client.force_login(UserFactory(is_superuser=True))

    response = client.post(
        reverse("eldercare:errand_request_for"),
        {
            **request_data(),
            "community": world.areas["community_b"].pk,
            "name": "李奶奶",
            "id_number": first17 + id_check_character(first17),
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors["id_number"]
    assert not Errand.objects.exists()


def test_the_phone_is_in_full_for_those_who_work_the_errand_only(client, world, teams):
    errand = assigned_errand(world, teams)
    phone = world.users["resident"].phone
    url = reverse("eldercare:errand_detail", args=[errand.pk])

    for user, full in [
        (world.users["own_staff"], True),
        (teams.volunteer, True),
        (world.users["official"], False),
    ]:
        client.force_login(user)
        assert (phone in client.get(url).content.decode()) is full, user
