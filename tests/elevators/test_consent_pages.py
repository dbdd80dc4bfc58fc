"""Consent pages: the tally panel, voting, paper ballots, closing; and their scope."""

import pytest
from django.urls import reverse

from elevators.models import Ballot, Stage
from elevators.services import consent as services
from elevators.views.consent import consent_context
from housing.models import Relation
from tests.elevators.test_consent import make_owner, make_project, scan
from tests.scope import check_scope

ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def project(world):
    project, _flats = make_project(world)
    return project


@pytest.fixture
def flats(project):
    return list(project.unit.households.order_by("floor", "room_number"))


@pytest.fixture
def owner(world, flats):
    """The verified owner of flat 301 (third floor)."""
    flat = next(f for f in flats if f.room_number == "301")
    return make_owner(world, flat)


def detail_path(project) -> str:
    return f"/elevators/{project.pk}/"


# --- Scope --------------------------------------------------------------------------------


class TestScope:
    def test_the_tally_page(self, client, world, project):
        check_scope(
            client,
            world,
            reverse("elevators:consent", args=[project.pk]),
            {
                "anonymous": 302,
                "resident": 404,
                "other_staff": 404,
                "own_staff": 200,
                "programme_officer": 404,
                "official": 200,
                "org_member": 404,
            },
        )

    def test_voting(self, client, world, project, flats):
        check_scope(
            client,
            world,
            reverse("elevators:vote", args=[project.pk]),
            {
                "anonymous": 302,
                "resident": 404,
                "other_staff": 404,
                "own_staff": 403,
                "programme_officer": 404,
                "official": 403,
                "org_member": 404,
            },
            method="post",
            data={"household": flats[0].pk, "choice": "agree"},
        )
        assert not Ballot.objects.exists()

    def test_voting_answers_only_post(self, client, world, project, owner):
        client.force_login(owner)

        assert client.get(reverse("elevators:vote", args=[project.pk])).status_code == 405

    def test_the_paper_ballot_form(self, client, world, project):
        check_scope(
            client,
            world,
            reverse("elevators:paper_ballot", args=[project.pk]),
            {
                "anonymous": 302,
                "resident": 403,
                "other_staff": 404,
                "own_staff": 200,
                "programme_officer": 403,
                "official": 403,
                "org_member": 404,
            },
        )

    @pytest.mark.parametrize("method", ["get", "post"])
    def test_closing_the_vote(self, client, world, project, method):
        check_scope(
            client,
            world,
            reverse("elevators:close_vote", args=[project.pk]),
            {
                "anonymous": 302,
                "resident": 403,
                "other_staff": 404,
                "own_staff": 200 if method == "get" else 302,
                "programme_officer": 403,
                "official": 403,
                "org_member": 404,
            },
            method=method,
        )

    def test_an_owner_in_the_unit_sees_the_tally_page(self, client, world, project, owner):
        client.force_login(owner)

        assert client.get(reverse("elevators:consent", args=[project.pk])).status_code == 200


# --- The panel ----------------------------------------------------------------------------


class TestPanel:
    def test_staff_see_full_room_numbers_of_households_not_voted(self, client, world, project):
        client.force_login(world.users["own_staff"])

        response = client.get(reverse("elevators:consent", args=[project.pk]), **ENGLISH)

        assert response.context["consent_not_voted"][:3] == ["101", "102", "201"]
        assert response.context["consent_rooms_full"]
        assert response.context["consent_may_close"] and response.context["consent_may_record"]

    def test_residents_see_other_rooms_masked_to_their_floor(self, client, project, owner):
        client.force_login(owner)

        response = client.get(reverse("elevators:consent", args=[project.pk]), **ENGLISH)

        not_voted = response.context["consent_not_voted"]
        assert "3**" in not_voted and "301" not in not_voted
        assert "101" not in response.content.decode().split('id="consent-not-voted"')[1][:200]
        assert not response.context["consent_may_close"]

    def test_the_page_shows_every_configured_rule_side_by_side_and_which_governs(
        self, client, world, project
    ):
        from portal.models import RuleSet

        RuleSet.objects.create(
            kind="elevators.consent",
            area=world.areas["district"],
            version=1,
            payload={
                "rules": [
                    {"kind": "household_share", "threshold_percent": "80"},
                    {"kind": "civil_code_278"},
                ],
                "governing": 1,
            },
        )
        client.force_login(world.users["official"])

        response = client.get(reverse("elevators:consent", args=[project.pk]), **ENGLISH)

        results = response.context["consent_results"]
        assert [r["governing"] for r in results] == [False, True]
        page = response.content.decode()
        assert "share of the unit&#x27;s households agreeing, 80%" in page
        assert "Civil Code Art. 278 double majority" in page
        assert "counts once in the headcount" in page

    def test_a_verified_owner_sees_their_ballot_with_its_time(self, world, project, owner):
        household = services.owner_households(owner, project).get()
        services.ballot_cast(user=owner, project=project, household=household, choice="agree")

        context = consent_context(project, owner)

        [(mine, ballot)] = context["consent_my_ballots"]
        assert mine == household and ballot.choice == "agree" and ballot.cast_at
        assert context["consent_vote_form"] is not None

    def test_a_tenant_gets_no_vote_form(self, world, project, flats):
        tenant = make_owner(world, flats[0], relation=Relation.TENANT)

        context = consent_context(project, tenant)

        assert context["consent_vote_form"] is None and context["consent_my_ballots"] == []

    def test_once_closed_the_panel_shows_the_frozen_result(self, client, world, project):
        services.vote_close(actor=world.users["own_staff"], project=project)
        client.force_login(world.users["own_staff"])

        response = client.get(reverse("elevators:consent", args=[project.pk]), **ENGLISH)

        assert response.context["consent_frozen"] is not None
        assert not response.context["consent_may_close"]
        assert "the result below is frozen" in response.content.decode()


