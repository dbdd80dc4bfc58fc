"""Estate governance: management modes, the 1+3+N roster and its gaps, property reviews."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from housing import governance
from housing.models import Estate, ManagementMode, ModeChange, PropertyReview, RosterEntry
from housing.models import RosterRole as R
from housing.services import governance as services
from housing.services import registry
from housing.views.governance import governance_context
from portal.models import FollowUp
from portal.roles import OrganisationType, Role
from portal.services import followups
from tests.factories import OrganisationFactory, UserFactory, member
from tests.housing.helpers import estate_with_households
from tests.scope import check_scope

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(client):
    """These tests read messages in English: the services and the pages speak it here."""
    from django.utils import translation

    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = date(2025, 1, 15)
Mode = ManagementMode


@pytest.fixture
def staff(world):
    return world.users["own_staff"]


@pytest.fixture
def estate(world):
    return Estate.objects.create(community=world.areas["community_a"], name="Qingyi")


@pytest.fixture
def company(world):
    return OrganisationFactory(
        name="Anju Property", type=OrganisationType.PROPERTY_COMPANY, area=world.areas["district"]
    )


def new_estate(world, name, **fields):
    return Estate.objects.create(community=world.areas["community_a"], name=name, **fields)


def add(staff, estate, role, *, started_on=DAY, **holder):
    holder = holder or {"name": "Li Ming"}
    return services.roster_add(
        actor=staff, estate=estate, role=role, started_on=started_on, **holder
    )


def gap_codes(estate, today=None):
    entries = governance.active_roster(estate, today)
    return [g.code for g in governance.roster_gaps(estate, entries, today=today)]


def review(staff, estate, company, *, on=DAY, **scores):
    values = {"security": 4, "cleaning": 3, "maintenance": 5, "responsiveness": 4, **scores}
    return services.review_add(
        actor=staff, estate=estate, company=company, reviewed_on=on, **values
    )


def scheduled_reviews(estate):
    return services.review_follow_ups(estate).filter(state=FollowUp.State.SCHEDULED)


class TestModeChange:
    def test_two_changes_write_two_history_rows_with_their_previous_modes(self, staff, estate):
        services.estate_mode_change(
            actor=staff, estate=estate, mode=Mode.MIXED, reason="Disputes", changed_on=DAY
        )
        services.estate_mode_change(
            actor=staff,
            estate=estate,
            mode=Mode.ENTRUSTED,
            reason="A company is accepted",
            changed_on=DAY + timedelta(days=30),
        )

        estate.refresh_from_db()
        assert estate.management_mode == Mode.ENTRUSTED
        history = list(
            ModeChange.objects.filter(estate=estate).values_list("previous_mode", "mode")
        )
        assert history == [(Mode.MIXED, Mode.ENTRUSTED), (Mode.UNSET, Mode.MIXED)]
        assert ModeChange.objects.filter(estate=estate, changed_by=staff).count() == 2

    def test_an_empty_reason_is_refused_and_nothing_changes(self, staff, estate):
        with pytest.raises(ValidationError) as error:
            services.estate_mode_change(
                actor=staff, estate=estate, mode=Mode.MIXED, reason="   ", changed_on=DAY
            )

        assert error.value.error_dict["reason"][0].code == "reason_required"
        estate.refresh_from_db()
        assert estate.management_mode == Mode.UNSET and not ModeChange.objects.exists()

    def test_the_same_mode_again_changes_nothing(self, staff, estate):
        services.estate_mode_change(
            actor=staff, estate=estate, mode=Mode.MIXED, reason="Disputes", changed_on=DAY
        )

        again = services.estate_mode_change(
            actor=staff, estate=estate, mode=Mode.MIXED, reason="Again", changed_on=DAY
        )

        assert again is None and ModeChange.objects.count() == 1

    def test_an_unknown_mode_is_refused(self, staff, estate):
        with pytest.raises(ValidationError):
            services.estate_mode_change(
                actor=staff, estate=estate, mode="anarchy", reason="x", changed_on=DAY
            )

    @pytest.mark.parametrize("persona", ["other_staff", "official", "resident", "org_member"])
    def test_only_those_who_may_change_the_estate_change_its_mode(self, world, estate, persona):
        with pytest.raises(PermissionDenied):
            services.estate_mode_change(
                actor=world.users[persona],
                estate=estate,
                mode=Mode.MIXED,
                reason="Disputes",
                changed_on=DAY,
            )
        assert not ModeChange.objects.exists()

    def test_entrusting_schedules_a_review_three_months_on(self, world, staff, estate):
        services.estate_mode_change(
            actor=staff, estate=estate, mode=Mode.ENTRUSTED, reason="Accepted", changed_on=DAY
        )

        [follow_up] = scheduled_reviews(estate)
        assert follow_up.due_at == datetime(2025, 4, 15, 9, 0, tzinfo=SHANGHAI)
        assert follow_up.assignee_role == Role.COMMUNITY_STAFF
        assert follow_up.assignee_area == world.areas["community_a"]
        assert follow_up.purpose == FollowUp.Purpose.MANUAL and follow_up.case is None
        assert "Qingyi" in follow_up.reason

    def test_self_managing_cancels_the_scheduled_review(self, staff, estate):
        services.estate_mode_change(
            actor=staff, estate=estate, mode=Mode.ENTRUSTED, reason="Accepted", changed_on=DAY
        )

        services.estate_mode_change(
            actor=staff,
            estate=estate,
            mode=Mode.SELF_MANAGED,
            reason="Company left",
            changed_on=DAY,
        )

        assert not scheduled_reviews(estate).exists()
        assert FollowUp.objects.filter(state=FollowUp.State.CANCELLED).count() == 1


class TestRoster:
    def test_exactly_one_holder_is_required(self, staff, estate, company):
        for holders in ({}, {"name": "Li", "organisation": company}):
            with pytest.raises(ValidationError) as error:
                services.roster_add(
                    actor=staff, estate=estate, role=R.VOLUNTEER, started_on=DAY, **holders
                )
            assert error.value.code == "one_holder"

    def test_a_building_is_only_for_a_building_head_of_this_estate(self, world, staff):
        estate, _flats = estate_with_households(world.areas["community_a"], name="Qingyi")
        other, _ = estate_with_households(world.areas["community_a"], name="Other")
        building, elsewhere = estate.buildings.get(), other.buildings.get()

        with pytest.raises(ValidationError) as error:
            add(staff, estate, R.VOLUNTEER, name="Li", building=building)
        assert error.value.error_dict["building"][0].code == "building_not_head"
        with pytest.raises(ValidationError) as error:
            add(staff, estate, R.BUILDING_HEAD, name="Li", building=elsewhere)
        assert error.value.error_dict["building"][0].code == "building_elsewhere"

        entry = add(staff, estate, R.BUILDING_HEAD, name="Li", building=building)
        assert entry.building == building

    def test_a_person_the_actor_cannot_see_is_refused(self, world, staff, estate):
        elsewhere = registry.person_create(
            actor=world.users["other_staff"], community=world.areas["community_b"], name="赵花"
        )

        with pytest.raises(ValidationError) as error:
            add(staff, estate, R.PARTY_MEMBER, person=elsewhere)

        assert error.value.error_dict["person"][0].code == "person_not_visible"

    def test_a_person_on_file_joins_the_roster(self, world, staff, estate):
        person = registry.person_create(
            actor=staff, community=world.areas["community_a"], name="王鹏"
        )

        entry = add(staff, estate, R.PARTY_MEMBER, person=person)

        assert entry.person == person and entry.display_name == "王鹏"

    def test_ending_an_entry_keeps_it_out_of_the_active_roster(self, staff, estate):
        entry = add(staff, estate, R.VOLUNTEER)

        services.roster_end(actor=staff, entry=entry, ended_on=DAY + timedelta(days=10))

        assert list(governance.active_roster(estate, today=DAY + timedelta(days=9))) == [entry]
        assert list(governance.active_roster(estate, today=DAY + timedelta(days=10))) == []

    def test_an_end_before_the_start_is_refused(self, staff, estate):
        entry = add(staff, estate, R.VOLUNTEER)

        with pytest.raises(ValidationError) as error:
            services.roster_end(actor=staff, entry=entry, ended_on=DAY - timedelta(days=1))

        assert error.value.error_dict["ended_on"][0].code == "ends_before_start"
        assert str(DAY) in error.value.messages[0]

    def test_ending_twice_on_the_same_day_changes_nothing(self, staff, estate):
        entry = add(staff, estate, R.VOLUNTEER)
        services.roster_end(actor=staff, entry=entry, ended_on=DAY)

        again = services.roster_end(actor=staff, entry=entry, ended_on=DAY)

        assert again.ended_on == DAY

    def test_staff_of_another_community_may_not_touch_the_roster(self, world, staff, estate):
        entry = add(staff, estate, R.VOLUNTEER)
        with pytest.raises(PermissionDenied):
            add(world.users["other_staff"], estate, R.VOLUNTEER)
        with pytest.raises(PermissionDenied):
            services.roster_end(actor=world.users["other_staff"], entry=entry, ended_on=DAY)


class TestGaps:
    def test_an_estate_without_a_mode_has_that_gap(self, estate):
        assert gap_codes(estate) == ["no_mode"]
        assert str(governance.roster_gaps(estate, [])[0]) == "no management mode"

    def test_a_mixed_estate_needs_the_branch_committee_company_and_the_n(self, staff, world):
        estate = new_estate(world, "Mixed", management_mode=Mode.MIXED)
        assert gap_codes(estate) == [
            "no_party_branch",
            "no_owners_committee",
            "no_property_company",
            "no_participants",
        ]
        labels = [str(g) for g in governance.roster_gaps(estate, [])]
        assert "mixed mode, no owners' committee" in labels

        add(staff, estate, R.PARTY_BRANCH_SECRETARY)
        add(staff, estate, R.COMMITTEE_CHAIR)
        assert gap_codes(estate) == ["no_property_company", "no_participants"]
        add(staff, estate, R.PROPERTY_MANAGER)
        add(staff, estate, R.GRID_HEAD)
        assert gap_codes(estate) == []

    def test_estate_fields_fill_the_branch_committee_and_company(self, world, company):
        estate = new_estate(
            world,
            "Mixed",
            management_mode=Mode.MIXED,
            has_party_branch=True,
            owners_committee_founded_on=DAY,
            property_company=company,
        )

        assert gap_codes(estate) == ["no_participants"]

    @pytest.mark.parametrize("role", governance.PARTICIPANT_ROLES)
    def test_any_participant_role_counts_as_the_n(self, world, staff, role):
        estate = new_estate(world, "Mixed", management_mode=Mode.MIXED)

        add(staff, estate, role)

        assert "no_participants" not in gap_codes(estate)

    def test_an_entrusted_estate_needs_a_company_and_a_party_liaison(self, world, staff, company):
        estate = new_estate(world, "Entrusted", management_mode=Mode.ENTRUSTED)
        assert gap_codes(estate) == ["no_property_company", "no_party_liaison"]

        estate.property_company = company
        estate.save()
        add(staff, estate, R.PARTY_LIAISON)

        assert gap_codes(estate) == []

    def test_a_self_managed_estate_needs_a_committee_and_a_building_head(self, world, staff):
        estate = new_estate(world, "Self", management_mode=Mode.SELF_MANAGED)
        assert gap_codes(estate) == ["no_owners_committee", "no_building_head"]
        assert [str(g) for g in governance.roster_gaps(estate, [])][0] == (
            "self-managed, no owners' committee"
        )

        add(staff, estate, R.COMMITTEE_CHAIR)
        add(staff, estate, R.BUILDING_HEAD)

        assert gap_codes(estate) == []

    def test_an_ended_entry_does_not_count_but_one_ending_later_does(self, world, staff):
        estate = new_estate(world, "Self", management_mode=Mode.SELF_MANAGED)
        add(staff, estate, R.COMMITTEE_CHAIR)
        head = add(staff, estate, R.BUILDING_HEAD)
        head = services.roster_end(actor=staff, entry=head, ended_on=DAY + timedelta(days=5))

        assert gap_codes(estate, today=DAY + timedelta(days=4)) == []
        assert gap_codes(estate, today=DAY + timedelta(days=5)) == ["no_building_head"]
        # An ended entry passed in by mistake is ignored as well.
        assert [
            g.code for g in governance.roster_gaps(estate, [head], today=DAY + timedelta(days=5))
        ] == [
            "no_owners_committee",
            "no_building_head",
        ]


def mixed_bag(world, staff, company, n: int) -> list[Estate]:
    """`n` estates cycling through modes and partial rosters, some entries ended."""
    estates = []
    for i in range(n):
        mode = [Mode.UNSET, Mode.MIXED, Mode.ENTRUSTED, Mode.SELF_MANAGED][i % 4]
        estate = new_estate(
            world,
            f"Estate {i:03}",
            management_mode=mode,
            has_party_branch=i % 3 == 0,
            owners_committee_founded_on=DAY if i % 5 == 0 else None,
            property_company=company if i % 7 == 0 else None,
        )
        roles = [
            R.COMMITTEE_CHAIR,
            R.BUILDING_HEAD,
            R.PARTY_LIAISON,
            R.VOLUNTEER,
            R.PROPERTY_MANAGER,
        ]
        for j, role in enumerate(roles):
            if (i + j) % 3 == 0:
                entry = RosterEntry.objects.create(
                    estate=estate, role=role, name="x", started_on=DAY
                )
                if (i + j) % 2 == 0:
                    entry.ended_on = DAY  # ended: must not count
                    entry.save()
        if i % 8 == 7:  # self-managed and complete
            estate.owners_committee_founded_on = DAY
            estate.save()
            RosterEntry.objects.create(
                estate=estate, role=R.BUILDING_HEAD, name="y", started_on=DAY
            )
        estates.append(estate)
    return estates


class TestGapsInTheDatabase:
    def test_annotations_and_filters_agree_with_roster_gaps(self, world, staff, company):
        estates = mixed_bag(world, staff, company, 24)
        today = DAY + timedelta(days=1)

        annotated = governance.annotate_gaps(Estate.objects.all(), today=today)
        from_sql = {e.pk: [g.code for g in governance.gaps_of(e)] for e in annotated}
        in_python = {e.pk: gap_codes(e, today=today) for e in estates}

        assert from_sql == in_python
        assert any(from_sql.values()) and not all(from_sql.values())
        for code in governance.GAP_CODES:
            filtered = governance.filter_gap(Estate.objects.all(), code, today=today)
            assert {e.pk for e in filtered} == {
                pk for pk, codes in in_python.items() if code in codes
            }

    def test_filtering_an_annotated_list_and_an_empty_or_unknown_code(self, world, staff, company):
        mixed_bag(world, staff, company, 8)
        estates = governance.annotate_gaps(Estate.objects.all())

        assert governance.filter_gap(estates, "").count() == 8
        assert governance.filter_gap(estates, "nonsense").count() == 0
        assert all(e.gap_no_mode for e in governance.filter_gap(estates, "no_mode"))

    def test_gap_choices_name_every_code(self):
        assert [code for code, _label in governance.GAP_CHOICES] == list(governance.GAP_CODES)

    @pytest.mark.parametrize("size", [5, 50])
    def test_the_gaps_of_a_list_take_one_query_at_any_size(
        self, world, staff, company, size, django_assert_num_queries
    ):
        mixed_bag(world, staff, company, size)

        with django_assert_num_queries(1):
            rows = [
                governance.gaps_of(e)
                for e in governance.filter_gap(
                    governance.annotate_gaps(Estate.objects.all()), "no_building_head"
                )
            ]

        assert rows and all(rows)


class TestReviews:
    @pytest.mark.parametrize("bad", [0, 6, -1, True, "4"])
    def test_scores_outside_one_to_five_are_refused_with_a_clear_message(
        self, staff, estate, company, bad
    ):
        with pytest.raises(ValidationError) as error:
            review(staff, estate, company, security=bad, cleaning=bad)

        assert set(error.value.error_dict) == {"security", "cleaning"}
        assert error.value.error_dict["security"][0].code == "score_range"
        assert "from 1 (poor) to 5 (very good)" in error.value.error_dict["security"][0].message
        assert not PropertyReview.objects.exists()

    def test_only_a_property_company_is_reviewed(self, world, staff, estate):
        with pytest.raises(ValidationError) as error:
            review(staff, estate, world.organisation)

        assert error.value.error_dict["company"][0].code == "not_property_company"

    def test_the_reviewer_is_the_actor(self, staff, estate, company):
        assert review(staff, estate, company).reviewer == staff

    def test_an_official_may_not_review(self, world, estate, company):
        with pytest.raises(PermissionDenied):
            review(world.users["official"], estate, company)

    def test_the_next_review_of_an_entrusted_estate_is_replaced_not_duplicated(
        self, world, staff, company
    ):
        estate = new_estate(world, "Entrusted", management_mode=Mode.ENTRUSTED)

        review(staff, estate, company, on=DAY)
        [first] = scheduled_reviews(estate)
        assert first.due_at == datetime(2025, 4, 15, 9, 0, tzinfo=SHANGHAI)

        review(staff, estate, company, on=date(2025, 4, 10))
        [second] = scheduled_reviews(estate)
        assert second.due_at == datetime(2025, 7, 10, 9, 0, tzinfo=SHANGHAI)
        first.refresh_from_db()
        assert first.state == FollowUp.State.CANCELLED

    def test_a_late_entry_of_an_old_review_keeps_the_schedule_of_the_latest(
        self, world, staff, company
    ):
        estate = new_estate(world, "Entrusted", management_mode=Mode.ENTRUSTED)
        review(staff, estate, company, on=date(2025, 4, 10))

        review(staff, estate, company, on=DAY)

        [follow_up] = scheduled_reviews(estate)
        assert follow_up.due_at == datetime(2025, 7, 10, 9, 0, tzinfo=SHANGHAI)

    def test_a_mixed_estate_is_reviewed_half_yearly_and_a_self_managed_one_never(
        self, world, staff, company
    ):
        mixed = new_estate(world, "Mixed", management_mode=Mode.MIXED)
        self_managed = new_estate(world, "Self", management_mode=Mode.SELF_MANAGED)

        review(staff, mixed, company, on=date(2025, 8, 31))
        review(staff, self_managed, company)

        assert scheduled_reviews(mixed).get().due_at == datetime(2026, 2, 28, 9, 0, tzinfo=SHANGHAI)
        assert not scheduled_reviews(self_managed).exists()

    def test_the_reminder_that_asked_for_the_review_is_done_once_it_is_recorded(
        self, world, staff, company
    ):
        estate = new_estate(world, "Entrusted", management_mode=Mode.ENTRUSTED)
        review(staff, estate, company, on=DAY)
        followups.followups_deliver_due(now=datetime(2025, 4, 15, 9, 1, tzinfo=SHANGHAI))
        reminder = services.review_follow_ups(estate).get()
        assert reminder.state == FollowUp.State.SENT

        review(staff, estate, company, on=date(2025, 4, 16))

        reminder.refresh_from_db()
        assert reminder.state == FollowUp.State.DONE
        assert scheduled_reviews(estate).count() == 1

    def test_months_are_added_with_short_months_clamped(self):
        assert governance.add_months(date(2025, 11, 30), 3) == date(2026, 2, 28)
        assert governance.add_months(date(2024, 8, 31), 6) == date(2025, 2, 28)
        assert governance.add_months(date(2025, 1, 15), 12) == date(2026, 1, 15)


# --- Pages --------------------------------------------------------------------------------


def estate_path(estate) -> str:
    return f"/housing/estates/{estate.pk}/"


ACTORS = {
    "anonymous": 302,
    "resident": 403,
    "other_staff": 404,
    "own_staff": 200,
    "programme_officer": 200,
    "official": 403,
    "org_member": 403,
}


class TestPageScope:
    @pytest.mark.parametrize(
        "name", ["housing:estate_mode", "housing:roster_add", "housing:review_add"]
    )
    @pytest.mark.parametrize("method", ["get", "post"])
    def test_scope_of_the_estate_forms(self, client, world, estate, name, method):
        # Empty posts: a form error (200) for those who may act, 403 or 404 for the rest.
        responses = check_scope(
            client, world, reverse(name, args=[estate.pk]), ACTORS, method=method
        )
        if method == "post":
            assert responses["own_staff"].context["form"].errors
        assert not ModeChange.objects.exists() and not RosterEntry.objects.exists()

    def test_scope_of_ending_a_roster_entry(self, client, world, staff, estate):
        entry = add(staff, estate, R.VOLUNTEER)

        check_scope(
            client, world, reverse("housing:roster_end", args=[entry.pk]), ACTORS, method="post"
        )

        entry.refresh_from_db()
        assert entry.ended_on is None

    def test_ending_a_roster_entry_is_post_only(self, client, staff, estate):
        entry = add(staff, estate, R.VOLUNTEER)
        client.force_login(staff)

        assert client.get(reverse("housing:roster_end", args=[entry.pk])).status_code == 405

    def test_scope_of_the_company_pages(self, client, world, staff, estate, company):
        estate.property_company = company
        estate.save()
        readers = {**ACTORS, "other_staff": 200, "official": 200}

        check_scope(client, world, reverse("housing:company_list"), readers)
        check_scope(
            client,
            world,
            reverse("housing:company_detail", args=[company.pk]),
            {**readers, "other_staff": 404},
        )

    def test_a_company_serving_no_visible_estate_is_not_found(self, client, world, company):
        client.force_login(world.users["own_staff"])

        assert client.get(reverse("housing:company_detail", args=[company.pk])).status_code == 404
        assert (
            client.get(reverse("housing:company_detail", args=[world.organisation.pk])).status_code
            == 404
        )


class TestPages:
    def test_staff_change_the_mode_and_return_to_the_estate(self, client, staff, estate):
        client.force_login(staff)

        response = client.post(
            reverse("housing:estate_mode", args=[estate.pk]),
            {"mode": Mode.ENTRUSTED, "changed_on": "2025-01-15", "reason": "Company accepted"},
        )

        assert response.status_code == 302 and response["Location"] == estate_path(estate)
        estate.refresh_from_db()
        assert estate.management_mode == Mode.ENTRUSTED
        assert scheduled_reviews(estate).count() == 1

    def test_an_empty_reason_keeps_the_form_and_what_was_typed(self, client, staff, estate):
        client.force_login(staff)

        response = client.post(
            reverse("housing:estate_mode", args=[estate.pk]),
            {"mode": Mode.MIXED, "changed_on": "2025-01-15", "reason": "   "},
        )

        assert response.status_code == 200
        assert response.context["form"].errors["reason"]
        assert 'value="2025-01-15"' in response.content.decode()

    def test_malformed_input_is_a_form_error(self, client, staff, estate):
        client.force_login(staff)
        bad = {
            "housing:estate_mode": {"mode": "x", "changed_on": "tomorrow", "reason": "x" * 400},
            "housing:roster_add": {"role": "boss", "person": "abc", "started_on": "31/02"},
            "housing:review_add": {"company": "0", "security": "ten", "reviewed_on": "?"},
        }
        for name, data in bad.items():
            response = client.post(reverse(name, args=[estate.pk]), data)
            assert response.status_code == 200, name
            assert response.context["form"].errors, name

    def test_staff_add_and_end_a_roster_entry(self, client, world, staff):
        estate, flats = estate_with_households(world.areas["community_a"], name="Qingyi")
        person = registry.person_create(
            actor=staff, community=world.areas["community_a"], name="王鹏", household=flats[0]
        )
        client.force_login(staff)
        page = client.get(reverse("housing:roster_add", args=[estate.pk]))
        assert person in page.context["form"].fields["person"].queryset

        response = client.post(
            reverse("housing:roster_add", args=[estate.pk]),
            {
                "role": R.BUILDING_HEAD,
                "person": person.pk,
                "building": estate.buildings.get().pk,
                "started_on": "2025-01-15",
            },
        )
        assert response.status_code == 302 and response["Location"] == estate_path(estate)
        entry = RosterEntry.objects.get()

        response = client.post(
            reverse("housing:roster_end", args=[entry.pk]), {"ended_on": "2025-03-01"}
        )
        assert response.status_code == 302 and response["Location"] == estate_path(estate)
        entry.refresh_from_db()
        assert entry.ended_on == date(2025, 3, 1)

    def test_two_holders_at_once_are_a_form_error(self, client, staff, estate):
        client.force_login(staff)

        response = client.post(
            reverse("housing:roster_add", args=[estate.pk]),
            {
                "role": R.VOLUNTEER,
                "name": "Li Ming",
                "started_on": "2025-01-15",
                "organisation": "",
            },
        )
        assert response.status_code == 302
        response = client.post(
            reverse("housing:roster_add", args=[estate.pk]),
            {"role": R.VOLUNTEER, "started_on": "2025-01-15"},
        )

        assert response.status_code == 200
        assert "exactly one" in " ".join(response.context["form"].non_field_errors())

    def test_an_end_before_the_start_keeps_the_form(self, client, staff, estate):
        entry = add(staff, estate, R.VOLUNTEER)
        client.force_login(staff)

        response = client.post(
            reverse("housing:roster_end", args=[entry.pk]), {"ended_on": "2024-01-01"}
        )

        assert response.status_code == 200
        assert response.context["form"].errors["ended_on"]

    def test_a_score_of_nine_keeps_the_review_form_and_says_why(
        self, client, staff, estate, company
    ):
        client.force_login(staff)
        data = {
            "company": company.pk,
            "reviewed_on": "2025-01-15",
            "security": "9",
            "cleaning": "3",
            "maintenance": "4",
            "responsiveness": "4",
            "problems_raised": "Lift repairs slow",
        }

        response = client.post(reverse("housing:review_add", args=[estate.pk]), data)

        assert response.status_code == 200
        assert "from 1 (poor) to 5 (very good)" in str(response.context["form"].errors["security"])
        assert "Lift repairs slow" in response.content.decode()

        response = client.post(
            reverse("housing:review_add", args=[estate.pk]), {**data, "security": "5"}
        )
        assert response.status_code == 302 and response["Location"] == estate_path(estate)
        assert PropertyReview.objects.get().reviewer == staff

    def test_a_wrong_score_is_named_alongside_the_other_mistakes(self, client, staff, estate):
        client.force_login(staff)

        response = client.post(reverse("housing:review_add", args=[estate.pk]), {"security": "0"})

        errors = response.context["form"].errors
        assert response.status_code == 200 and {"security", "company", "cleaning"} <= set(errors)
        assert "from 1 (poor) to 5 (very good)" in str(errors["security"])

    def test_the_company_page_averages_its_reviews(self, client, world, staff, company):
        estate = new_estate(world, "Served", property_company=company)
        review(staff, estate, company, security=5, cleaning=4, maintenance=3, responsiveness=2)
        review(staff, estate, company, security=3, cleaning=4, maintenance=5, responsiveness=4)
        client.force_login(staff)

        response = client.get(reverse("housing:company_detail", args=[company.pk]))

        averages = response.context["averages"]
        assert averages["count"] == 2 and averages["security_avg"] == 4
        assert averages["responsiveness_avg"] == 3
        assert averages["overall_avg"] == pytest.approx(3.75)
        [(served, url)] = response.context["estates"]
        assert served == estate and served.review_count == 2 and url == estate_path(estate)

    @pytest.mark.parametrize("size", [2, 30])
    def test_the_company_list_takes_a_fixed_number_of_queries(
        self, client, world, staff, size, django_assert_max_num_queries
    ):
        for i in range(size):
            company = OrganisationFactory(
                type=OrganisationType.PROPERTY_COMPANY, area=world.areas["community_a"]
            )
            estate = new_estate(world, f"Estate {i}", property_company=company)
            review(staff, estate, company)
        client.force_login(staff)

        with django_assert_max_num_queries(7):
            response = client.get(reverse("housing:company_list"))

        rows = list(response.context["object_list"])
        assert len(rows) == min(size, 25)
        assert all(c.estate_count == 1 and c.review_count == 1 for c in rows)

    @pytest.mark.parametrize("size", [2, 30])
    def test_the_company_page_takes_a_fixed_number_of_queries(
        self, client, world, staff, company, size, django_assert_max_num_queries
    ):
        for i in range(size):
            estate = new_estate(world, f"Estate {i}", property_company=company)
            review(staff, estate, company)
        client.force_login(staff)

        with django_assert_max_num_queries(10):
            response = client.get(reverse("housing:company_detail", args=[company.pk]))

        assert response.status_code == 200 and len(response.context["reviews"]) == min(size, 25)


class TestGovernancePanel:
    def render(self, estate, user):
        request = RequestFactory().get("/")
        request.user = user
        context = {"estate": estate, **governance_context(estate, user)}
        return context, render_to_string("housing/_governance.html", context, request=request)

    def test_staff_see_gaps_history_reviews_and_forms(self, world, staff, company):
        estate = new_estate(world, "Qingyi")
        person = registry.person_create(
            actor=staff, community=world.areas["community_a"], name="王鹏"
        )
        add(staff, estate, R.BUILDING_HEAD, person=person)
        services.estate_mode_change(
            actor=staff, estate=estate, mode=Mode.MIXED, reason="Parking disputes", changed_on=DAY
        )
        services.estate_mode_change(
            actor=staff, estate=estate, mode=Mode.ENTRUSTED, reason="Accepted", changed_on=DAY
        )
        review(staff, estate, company)

        context, html = self.render(estate, staff)

        assert [c.reason for c in context["mode_history"]] == ["Accepted", "Parking disputes"]
        assert [g.code for g in context["gaps"]] == ["no_property_company", "no_party_liaison"]
        assert context["roster"][0][0] == R.BUILDING_HEAD.label
        assert "王鹏" in html and "Parking disputes" in html and "Anju Property" in html
        assert context["next_review"].due_at.date() == date(2025, 4, 15)
        assert reverse("housing:estate_mode", args=[estate.pk]) in html
        assert reverse("housing:roster_add", args=[estate.pk]) in html

    def test_a_resident_sees_the_mode_and_masked_names_only(self, world, staff, company):
        estate = new_estate(world, "Qingyi", management_mode=Mode.ENTRUSTED)
        person = registry.person_create(
            actor=staff, community=world.areas["community_a"], name="王鹏"
        )
        add(staff, estate, R.BUILDING_HEAD, person=person)
        review(staff, estate, company)

        context, html = self.render(estate, world.users["resident"])

        assert context["gaps"] == [] and context["reviews"] == [] and not context["may_govern"]
        assert "王*" in html and "王鹏" not in html and "Anju Property" not in html
        assert "mode_form" not in context

    def test_the_panel_keeps_clear_of_the_estate_page_context(self, world, staff):
        context = governance_context(new_estate(world, "Qingyi"), staff)

        assert not {"estate", "may_change", "buildings"} & set(context)

    @pytest.mark.parametrize("size", [2, 20])
    def test_the_panel_takes_a_fixed_number_of_queries(
        self, world, staff, company, size, django_assert_max_num_queries
    ):
        estate = new_estate(world, "Qingyi", management_mode=Mode.MIXED)
        for i in range(size):
            person = registry.person_create(
                actor=staff, community=world.areas["community_a"], name=f"P{i}"
            )
            add(staff, estate, R.VOLUNTEER, person=person)
            review(staff, estate, company)
        staff = type(staff).objects.get(pk=staff.pk)

        with django_assert_max_num_queries(6):
            self.render(estate, staff)


def test_a_second_community_staff_member_also_gets_the_review_reminder(world, staff, estate):
    colleague = UserFactory()
    member(colleague, Role.COMMUNITY_STAFF, area=world.areas["community_a"])
    services.estate_mode_change(
        actor=staff, estate=estate, mode=Mode.ENTRUSTED, reason="Accepted", changed_on=DAY
    )

    assert (
        FollowUp.objects.for_user(colleague).filter(pk=scheduled_reviews(estate).get().pk).exists()
    )
