"""Home adaptation services: eligibility, the plan's money, stage order, survey."""

import io
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from eldercare.models import Adaptation, AdaptationStage, Eligibility, Exclusion
from eldercare.rules import DEFAULT_SUBSIDY, FENGYANG_SUBSIDY
from eldercare.services import adaptations as services
from eldercare.services.adaptations import PlanLine
from housing.models import Occupancy, Relation, Residence
from housing.services import registry
from portal.models import FollowUp, RuleSet, TimelineEntry
from portal.roles import OrganisationType, Programme, Role
from tests.factories import OrganisationFactory, UserFactory, member
from tests.housing.helpers import estate_with_households, id_number

pytestmark = pytest.mark.django_db

Stage = AdaptationStage
SHANGHAI = timezone.get_fixed_timezone(8 * 60)
# A fixed application day, so the birthday arithmetic never meets 29 February.
APPLIED_AT = datetime(2025, 6, 15, 10, 0, tzinfo=SHANGHAI)


# --- Building blocks (imported by the page and browser tests) ------------------------------


def photo(name="photo.png"):
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 120, 40)).save(out, "PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def elder_at_home(
    world,
    *,
    born: date | None = date(1950, 3, 12),
    community="community_a",
    name="胡秀英",
    user=None,
    estate="Qingyi",
    sequence="123",
):
    """A resident record with an ID number giving `born` (none: no birth date), living in
    a fresh estate's first flat. Returns (person, household)."""
    _estate, flats = estate_with_households(world.areas[community], name=estate, households=2)
    number = id_number(birth=born.strftime("%Y%m%d"), sequence=sequence) if born else ""
    person = registry.person_create(
        actor=None,
        check_scope=False,
        community=world.areas[community],
        name=name,
        id_number=number,
        household=flats[0],
    )
    if user is not None:
        person.user = user
        person.save(update_fields=["user"])
    return person, flats[0]


def eldercare_officer(world):
    user = UserFactory(username="staff.eldercare")
    member(
        user, Role.PROGRAMME_OFFICER, area=world.areas["district"], programme=Programme.ELDERCARE
    )
    return user


def contractor(world, name="凤阳建安装饰有限公司"):
    return OrganisationFactory(
        name=name, type=OrganisationType.CONTRACTOR, area=world.areas["district"]
    )


def apply(world, elder, household, *, actor=None, **kwargs):
    kwargs.setdefault("eligibility", Eligibility.LOW_INCOME)
    return services.adaptation_apply(
        actor=actor or world.users["own_staff"], elder=elder, household=household, **kwargs
    )


def assessed(world, adaptation, actor=None):
    return services.adaptation_assess(
        actor=actor or world.users["own_staff"],
        adaptation=adaptation,
        capacity_level=2,
        daily_living=2,
        home_assessment="卫生间无扶手，地面湿滑。",
    )


# Basic: 380×2 + 900×2 + 650 + 420 = 3630.00; optional: 800.00 (wheelchair).
PLAN = [
    PlanLine("T01", 2),
    PlanLine("T03", 2),
    PlanLine("E01", 1),
    PlanLine("W01", 1),
    PlanLine("D02", 1),
]


def planned(world, adaptation, lines=PLAN):
    return services.adaptation_plan_save(
        actor=world.users["own_staff"], adaptation=adaptation, lines=lines
    )


def adaptation_at(world, stage, **kwargs):
    """An adaptation moved through the services up to `stage`."""
    elder, household = elder_at_home(world, **kwargs)
    adaptation = apply(world, elder, household)
    staff = world.users["own_staff"]
    steps = [
        (Stage.ASSESSED, lambda a: assessed(world, a)),
        (Stage.PLANNED, lambda a: planned(world, a)),
        (Stage.APPROVED, lambda a: services.adaptation_approve(actor=staff, adaptation=a)),
        (
            Stage.WORKS,
            lambda a: services.adaptation_start_works(
                actor=staff,
                adaptation=a,
                contractor=contractor(world),
                started_on=timezone.localdate(),
            ),
        ),
        (
            Stage.ACCEPTED,
            lambda a: services.adaptation_accept(
                actor=staff,
                adaptation=a,
                accepted_on=timezone.localdate(),
                record="扶手牢固，防滑处理合格。",
                photos=[photo()],
            ),
        ),
        (
            Stage.PAID,
            lambda a: services.adaptation_pay(
                actor=staff, adaptation=a, paid_on=timezone.localdate()
            ),
        ),
    ]
    for reached, step in steps:
        if adaptation.stage == stage:
            break
        step(adaptation)
        assert adaptation.stage == reached
    return adaptation


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def codes(error: ValidationError) -> set[str]:
    if hasattr(error, "error_dict"):
        return {e.code for errors in error.error_dict.values() for e in errors}
    return {e.code for e in error.error_list}


