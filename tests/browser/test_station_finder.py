"""A rider on a phone finds the nearest rest station from their location and checks in,
without an account; another picks their community by hand, with no location at all."""

import re

import pytest
from playwright.sync_api import expect

from stations.models import CheckInCount
from tests.browser.conftest import LOCAL_ONLY
from tests.stations.test_public import HERE, every_day, make_station, stock

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@pytest.fixture
def phone(chromium, live_server, browser_locale):
    """A phone-sized page; `phone(geolocation=...)` grants the location it reports."""
    contexts = []

    def open_page(**options):
        context = chromium.new_context(
            locale=browser_locale, base_url=live_server.url, **PHONE, **options
        )
        context.route(LOCAL_ONLY, lambda route: route.abort())
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def stations(world):
    far = make_station(world, "A 城北驿站", "40.600000", "95.780000")
    near = make_station(world, "B 榆林驿站", "40.517000", "95.780000")
    mid = make_station(world, "C 东街驿站", "40.530000", "95.780000", community="community_b")
    for s in (far, near, mid):
        every_day(s, "00:00", "23:59")
        stock(s, "water")
    return {"far": far, "near": near, "mid": mid}


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_rider_finds_the_nearest_station_from_their_location_and_checks_in(phone, stations):
    page = phone(
        geolocation={"latitude": HERE[0], "longitude": HERE[1]}, permissions=["geolocation"]
    )
    page.goto("/stations/find/")
    # Before any location the list is by name.
    expect(page.locator(".station-row").first).to_contain_text("A 城北驿站")

    locate = page.locator("#locate")
    expect(locate).to_be_visible()
    with page.expect_navigation():
        locate.click()

    expect(page).to_have_url(re.compile(r"lat=40\.516"))
    rows = page.locator(".station-row")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("B 榆林驿站")
    expect(rows.nth(1)).to_contain_text("C 东街驿站")
    expect(rows.nth(2)).to_contain_text("A 城北驿站")
    assert fits_the_screen(page)
    page.screenshot(path="test-artifacts/station-finder.png", full_page=True)

    with page.expect_navigation():
        rows.nth(0).get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("B 榆林驿站")
    assert fits_the_screen(page)
    page.screenshot(path="test-artifacts/station-page.png", full_page=True)

    with page.expect_navigation():
        page.locator('button[name="group"][value="rider"]').click()
    expect(page.locator(".alert-success")).to_contain_text("B 榆林驿站")
    assert CheckInCount.objects.get(station=stations["near"], group="rider").count == 1


def test_without_a_location_the_rider_picks_their_community(phone, world, stations):
    page = phone()
    page.goto("/stations/find/")
    page.get_by_role("button", name="大字号").click()
    expect(page.locator("html")).to_have_class(re.compile(r"\blarge-text\b"))

    page.locator("select[name=area]").select_option(str(world.areas["community_b"].pk))
    with page.expect_navigation():
        page.locator("#station-finder button[type=submit]").click()

    rows = page.locator(".station-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("C 东街驿站")
    assert fits_the_screen(page)
