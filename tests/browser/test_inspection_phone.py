"""An inspector runs a kitchen checklist one-handed on a phone; the connection drops
halfway, and the answer given offline is kept and sent when it comes back."""

import pytest
from playwright.sync_api import expect

from civility.models import Answer, Finding, Result
from portal.roles import Programme
from tests.browser.conftest import LOCAL_ONLY
from tests.browser.test_grid_referral import log_in
from tests.civility.test_inspection_services import criterion, officer, start
from tests.scope import build_world


@pytest.fixture
def civility_world(db):
    return build_world(Programme.CIVILITY)


@pytest.fixture
def phone(chromium, live_server):
    context = chromium.new_context(
        locale="zh-CN",
        base_url=live_server.url,
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
    )
    context.route(LOCAL_ONLY, lambda route: route.abort())
    yield context
    context.close()


def item(page, inspection, code):
    return page.locator(f"#c-{criterion(inspection, code).pk}")


def tap(page, inspection, code, result):
    item(page, inspection, code).locator(f"button.answer-btn[value='{result}']").tap()


def test_a_phone_checklist_keeps_an_offline_answer_and_sends_it_when_back_online(
    phone, civility_world, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    world = civility_world
    inspection = start(world)
    page = phone.new_page()
    page.set_default_timeout(15_000)
    log_in(page, officer(world))
    page.goto(f"/civility/inspections/{inspection.pk}/")

    # Only the kitchen's criteria, with big answer buttons that fit the screen.
    expect(page.locator(".checklist-item")).to_have_count(4)
    box = item(page, inspection, "C01").locator("button[value='pass']").bounding_box()
    assert box["height"] >= 48 and box["width"] >= 90
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    tap(page, inspection, "C01", "pass")
    expect(item(page, inspection, "C01")).to_have_attribute("data-state", "saved")
    tap(page, inspection, "C02", "fail")
    expect(item(page, inspection, "C02")).to_have_attribute("data-state", "saved")
    expect(item(page, inspection, "C02").locator(".finding-link")).to_be_visible()

    phone.set_offline(True)
    c03 = item(page, inspection, "C03")
    c03.locator(".answer-note").fill("extinguisher checked offline")
    tap(page, inspection, "C03", "pass")
    expect(c03).to_have_attribute("data-state", "waiting")
    expect(c03.locator("button[value='pass']")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#pending-count")).to_have_text("1")
    expect(page.locator("#finish-button")).to_be_disabled()
    assert not Answer.objects.filter(criterion=criterion(inspection, "C03")).exists()
    stored = page.evaluate(f"localStorage.getItem('civility.checklist.{inspection.pk}')")
    assert "extinguisher checked offline" in stored

    phone.set_offline(False)
    expect(c03).to_have_attribute("data-state", "saved")
    expect(page.locator("#pending-note")).to_be_hidden()
    answers = {
        a.criterion.code: (a.result, a.note)
        for a in Answer.objects.filter(inspection=inspection).select_related("criterion")
    }
    assert answers == {
        "C01": (Result.PASS, ""),
        "C02": (Result.FAIL, ""),
        "C03": (Result.PASS, "extinguisher checked offline"),
    }
    assert Finding.objects.filter(inspection=inspection).count() == 1
    assert page.evaluate(f"localStorage.getItem('civility.checklist.{inspection.pk}')") == "{}"

    tap(page, inspection, "O01", "na")
    expect(item(page, inspection, "O01")).to_have_attribute("data-state", "saved")
    page.screenshot(path="test-artifacts/inspection-phone.png", full_page=True)
    with page.expect_navigation():
        page.locator("#finish-button").tap()
    expect(page.locator("#checklist-finished")).to_be_visible()
    inspection.refresh_from_db()
    assert inspection.finished_at is not None


def test_an_unsent_answer_survives_a_reload_and_is_sent_on_retry(phone, civility_world):
    world = civility_world
    inspection = start(world)
    page = phone.new_page()
    page.set_default_timeout(15_000)
    log_in(page, officer(world))
    page.goto(f"/civility/inspections/{inspection.pk}/")
    answer_url = f"**/civility/inspections/{inspection.pk}/answer/"

    # The answer endpoint is unreachable (a dead spot that the browser thinks is online).
    page.route(answer_url, lambda route: route.abort())
    c01 = item(page, inspection, "C01")
    c01.locator(".answer-note").fill("grease behind the stove")
    tap(page, inspection, "C01", "fail")
    expect(c01).to_have_attribute("data-state", "waiting")

    page.reload()
    c01 = item(page, inspection, "C01")
    expect(c01.locator(".answer-note")).to_have_value("grease behind the stove")
    expect(c01.locator("button[value='fail']")).to_have_attribute("aria-pressed", "true")
    expect(c01).to_have_attribute("data-state", "waiting")
    assert not Answer.objects.filter(inspection=inspection).exists()

    page.unroute(answer_url)
    expect(c01).to_have_attribute("data-state", "saved")
    saved = Answer.objects.get(inspection=inspection)
    assert (saved.result, saved.note) == (Result.FAIL, "grease behind the stove")
    assert Finding.objects.filter(inspection=inspection).count() == 1