# --- Eligibility --------------------------------------------------------------------------


def test_an_elder_who_turns_60_on_the_application_day_qualifies(world):
    elder, household = elder_at_home(world, born=date(1965, 6, 15))
    assert elder.birth_date == date(1965, 6, 15)  # derived from the ID number

    adaptation = apply(world, elder, household, now=APPLIED_AT)

    assert adaptation.stage == Stage.APPLIED
    assert adaptation.case.kind == "eldercare.adaptation"
    assert adaptation.case.reference.startswith("SL-2025-")


def test_an_elder_one_day_short_of_60_is_refused(world):
    elder, household = elder_at_home(world, born=date(1965, 6, 16))

    with pytest.raises(ValidationError) as refused:
        apply(world, elder, household, now=APPLIED_AT)

    assert codes(refused.value) == {"too_young"}
    assert "59" in str(refused.value)
    assert not Adaptation.objects.exists()


def test_an_elder_without_a_birth_date_is_refused_with_a_clear_message(world):
    elder, household = elder_at_home(world, born=None)

    with pytest.raises(ValidationError) as refused:
        apply(world, elder, household)

    assert codes(refused.value) == {"no_birth_date"}
    assert "ID card" in str(refused.value) or "身份证" in str(refused.value)


@pytest.mark.parametrize("condition", list(Exclusion))
def test_a_home_the_rule_excludes_is_refused_naming_the_condition(world, condition):
    elder, household = elder_at_home(world)

    with pytest.raises(ValidationError) as refused:
        apply(world, elder, household, exclusions=[condition])

    assert codes(refused.value) == {f"excluded_{condition.value}"}
    assert str(condition.label) in " ".join(refused.value.messages)


def test_a_home_the_registry_records_as_rented_is_refused(world):
    elder, household = elder_at_home(world)
    household.occupancy = Occupancy.RENTED
    household.save()

    with pytest.raises(ValidationError) as refused:
        apply(world, elder, household)

    assert codes(refused.value) == {"excluded_rented"}


def test_an_area_rule_without_exclusions_lets_a_rented_home_in(world):
    RuleSet.objects.create(
        kind="eldercare.subsidy",
        area=world.areas["community_a"],
        version=1,
        valid_from=timezone.now() - timedelta(days=1),
        payload={**DEFAULT_SUBSIDY, "exclusions": []},
    )
    elder, household = elder_at_home(world)

    adaptation = apply(world, elder, household, exclusions=[Exclusion.RENTED])

    assert adaptation.exclusions == ["rented"]


def test_the_application_stores_its_rule_versions_and_a_title_without_sensitive_data(world):
    subsidy = RuleSet.objects.create(
        kind="eldercare.subsidy",
        area=world.areas["district"],
        version=1,
        valid_from=timezone.now() - timedelta(days=1),
        payload=FENGYANG_SUBSIDY,
    )
    elder, household = elder_at_home(world)

    adaptation = apply(world, elder, household, eligibility=Eligibility.DISABLED)

    assert adaptation.subsidy_rule_set == subsidy
    assert adaptation.catalogue_rule_set is None  # the built-in catalogue
    assert adaptation.subsidy_cap == Decimal("5000.00")
    title = adaptation.case.title
    assert elder.name not in title and "disabled" not in title and "残" not in title
    assert str(household) in title


