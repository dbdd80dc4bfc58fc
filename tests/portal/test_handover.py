"""Staff hand-over: open work moves to a colleague in one go; nothing is left behind."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from housing.models import DeskVisit
from portal.models import Case, FollowUp, TimelineEntry
from portal.roles import Role
from portal.services.accounts import account_set_active
from portal.services.cases import case_assign, case_close
from portal.services.followups import followup_schedule
from portal.services.handover import hand_over_work, leftovers, open_work
from tests.factories import UserFactory, member
from tests.housing.helpers import estate_with_households
from tests.kitapp.services import ticket_open
from tests.scope import check_scope

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(world):
    """Subdistrict staff: grants (and so manages) community staff accounts."""
    user = UserFactory(username="subdistrict")
    member(user, Role.SUBDISTRICT_STAFF, area=world.areas["subdistrict"])
    return user


@pytest.fixture
def leaving(world):
    return world.users["own_staff"]


@pytest.fixture
def successor(world):
    user = UserFactory(username="colleague", display_name="Colleague")
    member(user, Role.COMMUNITY_STAFF, area=world.areas["community_a"])
    return user


@pytest.fixture
def work(world, leaving):
    """Two open cases and one closed, a follow-up, a desk visit to come and one held."""
    community = world.areas["community_a"]
    cases = [
        ticket_open(actor=leaving, community=community, title=f"Lamp {n}").case for n in range(3)
    ]
    for case in cases:
        case_assign(case=case, actor=leaving, handler=leaving)
    case_close(case=cases[2], actor=leaving, status="solved")
    follow_up = followup_schedule(
        case=cases[0],
        reason="Call the resident back",
        due_at=timezone.now() + timedelta(days=1),
        assignee=leaving,
    )
    estate = estate_with_households(community)[0]
    coming = DeskVisit.objects.create(
        estate=estate, scheduled_at=timezone.now() + timedelta(days=3)
    )
    held = DeskVisit.objects.create(
        estate=estate, scheduled_at=timezone.now() - timedelta(days=3), held=True
    )
    coming.staff.add(leaving)
    held.staff.add(leaving)
    return {
        "open": cases[:2],
        "closed": cases[2],
        "follow_up": follow_up,
        "coming": coming,
        "held": held,
    }


def counts(user) -> dict[str, int]:
    return {w.name: w.count for w in open_work(user)}


class TestService:
    def test_everything_open_moves_with_a_timeline_entry_and_history_stays(
        self, world, manager, leaving, successor, work
    ):
        assert counts(leaving)["portal.cases"] == 2
        assert counts(leaving)["housing.desk_visits"] == 1

        moved = hand_over_work(actor=manager, leaving=leaving, successor=successor)

        assert {w.name: w.count for w in moved}["portal.cases"] == 2
        assert set(counts(leaving).values()) == {0}
        for case in work["open"]:
            case.refresh_from_db()
            assert case.handler == successor
            entry = case.timeline.order_by("-at", "-pk").first()
            assert entry.verb == TimelineEntry.Verb.ASSIGNED and entry.actor == manager
            assert str(successor) in entry.comment and not entry.is_public
        work["closed"].refresh_from_db()
        assert work["closed"].handler == leaving, "closed cases are history"
        assert FollowUp.objects.get(pk=work["follow_up"].pk).assignee == successor
        assert list(work["coming"].staff.all()) == [successor]
        assert list(work["held"].staff.all()) == [leaving], "held visits are history"

    def test_a_sent_reminder_reminds_the_successor_again(self, manager, leaving, successor, work):
        FollowUp.objects.filter(pk=work["follow_up"].pk).update(
            state="sent", sent_at=timezone.now()
        )

        hand_over_work(actor=manager, leaving=leaving, successor=successor)

        follow_up = FollowUp.objects.get(pk=work["follow_up"].pk)
        assert follow_up.state == "scheduled" and follow_up.round == 2

    def test_a_successor_outside_the_community_gets_nothing(self, world, manager, leaving, work):
        outsider = world.users["other_staff"]

        with pytest.raises(ValidationError) as error:
            hand_over_work(actor=manager, leaving=leaving, successor=outsider)

        assert "successor" in error.value.message_dict
        assert Case.objects.filter(handler=leaving, closed_at__isnull=True).count() == 2
        assert list(work["coming"].staff.all()) == [leaving], "all or nothing"

    def test_a_deactivated_successor_or_the_leaver_themself_is_refused(
        self, manager, leaving, successor, work
    ):
        successor.is_active = False
        successor.save()
        for chosen in (successor, leaving):
            with pytest.raises(ValidationError):
                hand_over_work(actor=manager, leaving=leaving, successor=chosen)

    def test_only_those_who_manage_the_account_hand_over(self, world, leaving, successor, work):
        with pytest.raises(PermissionDenied):
            hand_over_work(actor=world.users["official"], leaving=leaving, successor=successor)

    def test_deactivating_after_the_hand_over_leaves_no_leftovers(
        self, manager, leaving, successor, work
    ):
        hand_over_work(actor=manager, leaving=leaving, successor=successor, deactivate=True)

        leaving.refresh_from_db()
        assert not leaving.is_active
        assert leftovers() == []
        call_command("check_leftovers")

    def test_deactivating_without_a_hand_over_is_listed_by_the_check(
        self, manager, leaving, work, capsys
    ):
        account_set_active(actor=manager, account=leaving, active=False)

        found = {(f.user, f.name): f.count for f in leftovers()}
        assert found[(leaving, "portal.cases")] == 2
        assert found[(leaving, "portal.follow_ups")] >= 1
        assert found[(leaving, "housing.desk_visits")] == 1
        with pytest.raises(SystemExit) as exit_:
            call_command("check_leftovers")
        assert exit_.value.code == 1
        assert "portal.cases" in capsys.readouterr().out


class TestPages:
    def url(self, account):
        return reverse("portal:account_handover", args=[account.pk])

    def test_scope_of_the_hand_over_page(self, client, world, leaving):
        check_scope(
            client,
            world,
            self.url(leaving),
            {
                "anonymous": 302,
                "resident": 403,
                "other_staff": 404,
                "own_staff": 403,  # nobody hands over their own work
                "programme_officer": 403,
                "official": 403,
                "org_member": 403,
            },
        )

    def test_the_manager_sees_counts_and_confirms_with_deactivation(
        self, client, manager, leaving, successor, work
    ):
        client.force_login(manager)
        page = client.get(self.url(leaving), HTTP_ACCEPT_LANGUAGE="en")
        assert page.status_code == 200
        assert successor in page.context["form"].fields["successor"].queryset
        assert {w.name: w.count for w in page.context["work"]}["portal.cases"] == 2

        response = client.post(self.url(leaving), {"successor": successor.pk, "deactivate": "on"})

        assert response.status_code == 302
        leaving.refresh_from_db()
        assert not leaving.is_active
        assert Case.objects.filter(handler=successor).count() == 2

    def test_a_colleague_out_of_reach_is_a_form_error(self, client, world, manager, leaving, work):
        client.force_login(manager)
        for value in (world.users["official"].pk, "abc", ""):
            response = client.post(self.url(leaving), {"successor": value})
            assert response.status_code == 200 and response.context["form"].errors

    def test_deactivating_an_account_with_open_work_warns_and_links(
        self, client, manager, leaving, work
    ):
        client.force_login(manager)
        detail = client.get(reverse("portal:account_detail", args=[leaving.pk]))
        assert self.url(leaving) in detail.content.decode()

        response = client.post(reverse("portal:account_deactivate", args=[leaving.pk]))

        levels = [m.level_tag for m in get_messages(response.wsgi_request)]
        assert "warning" in levels

    def test_the_audit_overview_lists_leftovers(self, client, world, manager, leaving, work):
        account_set_active(actor=manager, account=leaving, active=False)
        client.force_login(world.users["official"])

        response = client.get(reverse("portal:audit"))

        assert [f.user for _label, f in response.context["leftovers"]][:1] == [leaving]
        assert self.url(leaving) in response.content.decode()
