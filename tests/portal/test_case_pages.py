"""The case kit's pages over HTTP: case page and actions, my lists, status page, search."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.models import Case, FollowUp, Notification, TimelineEntry
from portal.roles import Role
from portal.services import cases, followups
from tests.factories import UserFactory, member
from tests.kitapp.services import ticket_open
from tests.scope import check_scope

pytestmark = pytest.mark.django_db
PHONE = "13812345678"


def ticket(world, *, by="resident", community="community_a", **kwargs):
    resident = world.users[by]
    return ticket_open(
        actor=world.users["own_staff"]
        if community == "community_a"
        else world.users["other_staff"],
        community=world.areas[community],
        title="Lamp out by gate 3",
        filed_by=resident,
        filer_name="张三",
        filer_phone=PHONE,
        **kwargs,
    ).case


@pytest.fixture
def case(world):
    return ticket(world)


def test_scope_of_a_case_page(client, world, case):
    check_scope(
        client,
        world,
        reverse("portal:case_detail", args=[case.pk]),
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


def test_an_organisation_member_sees_a_case_handed_to_it(client, world, case):
    cases.case_assign(case=case, actor=world.users["own_staff"], organisation=world.organisation)
    client.force_login(world.users["org_member"])

    assert client.get(reverse("portal:case_detail", args=[case.pk])).status_code == 200


@pytest.mark.parametrize("name", ["portal:case_comment", "portal:case_assign", "portal:case_close"])
def test_scope_of_case_actions(client, world, case, name):
    # Empty posts: a form error (200) for those who may act, 404 or 403 for the rest.
    check_scope(
        client,
        world,
        reverse(name, args=[case.pk]),
        {
            "anonymous": 302,
            "resident": 200 if name == "portal:case_comment" else 200,
            "other_staff": 404,
            "own_staff": 200,
            "programme_officer": 404,
            "official": 200,
            "org_member": 404,
        },
        method="post",
    )
    assert case.timeline.count() == 1  # nothing was written


def test_a_resident_or_an_official_cannot_write_on_a_case(client, world, case):
    for persona in ("resident", "official"):
        client.force_login(world.users[persona])
        response = client.post(
            reverse("portal:case_comment", args=[case.pk]), {"comment": "hello", "public": "on"}
        )
        assert response.status_code == 403
    assert case.timeline.count() == 1


def test_staff_reply_assign_and_close_from_the_case_page(client, world, case):
    staff = world.users["own_staff"]
    client.force_login(staff)

    client.post(
        reverse("portal:case_comment", args=[case.pk]),
        {"comment": "Electrician booked", "public": "on"},
    )
    client.post(reverse("portal:case_assign", args=[case.pk]), {"handler": staff.pk})
    response = client.post(
        reverse("portal:case_close", args=[case.pk]),
        {"status": "solved", "comment": "Lamp replaced"},
    )

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.closed_at and case.handler == staff and case.status == "solved"
    verbs = list(case.timeline.values_list("verb", flat=True))
    assert verbs == ["reported", "replied", "assigned", "closed"]


def test_a_bad_assignment_keeps_the_page_and_says_why(client, world, case):
    client.force_login(world.users["own_staff"])

    response = client.post(
        reverse("portal:case_assign", args=[case.pk]),
        {"handler": world.users["other_staff"].pk, "comment": "kept"},
    )

    assert response.status_code == 200
    assert response.context["assign_form"].errors
    assert "kept" in response.content.decode()


def test_residents_see_public_entries_only(client, world, case):
    cases.case_comment(case=case, actor=world.users["own_staff"], comment="internal note")
    cases.case_comment(
        case=case, actor=world.users["own_staff"], comment="public reply", public=True
    )
    client.force_login(world.users["resident"])

    html = client.get(reverse("portal:case_detail", args=[case.pk])).content.decode()

    assert "public reply" in html and "internal note" not in html


def test_the_filer_rates_a_closed_case_from_the_case_page(client, world, case):
    cases.case_close(case=case, actor=world.users["own_staff"], status="solved")
    client.force_login(world.users["resident"])

    response = client.post(
        reverse("portal:case_rate", args=[case.pk]),
        {"rating": "4", "solved": "yes", "comment": "good"},
    )

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.rating == 4
    client.force_login(world.users["own_staff"])
    assert (
        client.post(
            reverse("portal:case_rate", args=[case.pk]), {"rating": "1", "solved": "no"}
        ).status_code
        == 403
    )


class TestLists:
    def test_scope_of_the_lists(self, client, world):
        everyone = {
            p: 200
            for p in (
                "resident",
                "other_staff",
                "own_staff",
                "programme_officer",
                "official",
                "org_member",
            )
        }
        for name in (
            "portal:my_requests",
            "portal:my_open_cases",
            "portal:my_follow_ups",
            "portal:notifications",
        ):
            check_scope(client, world, reverse(name), {"anonymous": 302, **everyone})
        check_scope(client, world, reverse("portal:search"), {"anonymous": 302, **everyone})

    def test_my_requests_lists_my_filings_of_every_kind_and_nobody_elses(self, client, world):
        mine = ticket(world)
        other_resident = UserFactory()
        member(other_resident, Role.RESIDENT, area=world.areas["community_a"])
        ticket_open(
            actor=other_resident,
            community=world.areas["community_a"],
            title="theirs",
            filed_by=other_resident,
        )
        client.force_login(world.users["resident"])

        listed = client.get(reverse("portal:my_requests")).context["object_list"]

        assert [c.pk for c in listed] == [mine.pk]

    def test_my_open_cases_are_those_i_handle(self, client, world, case):
        staff = world.users["own_staff"]
        ticket(world)  # not mine
        cases.case_assign(case=case, actor=staff, handler=staff)
        client.force_login(staff)

        listed = client.get(reverse("portal:my_open_cases")).context["object_list"]

        assert [c.pk for c in listed] == [case.pk]

    def test_my_follow_ups_are_grouped_and_done_with_a_note(self, client, world):
        staff = world.users["own_staff"]
        now = timezone.now()
        late = followups.followup_schedule(
            assignee=staff, reason="late", due_at=now - timedelta(days=1)
        )
        followups.followup_schedule(assignee=staff, reason="soon", due_at=now + timedelta(days=3))
        followups.followup_schedule(
            role=Role.COMMUNITY_STAFF,
            area=world.areas["community_a"],
            reason="for my role",
            due_at=now + timedelta(days=2),
        )
        followups.followup_schedule(
            assignee=world.users["other_staff"], reason="not mine", due_at=now
        )
        client.force_login(staff)

        page = client.get(reverse("portal:my_follow_ups"), HTTP_ACCEPT_LANGUAGE="en")
        reasons = {str(k): [f.reason for f in v] for k, v in page.context["sections"]}
        assert reasons["Overdue"] == ["late"]
        assert sum(len(v) for v in reasons.values()) == 3

        client.post(reverse("portal:follow_up_done", args=[late.pk]), {"note": "called him"})
        late.refresh_from_db()
        assert late.state == FollowUp.State.DONE and late.done_note == "called him"
        other = FollowUp.objects.get(reason="not mine")
        assert client.post(reverse("portal:follow_up_done", args=[other.pk])).status_code == 404

    def test_the_bell_counts_unread_and_opening_marks_read(self, client, world, case):
        staff = world.users["own_staff"]
        followups.notify(users=[staff], message="look at this", case=case)
        client.force_login(staff)

        home = client.get(reverse("portal:home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert '1<span class="visually-hidden"> unread' in home
        note = Notification.objects.get(user=staff)
        response = client.post(reverse("portal:notification_open", args=[note.pk]))
        assert response.url == reverse("portal:case_detail", args=[case.pk])
        note.refresh_from_db()
        assert note.read_at is not None

    def test_nobody_opens_another_users_notification(self, client, world, case):
        followups.notify(users=[world.users["own_staff"]], message="x", case=case)
        client.force_login(world.users["other_staff"])

        note = Notification.objects.get()
        assert client.post(reverse("portal:notification_open", args=[note.pk])).status_code == 404


def fill(world, rows):
    staff = world.users["own_staff"]
    for n in range(rows):
        c = ticket(world)
        cases.case_assign(case=c, actor=staff, handler=staff)
        followups.followup_schedule(assignee=staff, reason=f"r{n}", due_at=timezone.now())


@pytest.mark.parametrize("rows", [3, 30])
@pytest.mark.parametrize(
    ("name", "persona", "query"),
    [
        ("portal:my_requests", "resident", {}),
        ("portal:my_open_cases", "own_staff", {}),
        ("portal:my_follow_ups", "own_staff", {}),
        ("portal:search", "own_staff", {"q": "Lamp"}),
    ],
)
def test_lists_run_a_fixed_number_of_queries(
    client, world, rows, name, persona, query, django_assert_max_num_queries
):
    fill(world, rows)
    client.force_login(world.users[persona])

    with django_assert_max_num_queries(10):
        response = client.get(reverse(name), query)
    assert response.status_code == 200
    assert len(response.context.get("object_list") or response.context.get("cases")) >= 3


class TestStatusPage:
    def look_up(self, client, reference, phone, ip="10.2.0.1", **extra):
        return client.post(
            reverse("portal:status"),
            {"reference": reference, "phone": phone, **extra},
            REMOTE_ADDR=ip,
        )

    def test_reference_and_phone_show_progress_masked(self, client, world, case):
        cases.case_comment(case=case, actor=world.users["own_staff"], comment="secret note")

        response = self.look_up(client, case.reference.lower(), "138 1234 5678")

        html = response.content.decode()
        assert response.context["case"] == case
        assert "张*" in html and "张三" not in html and PHONE not in html
        assert "secret note" not in html

    def test_a_wrong_phone_reveals_nothing(self, client, world, case):
        wrong_phone = self.look_up(client, case.reference, "13900000000")
        wrong_ref = self.look_up(client, "TK-2026-999999", PHONE)

        assert "case" not in wrong_phone.context and "case" not in wrong_ref.context
        assert (
            wrong_phone.context["form"].non_field_errors()
            == wrong_ref.context["form"].non_field_errors()
        )

    def test_look_ups_are_throttled(self, client, world, case):
        for _ in range(20):
            self.look_up(client, "TK-2026-999999", PHONE, ip="10.2.0.9")

        response = self.look_up(client, case.reference, PHONE, ip="10.2.0.9")

        assert "case" not in response.context
        assert response.context["form"].non_field_errors()

    def test_not_solved_on_the_status_page_reopens(self, client, world, case):
        cases.case_close(case=case, actor=world.users["own_staff"], status="solved")

        self.look_up(
            client,
            case.reference,
            PHONE,
            ip="10.2.0.3",
            rating="2",
            solved="no",
            comment="still dark",
        )

        case.refresh_from_db()
        assert case.closed_at is None and case.reopened_count == 1
        assert case.timeline.filter(verb=TimelineEntry.Verb.REOPENED).exists()


class TestSearch:
    def test_a_reference_opens_its_case(self, client, world, case):
        client.force_login(world.users["own_staff"])

        response = client.get(reverse("portal:search"), {"q": case.reference.lower()})

        assert response.url == reverse("portal:case_detail", args=[case.pk])

    def test_out_of_scope_references_and_names_find_nothing(self, client, world, case):
        client.force_login(world.users["other_staff"])

        by_ref = client.get(reverse("portal:search"), {"q": case.reference})
        by_name = client.get(reverse("portal:search"), {"q": "张三"})

        assert by_ref.status_code == 200 and list(by_ref.context["cases"]) == []
        assert list(by_name.context["cases"]) == []

    def test_names_and_phones_find_cases_and_accounts_masked(self, client, world, case):
        client.force_login(world.users["own_staff"])

        response = client.get(reverse("portal:search"), {"q": PHONE[-6:]})

        assert [c.pk for c in response.context["cases"]] == [case.pk]
        by_account = client.get(reverse("portal:search"), {"q": world.users["resident"].phone})
        assert world.users["resident"] in by_account.context["accounts"]
        results = by_account.content.decode().split('role="search"')[1].split("</form>", 1)[1]
        phone = world.users["resident"].phone
        assert phone not in results and f"{phone[:3]}****{phone[-4:]}" in results


def test_closed_cases_show_no_due_date_marks(world, case):
    cases.case_close(case=case, actor=world.users["own_staff"], status="solved")
    assert Case.objects.get(pk=case.pk).mark == ""