def test_the_applied_stage_is_due_by_the_rule_and_reminded_once(world):
    elder, household = elder_at_home(world)
    adaptation = apply(world, elder, household)
    case = adaptation.case

    days = DEFAULT_SUBSIDY["stage_days"]["applied"]
    assert timezone.localdate(case.due_at) == timezone.localdate() + timedelta(days=days)
    reminders = FollowUp.objects.filter(case=case, purpose=FollowUp.Purpose.DUE_REMINDER)
    assert reminders.filter(state=FollowUp.State.SCHEDULED).count() == 1


def test_one_live_adaptation_per_household_and_a_rejected_one_may_apply_again(world):
    elder, household = elder_at_home(world)
    first = apply(world, elder, household)

    with pytest.raises(ValidationError) as refused:
        apply(world, elder, household)
    assert codes(refused.value) == {"already_live"}

    services.adaptation_reject(actor=world.users["own_staff"], adaptation=first, reason="材料不全")
    again = apply(world, elder, household)
    assert again.pk != first.pk and first.case.closed_at is not None


# --- Who applies -------------------------------------------------------------------------


def test_a_resident_applies_for_themselves_and_for_family_on_record(world):
    resident = world.users["resident"]
    me, home = elder_at_home(world, user=resident)
    mother = registry.person_create(
        actor=None,
        check_scope=False,
        community=world.areas["community_a"],
        name="胡母",
        id_number=id_number(birth="19400101", sequence="246"),
        household=home,
        relation=Relation.FAMILY,
    )

    own = apply(world, me, home, actor=resident)
    assert own.applicant == "elder" and own.case.filed_by == resident

    services.adaptation_reject(actor=world.users["own_staff"], adaptation=own, reason="重复")
    for_mother = apply(world, mother, home, actor=resident)
    assert for_mother.applicant == "family"
    assert for_mother in Adaptation.objects.visible_to(resident)


def test_a_resident_cannot_apply_for_a_stranger(world):
    elder_at_home(world, user=world.users["resident"])
    stranger, their_home = elder_at_home(world, name="陌生人", estate="Other", sequence="357")

    with pytest.raises(PermissionDenied):
        apply(world, stranger, their_home, actor=world.users["resident"])


def test_staff_outside_the_community_and_officials_cannot_apply(world):
    elder, household = elder_at_home(world)
    for persona in ("other_staff", "official", "programme_officer", "org_member"):
        with pytest.raises(PermissionDenied):
            apply(world, elder, household, actor=world.users[persona])


def test_an_eldercare_officer_applies_on_the_elders_behalf(world):
    elder, household = elder_at_home(world)

    adaptation = apply(world, elder, household, actor=eldercare_officer(world))

    assert adaptation.applicant == "staff" and adaptation.case.filed_by is None


def test_the_elder_with_an_account_follows_an_application_staff_filed(world):
    elder, household = elder_at_home(world, user=world.users["resident"])

    adaptation = apply(world, elder, household)

    assert adaptation in Adaptation.objects.visible_to(world.users["resident"])
    assert adaptation.case.parties.filter(user=world.users["resident"]).exists()


# --- The plan's money ------------------------------------------------------------------------


def test_the_default_cap_of_3000_limits_the_subsidy_and_the_rest_is_self_paid(world):
    adaptation = adaptation_at(world, Stage.ASSESSED)

    planned(world, adaptation)
    adaptation.refresh_from_db()

    assert adaptation.stage == Stage.PLANNED
    assert adaptation.subsidy_cap == Decimal("3000.00")
    assert adaptation.total_cost == Decimal("4430.00")
    assert adaptation.subsidy == Decimal("3000.00")
    assert adaptation.self_pay == Decimal("1430.00")
    assert adaptation.items.count() == 5
    assert adaptation.items.get(code="D02").basic is False


def test_a_fengyang_version_with_a_5000_cap_subsidises_all_basic_items(world):
    RuleSet.objects.create(
        kind="eldercare.subsidy",
        area=world.areas["district"],
        version=1,
        valid_from=timezone.now() - timedelta(days=1),
        payload=FENGYANG_SUBSIDY,
        note="凤阳县",
    )
    adaptation = adaptation_at(world, Stage.ASSESSED)

    planned(world, adaptation)

    assert adaptation.subsidy_cap == Decimal("5000.00")
    assert (adaptation.total_cost, adaptation.subsidy, adaptation.self_pay) == (
        Decimal("4430.00"),
        Decimal("3630.00"),
        Decimal("800.00"),
    )