# --- Voting --------------------------------------------------------------------------------


class TestVoting:
    def test_a_verified_owner_votes_and_returns_to_the_project_page(self, client, project, owner):
        household = services.owner_households(owner, project).get()
        client.force_login(owner)

        response = client.post(
            reverse("elevators:vote", args=[project.pk]),
            {"household": household.pk, "choice": "agree"},
        )

        assert response.status_code == 302
        assert response["Location"] == detail_path(project)
        assert Ballot.objects.get(project=project, household=household).choice == "agree"

    def test_an_unverified_resident_is_refused(self, client, world, project, flats):
        tenant = make_owner(world, flats[0], relation=Relation.TENANT)
        client.force_login(tenant)

        response = client.post(
            reverse("elevators:vote", args=[project.pk]),
            {"household": flats[0].pk, "choice": "agree"},
        )

        assert response.status_code == 403
        assert not Ballot.objects.exists()

    def test_a_neighbours_flat_is_a_form_error(self, client, project, owner, flats):
        client.force_login(owner)

        response = client.post(
            reverse("elevators:vote", args=[project.pk]),
            {"household": flats[0].pk, "choice": "agree"},
            **ENGLISH,
        )

        assert response.status_code == 200
        assert "household" in response.context["form"].errors
        assert not Ballot.objects.exists()

    def test_a_vote_after_the_close_is_a_form_error_keeping_the_choice(
        self, client, world, project, owner
    ):
        household = services.owner_households(owner, project).get()
        services.vote_close(actor=world.users["own_staff"], project=project)
        client.force_login(owner)

        response = client.post(
            reverse("elevators:vote", args=[project.pk]),
            {"household": household.pk, "choice": "disagree"},
            **ENGLISH,
        )

        assert response.status_code == 200
        assert "The vote is closed" in response.content.decode()
        assert response.context["form"]["choice"].value() == "disagree"
        assert not Ballot.objects.exists()


# --- Paper ballots and closing ---------------------------------------------------------------


class TestStaffActions:
    def test_staff_record_a_paper_ballot_with_its_scan(self, client, world, project, flats):
        client.force_login(world.users["own_staff"])

        response = client.post(
            reverse("elevators:paper_ballot", args=[project.pk]),
            {"household": flats[4].pk, "choice": "disagree", "scan": scan()},
        )

        assert response.status_code == 302
        assert response["Location"] == detail_path(project)
        ballot = Ballot.objects.get(project=project)
        assert ballot.on_paper and ballot.evidence is not None

    def test_a_paper_ballot_without_a_scan_keeps_the_form(self, client, world, project, flats):
        client.force_login(world.users["own_staff"])

        response = client.post(
            reverse("elevators:paper_ballot", args=[project.pk]),
            {"household": flats[4].pk, "choice": "disagree"},
            **ENGLISH,
        )

        assert response.status_code == 200
        assert "scan" in response.context["form"].errors
        assert response.context["form"]["choice"].value() == "disagree"

    def test_a_paper_ballot_after_the_close_is_a_form_error(self, client, world, project, flats):
        services.vote_close(actor=world.users["own_staff"], project=project)
        client.force_login(world.users["own_staff"])

        response = client.post(
            reverse("elevators:paper_ballot", args=[project.pk]),
            {"household": flats[4].pk, "choice": "agree", "scan": scan()},
            **ENGLISH,
        )

        assert response.status_code == 200
        assert "The vote is closed" in response.content.decode()

    def test_staff_close_the_vote(self, client, world, project):
        client.force_login(world.users["own_staff"])

        response = client.post(reverse("elevators:close_vote", args=[project.pk]))

        assert response["Location"] == detail_path(project)
        project.refresh_from_db()
        assert project.frozen_result is not None

    def test_closing_outside_the_voting_stage_is_a_form_error(self, client, world):
        project, _flats = make_project(world, stage=Stage.INTENT, name="Early")
        client.force_login(world.users["own_staff"])

        response = client.post(reverse("elevators:close_vote", args=[project.pk]), **ENGLISH)

        assert response.status_code == 200
        assert "not in its voting stage" in response.content.decode()
