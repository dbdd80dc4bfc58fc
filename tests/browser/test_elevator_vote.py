"""A resident owner votes on their unit's elevator and sees the agreeing count move."""

from playwright.sync_api import expect

from elevators.models import Ballot
from tests.browser.test_grid_referral import log_in
from tests.elevators.test_consent import make_owner, make_project
from tests.factories import UserFactory


def agreeing(page) -> int:
    return int(page.locator("#consent-agree-households").inner_text())


def expect_agreeing(page, count: int) -> None:
    expect(page.locator("#consent-agree-households")).to_have_text(str(count))


def test_a_resident_owner_votes_agree_and_the_agreeing_count_goes_up(page, world):
    project, flats = make_project(world)
    Ballot.objects.create(
        project=project, household=flats[0], choice="agree", cast_by=world.users["own_staff"]
    )
    owner = make_owner(world, flats[-1], user=UserFactory(username="hu_taolan"))
    log_in(page, owner)

    page.goto(f"/elevators/{project.pk}/")
    before = agreeing(page)
    page.locator("form[action$='/vote/'] input[name=choice][value=agree]").check()
    page.locator("form[action$='/vote/'] button[type=submit]").click()
    assert before == 1
    expect_agreeing(page, before + 1)
    expect(page.locator("#consent-my-ballots")).to_contain_text(flats[-1].room_number)
    # The tally alone, on the page staff may keep open.
    page.goto(f"/elevators/{project.pk}/consent/")
    expect_agreeing(page, before + 1)