def test_a_later_rule_version_does_not_change_the_case_already_decided(world):
    adaptation = adaptation_at(world, Stage.ASSESSED)
    RuleSet.objects.create(
        kind="eldercare.subsidy",
        area=world.areas["district"],
        version=1,
        valid_from=timezone.now() - timedelta(minutes=1),
        payload=FENGYANG_SUBSIDY,
    )

    planned(world, adaptation)

    assert adaptation.subsidy == Decimal("3000.00")


def test_prices_are_kept_to_the_fen_and_optional_items_are_all_self_paid(world):
    adaptation = adaptation_at(world, Stage.ASSESSED)

    planned(
        world,
        adaptation,
        [PlanLine("T01", 3, Decimal("33.33")), PlanLine("M03", 1, Decimal("220.10"))],
    )

    assert adaptation.total_cost == Decimal("320.09")
    assert adaptation.subsidy == Decimal("99.99")
    assert adaptation.self_pay == Decimal("220.10")
    assert isinstance(adaptation.self_pay, Decimal)


def test_the_plan_takes_the_guide_price_when_none_is_given_and_replaces_earlier_items(world):
    adaptation = adaptation_at(world, Stage.PLANNED)

    planned(world, adaptation, [PlanLine("M01", 2)])

    assert list(adaptation.items.values_list("code", "quantity", "unit_price")) == [
        ("M01", 2, Decimal("280.00"))
    ]
    assert adaptation.stage == Stage.PLANNED and adaptation.total_cost == Decimal("560.00")


def test_the_plan_uses_the_catalogue_version_stored_on_the_case(world):
    catalogue = RuleSet.objects.create(
        kind="eldercare.catalogue",
        area=world.areas["community_a"],
        version=1,
        valid_from=timezone.now() - timedelta(days=1),
        payload={
            "items": [
                {
                    "code": "X1",
                    "area": "toilet_bathing",
                    "name": "扶手",
                    "basic": True,
                    "guide_price": "100.00",
                }
            ]
        },
    )
    adaptation = adaptation_at(world, Stage.ASSESSED)
    assert adaptation.catalogue_rule_set == catalogue

    with pytest.raises(ValidationError) as refused:
        planned(world, adaptation, [PlanLine("T01", 1)])
    assert codes(refused.value) == {"unknown_item"}
    planned(world, adaptation, [PlanLine("X1", 4)])
    assert adaptation.total_cost == Decimal("400.00")


@pytest.mark.parametrize(
    "lines, code",
    [
        ([], "empty_plan"),
        ([PlanLine("T01", 0)], "empty_plan"),
        ([PlanLine("T01", 1000)], "quantity"),
        ([PlanLine("T01", 1, Decimal("-1.00"))], "price"),
        ([PlanLine("T01", 1, Decimal("1.005"))], "price"),
        ([PlanLine("T01", 1), PlanLine("T01", 2)], "duplicate_item"),
    ],
)
def test_a_bad_plan_is_refused(world, lines, code):
    adaptation = adaptation_at(world, Stage.ASSESSED)

    with pytest.raises(ValidationError) as refused:
        planned(world, adaptation, lines)

    assert codes(refused.value) == {code}
    assert adaptation.items.count() == 0


def test_plan_totals_of_an_empty_plan_are_zero():
    totals = services.plan_totals([], Decimal("3000.00"))
    assert (totals.total, totals.subsidy, totals.self_pay) == (Decimal("0.00"),) * 3


# --- Stage order ---------------------------------------------------------------------------


def test_the_case_moves_through_every_stage_to_payment_and_closes(world):
    adaptation = adaptation_at(world, Stage.PAID)

    case = adaptation.case
    case.refresh_from_db()
    assert case.closed_at is not None and case.status == Stage.PAID
    statuses = list(TimelineEntry.objects.filter(case=case).values_list("status_after", flat=True))
    for stage in services.ORDER:
        assert stage in statuses
    assert not FollowUp.objects.filter(case=case, state=FollowUp.State.SCHEDULED).exists()
    assert adaptation.investment == Decimal("4430.00")


