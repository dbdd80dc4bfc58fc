"""Community staff build a household's adaptation plan and see its money add up."""

from playwright.sync_api import expect

from eldercare.models import AdaptationStage
from tests.browser.test_grid_referral import log_in
from tests.eldercare.test_adaptation_services import adaptation_at


def row(page, code):
    return page.locator(f"#plan-builder tr.plan-row[data-code='{code}']")


def test_staff_pick_items_for_an_assessed_home_save_and_see_the_totals(
    page, world, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    adaptation = adaptation_at(world, AdaptationStage.ASSESSED)
    log_in(page, world.users["own_staff"])

    page.goto(f"/eldercare/adaptations/{adaptation.pk}/")
    expect(page.locator("#plan-cap")).to_contain_text("3000.00")
    # Basic: handrail 380.00 × 2, anti-slip floor 900.00 × 2, ramp 650.00, corridor
    # handrail 420.00 = 3630.00 (subsidised up to the 3000.00 cap); optional: a
    # wheelchair at an agreed 750.00.
    row(page, "T01").locator(".plan-qty").fill("2")
    row(page, "T03").locator(".plan-qty").fill("2")
    row(page, "E01").locator(".plan-qty").fill("1")
    row(page, "W01").locator(".plan-qty").fill("1")
    row(page, "D02").locator(".plan-qty").fill("1")
    row(page, "D02").locator(".plan-price").fill("750.00")
    # The live preview, before saving.
    expect(page.locator("#plan-total")).to_have_text("4380.00")
    expect(page.locator("#plan-preview-note")).to_be_visible()

    with page.expect_navigation():
        page.locator("#plan-save").click()

    expect(page.locator("#adaptation-stage")).to_have_attribute("data-stage", "planned")
    expect(page.locator("#plan-total")).to_have_text("4380.00")
    expect(page.locator("#plan-subsidy")).to_have_text("3000.00")
    expect(page.locator("#plan-self-pay")).to_have_text("1380.00")
    expect(row(page, "D02").locator(".plan-price")).to_have_value("750.00")
    adaptation.refresh_from_db()
    assert str(adaptation.self_pay) == "1380.00"
