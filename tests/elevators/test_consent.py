"""Consent: the pure count and rules (with properties), and the ballot services."""

import io
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from elevators import consent
from elevators.consent import ABSTAIN, AGREE, DISAGREE, evaluate, tally
from elevators.models import Ballot, Project, Stage
from elevators.rules import CIVIL_CODE_278, HOUSEHOLD_SHARE, YANGQUAN_CONSENT
from elevators.services import consent as services
from housing.models import HouseholdClaim, Person, Relation, Residence
from portal.models import Attachment, RuleSet, TimelineEntry
from portal.roles import Role
from portal.services.cases import case_open
from tests.factories import UserFactory, member
from tests.housing.helpers import estate_with_households

SHARE_80 = {"kind": HOUSEHOLD_SHARE, "threshold_percent": "80"}
CIVIL = {"kind": CIVIL_CODE_278}


# --- Building blocks (also used by the page and browser tests) ------------------------


def make_project(world, *, households=12, stage=Stage.VOTING, name="Shengzeyuan"):
    """A project on a fresh unit of community A, in `stage`; returns (project, flats)."""
    _estate, flats = estate_with_households(
        world.areas["community_a"], name=name, households=households
    )
    case = case_open(
        kind="elevators.project",
        actor=world.users["own_staff"],
        community=world.areas["community_a"],
        title="1号楼1单元 加装电梯",
    )
    project = Project.objects.create(
        case=case,
        unit=flats[0].unit,
        total_cost=Decimal("600000"),
        subsidy=Decimal("200000"),
        stage=stage,
    )
    return Project.objects.select_related("case__community").get(pk=project.pk), flats


def make_owner(world, household, *, user=None, name="胡桃兰", relation=Relation.OWNER):
    """A resident account that is the verified owner of `household`; returns the user."""
    user = user or UserFactory()
    if not user.memberships.exists():
        member(user, Role.RESIDENT, area=world.areas["community_a"])
    person = Person.objects.filter(user=user).first() or Person.objects.create(
        community=world.areas["community_a"], name=name, user=user
    )
    Residence.objects.create(person=person, household=household, relation=relation)
    return user