def test_each_stage_gets_its_own_due_date_and_one_pending_reminder(world):
    adaptation = adaptation_at(world, Stage.APPROVED)
    case = adaptation.case
    case.refresh_from_db()

    days = DEFAULT_SUBSIDY["stage_days"]["approved"]
    assert timezone.localdate(case.due_at) == timezone.localdate() + timedelta(days=days)
    pending = FollowUp.objects.filter(
        case=case, purpose=FollowUp.Purpose.DUE_REMINDER, state=FollowUp.State.SCHEDULED
    )
    assert pending.count() == 1
    assert adaptation.stage_changed_at is not None


def staff_move(world, name, adaptation):
    staff = world.users["own_staff"]
    today = timezone.localdate()
    moves = {
        "assess": lambda: assessed(world, adaptation),
        "plan": lambda: planned(world, adaptation),
        "approve": lambda: services.adaptation_approve(actor=staff, adaptation=adaptation),
        "works": lambda: services.adaptation_start_works(
            actor=staff, adaptation=adaptation, contractor=contractor(world), started_on=today
        ),
        "accept": lambda: services.adaptation_accept(
            actor=staff, adaptation=adaptation, accepted_on=today, record="ok", photos=[photo()]
        ),
        "pay": lambda: services.adaptation_pay(actor=staff, adaptation=adaptation, paid_on=today),
        "reject": lambda: services.adaptation_reject(
            actor=staff, adaptation=adaptation, reason="不符合条件"
        ),
    }
    return moves[name]()


@pytest.mark.parametrize(
    "stage, move, code",
    [
        (Stage.APPLIED, "plan", "plan_locked"),
        (Stage.APPLIED, "approve", "out_of_order"),
        (Stage.APPLIED, "pay", "out_of_order"),
        (Stage.ASSESSED, "works", "out_of_order"),
        (Stage.PLANNED, "assess", "out_of_order"),
        (Stage.PLANNED, "accept", "out_of_order"),
        (Stage.APPROVED, "plan", "plan_locked"),
        (Stage.APPROVED, "approve", "out_of_order"),
        (Stage.WORKS, "reject", "out_of_order"),
        (Stage.WORKS, "pay", "out_of_order"),
        (Stage.ACCEPTED, "works", "out_of_order"),
        (Stage.PAID, "pay", "out_of_order"),
    ],
)
def test_a_move_out_of_order_is_refused_and_changes_nothing(world, stage, move, code):
    adaptation = adaptation_at(world, stage)
    entries = TimelineEntry.objects.filter(case=adaptation.case).count()

    with pytest.raises(ValidationError) as refused:
        staff_move(world, move, adaptation)

    assert codes(refused.value) == {code}
    assert refused.value.messages[0]  # worded for the user
    adaptation.refresh_from_db()
    assert adaptation.stage == stage
    assert TimelineEntry.objects.filter(case=adaptation.case).count() == entries


def test_a_rejected_case_cannot_move_on(world):
    adaptation = adaptation_at(world, Stage.PLANNED)
    staff_move(world, "reject", adaptation)
    adaptation.case.refresh_from_db()
    assert adaptation.case.closed_at and adaptation.rejection_reason == "不符合条件"

    with pytest.raises(ValidationError) as refused:
        staff_move(world, "approve", adaptation)
    assert codes(refused.value) == {"out_of_order"}


def test_only_staff_of_the_area_move_the_case(world):
    adaptation = adaptation_at(world, Stage.APPLIED)
    for persona in ("resident", "other_staff", "official", "org_member"):
        with pytest.raises(PermissionDenied):
            assessed(world, adaptation, actor=world.users[persona])
    assessed(world, adaptation, actor=eldercare_officer(world))
    assert adaptation.stage == Stage.ASSESSED


def test_acceptance_needs_a_photo_and_a_record(world):
    adaptation = adaptation_at(world, Stage.WORKS)
    staff = world.users["own_staff"]

    with pytest.raises(ValidationError) as refused:
        services.adaptation_accept(
            actor=staff, adaptation=adaptation, accepted_on=timezone.localdate(), record="ok"
        )
    assert codes(refused.value) == {"photo_required"}
    with pytest.raises(ValidationError) as refused:
        services.adaptation_accept(
            actor=staff,
            adaptation=adaptation,
            accepted_on=timezone.localdate(),
            record=" ",
            photos=[photo()],
        )
    assert codes(refused.value) == {"required"}
    assert adaptation.case.attachments.count() == 0


def test_works_need_a_contractor(world):
    adaptation = adaptation_at(world, Stage.APPROVED)
    police = OrganisationFactory(area=world.areas["district"])

    with pytest.raises(ValidationError) as refused:
        services.adaptation_start_works(
            actor=world.users["own_staff"],
            adaptation=adaptation,
            contractor=police,
            started_on=timezone.localdate(),
        )
    assert codes(refused.value) == {"not_contractor"}


def test_the_assessment_attaches_its_photos_to_the_case(world):
    adaptation = adaptation_at(world, Stage.APPLIED)

    services.adaptation_assess(
        actor=world.users["own_staff"],
        adaptation=adaptation,
        capacity_level=1,
        home_assessment="门槛高",
        photos=[photo("a.png"), photo("b.png")],
    )

    assert adaptation.case.attachments.count() == 2
    assert adaptation.assessed_at is not None and adaptation.capacity_level == 1


# --- Survey -------------------------------------------------------------------------------


def test_the_elder_rates_the_works_once_after_acceptance(world):
    adaptation = adaptation_at(world, Stage.ACCEPTED, user=world.users["resident"])

    services.adaptation_survey(
        actor=world.users["resident"], adaptation=adaptation, satisfaction=5, comment="很满意"
    )
    adaptation.refresh_from_db()
    assert adaptation.satisfaction == 5 and adaptation.surveyed_at is not None

    with pytest.raises(ValidationError) as refused:
        services.adaptation_survey(
            actor=world.users["own_staff"], adaptation=adaptation, satisfaction=4
        )
    assert codes(refused.value) == {"already_surveyed"}


def test_no_survey_before_acceptance_nor_by_strangers(world):
    adaptation = adaptation_at(world, Stage.WORKS, user=world.users["resident"])
    with pytest.raises(ValidationError) as refused:
        services.adaptation_survey(
            actor=world.users["resident"], adaptation=adaptation, satisfaction=5
        )
    assert codes(refused.value) == {"not_accepted"}

    staff_move(world, "accept", adaptation)
    with pytest.raises(PermissionDenied):
        services.adaptation_survey(
            actor=world.users["official"], adaptation=adaptation, satisfaction=1
        )
    with pytest.raises(ValidationError):
        services.adaptation_survey(
            actor=world.users["own_staff"], adaptation=adaptation, satisfaction=6
        )


def test_age_counts_full_years():
    born = date(1965, 6, 15)
    assert services.age_on(born, date(2025, 6, 14)) == 59
    assert services.age_on(born, date(2025, 6, 15)) == 60
    assert services.age_on(date(1964, 2, 29), date(2024, 2, 28)) == 59
    assert services.age_on(date(1964, 2, 29), date(2024, 2, 29)) == 60


def test_residence_is_checked(world):
    elder, _home = elder_at_home(world)
    _other, elsewhere = elder_at_home(world, name="邻居", estate="Other", sequence="468")
    with pytest.raises(ValidationError) as refused:
        apply(world, elder, elsewhere)
    assert codes(refused.value) == {"not_resident"}
    assert Residence.objects.filter(person=elder).count() == 1


def test_the_stage_due_reminder_is_delivered_once(world):
    from portal.models import Notification
    from portal.services.followups import followups_deliver_due

    adaptation = adaptation_at(world, Stage.WORKS)
    due_at = adaptation.case.due_at
    assert followups_deliver_due(now=due_at) == 1
    assert followups_deliver_due(now=due_at + timedelta(hours=1)) == 0
    assert Notification.objects.filter(case=adaptation.case).count() >= 1


def test_an_elder_linked_later_finds_their_adaptations(world):
    elder, household = elder_at_home(world)
    adaptation = apply(world, elder, household)

    assert list(services.elder_cases(elder)) == [adaptation.case_id]