def scan(name="form.png"):
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (240, 240, 240)).save(out, "PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def flats(n, *, area="100"):
    """n households, each its own owner, of equal area."""
    return [(i, f"o{i}", Decimal(area)) for i in range(n)]


# --- The count ------------------------------------------------------------------------


class TestTally:
    def test_counts_households_and_area_per_choice_and_not_voted(self):
        households = [(1, "a", Decimal("60.50")), (2, "b", Decimal("70")), (3, "c", Decimal("80"))]

        counted = tally(households, {1: AGREE, 2: ABSTAIN})

        assert (counted.agree.households, counted.agree.area) == (1, Decimal("60.50"))
        assert (counted.abstain.households, counted.abstain.area) == (1, Decimal("70"))
        assert (counted.not_voted.households, counted.not_voted.area) == (1, Decimal("80"))
        assert counted.voting.households == 2
        assert counted.total.area == Decimal("210.50")

    def test_an_owner_of_several_flats_counts_once_in_the_headcount(self):
        households = [(1, "hu", Decimal(70)), (2, "hu", Decimal(70)), (3, "jing", Decimal(70))]

        counted = tally(households, {1: AGREE, 2: AGREE, 3: DISAGREE})

        assert counted.owners == 2
        assert counted.owners_voting == 2
        assert counted.owners_agreeing == 1

    def test_an_owner_agrees_only_when_every_flat_they_voted_for_agrees(self):
        households = [(1, "hu", Decimal(70)), (2, "hu", Decimal(70))]

        split = tally(households, {1: AGREE, 2: DISAGREE})
        half_silent = tally(households, {1: AGREE})
        silent = tally(households, {})

        assert (split.owners_voting, split.owners_agreeing) == (1, 0)
        assert (half_silent.owners_voting, half_silent.owners_agreeing) == (1, 1)
        assert (silent.owners_voting, silent.owners_agreeing) == (0, 0)

    def test_an_unknown_choice_is_refused(self):
        with pytest.raises(ValueError):
            tally(flats(1), {0: "maybe"})

    def test_ballots_of_households_outside_the_unit_are_not_counted(self):
        assert tally(flats(2), {0: AGREE, 99: AGREE}).agree.households == 1


class TestHouseholdShare:
    def test_eight_of_ten_households_agreeing_pass_eighty_percent(self):
        result = evaluate(SHARE_80, tally(flats(10), dict.fromkeys(range(8), AGREE)))

        assert result.passed
        assert result.conditions[0].percent == Decimal("80.0")
        assert result.conditions[0].required == "80%"

    def test_seven_of_ten_households_agreeing_fail_eighty_percent(self):
        assert not evaluate(SHARE_80, tally(flats(10), dict.fromkeys(range(7), AGREE))).passed

    def test_abstention_and_silence_do_not_agree(self):
        ballots = {**dict.fromkeys(range(7), AGREE), 7: ABSTAIN}

        assert not evaluate(SHARE_80, tally(flats(10), ballots)).passed

    def test_a_fractional_threshold_is_compared_exactly(self):
        rule = {"kind": HOUSEHOLD_SHARE, "threshold_percent": "66.67"}

        two_of_three = tally(flats(3), {0: AGREE, 1: AGREE})

        assert not evaluate(rule, two_of_three).passed
        assert evaluate({**rule, "threshold_percent": "66.66"}, two_of_three).passed

    def test_a_unit_without_households_does_not_pass(self):
        assert not evaluate(SHARE_80, tally([], {})).passed


class TestCivilCode278:
    def test_exactly_two_thirds_turnout_by_area_and_headcount_passes(self):
        result = evaluate(CIVIL, tally(flats(3), {0: AGREE, 1: AGREE}))

        assert result.passed
        assert [c.met for c in result.conditions] == [True, True, True, True]

    def test_turnout_just_under_two_thirds_of_the_area_fails(self):
        households = [*flats(2), (2, "o2", Decimal("100.01"))]

        result = evaluate(CIVIL, tally(households, {0: AGREE, 1: AGREE}))

        assert not result.passed
        assert [c.code for c in result.conditions if not c.met] == ["turnout_area"]

    def test_turnout_just_under_two_thirds_of_the_owners_fails(self):
        # 5 of 8 owners voted (62.5%), but they hold most of the area.
        households = [*flats(5, area="300"), *[(i, f"o{i}", Decimal(10)) for i in range(5, 8)]]

        result = evaluate(CIVIL, tally(households, dict.fromkeys(range(5), AGREE)))

        assert [c.code for c in result.conditions if not c.met] == ["turnout_headcount"]

    def test_exactly_three_quarters_approval_passes(self):
        ballots = {0: AGREE, 1: AGREE, 2: AGREE, 3: DISAGREE}

        result = evaluate(CIVIL, tally(flats(4), ballots))

        assert result.passed
        assert result.conditions[2].percent == Decimal("75.0")

    def test_approval_just_under_three_quarters_of_the_voting_area_fails(self):
        households = [*flats(3), (3, "o3", Decimal("100.01"))]

        result = evaluate(CIVIL, tally(households, {0: AGREE, 1: AGREE, 2: AGREE, 3: DISAGREE}))

        assert [c.code for c in result.conditions if not c.met] == ["approval_area"]

    def test_abstaining_counts_as_voting_but_not_as_agreeing(self):
        counted = tally(flats(4), {0: AGREE, 1: AGREE, 2: AGREE, 3: ABSTAIN})

        assert counted.voting.households == 4
        assert evaluate(CIVIL, counted).passed

    def test_the_multi_flat_owner_counts_once_in_the_headcount_conditions(self):
        # Hu owns three of four flats and agrees; Jing disagrees: by area 3/4, by
        # headcount 1 of 2 owners, which is not 3/4.
        households = [(1, "hu", Decimal(70)), (2, "hu", Decimal(70)), (3, "hu", Decimal(70))]
        households.append((4, "jing", Decimal(70)))

        result = evaluate(CIVIL, tally(households, {1: AGREE, 2: AGREE, 3: AGREE, 4: DISAGREE}))

        headcount = result.conditions[3]
        assert (headcount.numerator, headcount.denominator, headcount.met) == (1, 2, False)
        assert result.conditions[2].met

    def test_a_multi_flat_owner_agreeing_for_one_flat_does_not_sink_a_passing_vote(self):
        # Read literally ("all their flats agree", voted or not), Pu's first "agree" would
        # make Pu a voting owner who does not agree: 2 of 3 owners, and the vote would fail.
        households = [*flats(2), (2, "pu", Decimal(10)), (3, "pu", Decimal(10))]

        before = evaluate(CIVIL, tally(households, {0: AGREE, 1: AGREE}))
        after = evaluate(CIVIL, tally(households, {0: AGREE, 1: AGREE, 2: AGREE}))

        assert before.passed and after.passed
        assert (after.conditions[3].numerator, after.conditions[3].denominator) == (3, 3)

    def test_the_explanation_names_every_condition_with_its_numbers(self):
        from django.utils import translation

        with translation.override("en"):
            text = evaluate(CIVIL, tally(flats(3), {0: AGREE})).explanation

        assert text.startswith("Not passed: 2 of 4 conditions are not met.")
        assert "1 of 3 owners voted (33.3%)" in text


def test_a_result_survives_the_round_trip_through_json():
    result = evaluate(SHARE_80, tally(flats(10), dict.fromkeys(range(8), AGREE)))
    counted = tally(flats(3), {0: AGREE})

    assert consent.Result.from_dict(result.as_dict()) == result
    assert consent.Tally.from_dict(counted.as_dict()) == counted


def test_room_numbers_are_masked_to_their_floor():
    assert consent.mask_room("301", 3) == "3**"
    assert consent.mask_room("1202", 12) == "12**"
    assert consent.mask_room("B1", 1) == "B*"


# --- Properties ------------------------------------------------------------------------

areas = st.decimals(min_value=Decimal("20.00"), max_value=Decimal("200.00"), places=2)
households_strategy = st.lists(st.tuples(st.integers(0, 5), areas), min_size=1, max_size=14).map(
    lambda rows: [(i, f"owner{key}", area) for i, (key, area) in enumerate(rows)]
)
rules_strategy = st.one_of(
    st.just(CIVIL),
    st.integers(1, 100).map(lambda p: {"kind": HOUSEHOLD_SHARE, "threshold_percent": str(p)}),
    st.decimals(Decimal("0.01"), Decimal("100"), places=2).map(
        lambda p: {"kind": HOUSEHOLD_SHARE, "threshold_percent": str(p)}
    ),
)


@st.composite
def unit_with_ballots(draw):
    households = draw(households_strategy)
    ballots = {}
    for household_id, _owner, _area in households:
        choice = draw(st.sampled_from([AGREE, DISAGREE, ABSTAIN, None]))
        if choice:
            ballots[household_id] = choice
    return households, ballots


@given(unit=unit_with_ballots(), rule=rules_strategy, data=st.data())
def test_one_more_agree_never_lowers_any_rules_result(unit, rule, data):
    households, ballots = unit
    not_agreeing = [h for h, _o, _a in households if ballots.get(h) != AGREE]
    if not not_agreeing:
        return
    changed = data.draw(st.sampled_from(not_agreeing))

    before = evaluate(rule, tally(households, ballots))
    after = evaluate(rule, tally(households, {**ballots, changed: AGREE}))

    assert after.passed >= before.passed
    # Stronger: no single condition gets worse either.
    assert all(a.met >= b.met for a, b in zip(after.conditions, before.conditions, strict=True))


@given(unit=unit_with_ballots())
def test_the_headcount_counts_each_owner_once_and_the_parts_add_up(unit):
    households, ballots = unit
    counted = tally(households, ballots)

    assert counted.owners == len({owner for _h, owner, _a in households})
    assert counted.owners_agreeing <= counted.owners_voting <= counted.owners
    assert counted.total.households == len(households)
    assert counted.total.area == sum((a for _h, _o, a in households), Decimal(0))
    parts = (counted.agree, counted.disagree, counted.abstain, counted.not_voted)
    assert sum(part.households for part in parts) == len(households)


@given(unit=unit_with_ballots())
def test_a_unit_where_everyone_agrees_passes_every_rule(unit):
    households, _ballots = unit
    counted = tally(households, {h: AGREE for h, _o, _a in households})

    assert evaluate(CIVIL, counted).passed
    assert evaluate({"kind": HOUSEHOLD_SHARE, "threshold_percent": "100"}, counted).passed


# --- Services ---------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def project(world):
    return make_project(world)


class TestCasting:
    def test_a_verified_owner_casts_a_ballot_for_their_flat(self, world, project):
        project, flats_ = project
        owner = make_owner(world, flats_[-1])

        ballot = services.ballot_cast(
            user=owner, project=project, household=flats_[-1], choice=AGREE
        )

        assert (ballot.choice, ballot.cast_by, ballot.on_paper) == (AGREE, owner, False)

    def test_an_owner_verified_by_an_approved_claim_may_vote(self, world, project):
        project, flats_ = project
        owner = UserFactory()
        HouseholdClaim.objects.create(
            user=owner,
            household=flats_[0],
            relation=Relation.OWNER,
            state=HouseholdClaim.State.APPROVED,
        )

        services.ballot_cast(user=owner, project=project, household=flats_[0], choice=DISAGREE)

        assert Ballot.objects.get(project=project).choice == DISAGREE

    def test_an_unverified_resident_may_not_vote(self, world, project):
        project, flats_ = project
        tenant = make_owner(world, flats_[0], relation=Relation.TENANT)

        with pytest.raises(PermissionDenied):
            services.ballot_cast(user=tenant, project=project, household=flats_[0], choice=AGREE)

    def test_an_owner_may_not_vote_for_a_neighbours_flat(self, world, project):
        project, flats_ = project
        owner = make_owner(world, flats_[0])

        with pytest.raises(PermissionDenied):
            services.ballot_cast(user=owner, project=project, household=flats_[1], choice=AGREE)

    def test_a_household_may_change_its_ballot_before_the_close_and_history_keeps_both(
        self, world, project
    ):
        project, flats_ = project
        owner = make_owner(world, flats_[0])

        services.ballot_cast(user=owner, project=project, household=flats_[0], choice=DISAGREE)
        services.ballot_cast(user=owner, project=project, household=flats_[0], choice=AGREE)

        ballot = Ballot.objects.get(project=project, household=flats_[0])
        assert ballot.choice == AGREE
        assert [h.choice for h in ballot.history.order_by("history_date")] == [DISAGREE, AGREE]

    def test_casting_the_same_choice_again_changes_nothing(self, world, project):
        project, flats_ = project
        owner = make_owner(world, flats_[0])

        services.ballot_cast(user=owner, project=project, household=flats_[0], choice=AGREE)
        services.ballot_cast(user=owner, project=project, household=flats_[0], choice=AGREE)

        assert Ballot.history.filter(project=project).count() == 1

    def test_no_one_votes_before_the_voting_stage(self, world):
        project, flats_ = make_project(world, stage=Stage.INTENT)
        owner = make_owner(world, flats_[0])

        with pytest.raises(ValidationError) as raised:
            services.ballot_cast(user=owner, project=project, household=flats_[0], choice=AGREE)

        assert raised.value.code == "not_voting"

    def test_an_unknown_choice_is_refused(self, world, project):
        project, flats_ = project
        owner = make_owner(world, flats_[0])

        with pytest.raises(ValidationError):
            services.ballot_cast(user=owner, project=project, household=flats_[0], choice="yes")


class TestPaperBallots:
    def test_staff_record_a_signed_form_with_its_scan_as_evidence(self, world, project):
        project, flats_ = project

        ballot = services.ballot_record_paper(
            actor=world.users["own_staff"],
            project=project,
            household=flats_[2],
            choice=AGREE,
            scan=scan(),
        )

        assert ballot.on_paper and ballot.cast_by == world.users["own_staff"]
        assert ballot.evidence == Attachment.objects.get(case=project.case)
        assert not ballot.evidence.is_public

    def test_a_paper_ballot_needs_a_scan(self, world, project):
        project, flats_ = project

        with pytest.raises(ValidationError) as raised:
            services.ballot_record_paper(
                actor=world.users["own_staff"],
                project=project,
                household=flats_[2],
                choice=AGREE,
                scan=None,
            )

        assert "scan" in raised.value.message_dict

    def test_a_file_that_is_no_scan_is_refused_on_the_scan_field(self, world, project):
        project, flats_ = project
        junk = SimpleUploadedFile("x.png", b"MZ\x90\x00" * 20, "image/png")

        with pytest.raises(ValidationError) as raised:
            services.ballot_record_paper(
                actor=world.users["own_staff"],
                project=project,
                household=flats_[2],
                choice=AGREE,
                scan=junk,
            )

        assert "scan" in raised.value.message_dict
        assert not Ballot.objects.exists()

    @pytest.mark.parametrize("persona", ["official", "other_staff", "resident"])
    def test_only_those_who_may_change_the_project_record_paper_ballots(
        self, world, project, persona
    ):
        project, flats_ = project

        with pytest.raises(PermissionDenied):
            services.ballot_record_paper(
                actor=world.users[persona],
                project=project,
                household=flats_[2],
                choice=AGREE,
                scan=scan(),
            )

    def test_a_household_of_another_unit_is_refused(self, world, project):
        project, _flats = project
        _other, elsewhere = make_project(world, name="Other estate")

        with pytest.raises(ValidationError) as raised:
            services.ballot_record_paper(
                actor=world.users["own_staff"],
                project=project,
                household=elsewhere[0],
                choice=AGREE,
                scan=scan(),
            )

        assert "household" in raised.value.message_dict


class TestClosing:
    def test_closing_freezes_every_rules_result_under_the_rule_version_in_force(
        self, world, project
    ):
        project, flats_ = project
        rule_set = RuleSet.objects.create(
            kind="elevators.consent",
            area=world.areas["community_a"],
            version=3,
            payload=YANGQUAN_CONSENT,
        )
        for flat in flats_[:10]:
            services.ballot_record_paper(
                actor=world.users["own_staff"],
                project=project,
                household=flat,
                choice=AGREE,
                scan=scan(),
            )

        services.vote_close(actor=world.users["own_staff"], project=project)

        project.refresh_from_db()
        assert project.vote_closed_at is not None
        assert project.consent_rule_set == rule_set
        frozen = project.frozen_result
        assert frozen["governing"] == 0 and frozen["rule_set_version"] == 3
        assert [r["kind"] for r in frozen["results"]] == [HOUSEHOLD_SHARE, CIVIL_CODE_278]
        assert [r["passed"] for r in frozen["results"]] == [True, True]
        entry = TimelineEntry.objects.filter(case=project.case).latest("pk")
        assert entry.is_public

    def test_a_closed_vote_rejects_every_change(self, world, project):
        project, flats_ = project
        owner = make_owner(world, flats_[0])
        services.ballot_cast(user=owner, project=project, household=flats_[0], choice=AGREE)
        services.vote_close(actor=world.users["own_staff"], project=project)

        with pytest.raises(ValidationError) as online:
            services.ballot_cast(user=owner, project=project, household=flats_[0], choice=DISAGREE)
        with pytest.raises(ValidationError) as paper:
            services.ballot_record_paper(
                actor=world.users["own_staff"],
                project=project,
                household=flats_[1],
                choice=AGREE,
                scan=scan(),
            )
        with pytest.raises(ValidationError) as again:
            services.vote_close(actor=world.users["own_staff"], project=project)

        assert online.value.code == paper.value.code == again.value.code == "closed"
        assert Ballot.objects.get(project=project).choice == AGREE
        assert not Attachment.objects.exists()

    def test_the_frozen_result_stays_when_the_rule_changes_later(self, world, project):
        project, flats_ = project
        services.vote_close(actor=world.users["own_staff"], project=project)
        RuleSet.objects.create(
            kind="elevators.consent",
            area=world.areas["community_a"],
            version=9,
            payload=YANGQUAN_CONSENT,
        )

        project.refresh_from_db()
        frozen = services.frozen_consent(project)

        assert [r.kind for _rule, r in frozen["results"]] == [CIVIL_CODE_278]
        assert project.consent_rule_set is None

    def test_an_official_may_not_close_the_vote(self, world, project):
        project, _flats = project

        with pytest.raises(PermissionDenied):
            services.vote_close(actor=world.users["official"], project=project)


class TestProjectTally:
    def test_owners_on_record_count_once_whatever_their_flats(self, world, project):
        project, flats_ = project
        hu = make_owner(world, flats_[10])
        make_owner(world, flats_[11], user=hu)

        live = services.live_consent(project)

        assert live.tally.owners == 11
        assert [rule["kind"] for rule, _r in services.project_tally(project)] == [CIVIL_CODE_278]

    def test_the_query_count_does_not_grow_with_the_households(self, world):
        small, small_flats = make_project(world, households=12, name="Small")
        large, large_flats = make_project(world, households=120, name="Large")
        for flats_, project in ((small_flats, small), (large_flats, large)):
            for flat in flats_[::3]:
                make_owner(world, flat, user=UserFactory())
                Ballot.objects.create(
                    project=project, household=flat, choice=AGREE, cast_by=world.users["own_staff"]
                )
        small = Project.objects.get(pk=small.pk)
        large = Project.objects.get(pk=large.pk)

        with CaptureQueriesContext(connection) as few:
            services.project_tally(small)
        with CaptureQueriesContext(connection) as many:
            services.project_tally(large)

        assert len(few) == len(many)
        assert services.live_consent(large).tally.agree.households == 40


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_ballots_cast_for_one_household_at_the_same_moment_leave_one_ballot():
    from tests.scope import build_world

    world = build_world()
    project, flats_ = make_project(world)
    owner = make_owner(world, flats_[0])
    barrier = threading.Barrier(2)
    errors = []

    def cast(choice):
        try:
            barrier.wait()
            services.ballot_cast(user=owner, project=project, household=flats_[0], choice=choice)
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    workers = [threading.Thread(target=cast, args=(c,)) for c in (AGREE, DISAGREE)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert errors == []
    assert Ballot.objects.filter(project=project, household=flats_[0]).count() == 1
    assert Ballot.history.filter(project=project).count() == 2
