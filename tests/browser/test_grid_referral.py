"""A grid worker refers a dispute from a phone; the clinic takes it through to an agreement."""

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from disputes.models import Agreement, Dispute, Mediator
from portal.roles import Role
from tests.factories import PASSWORD, UserFactory, member


def log_in(page, user):
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(user.username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/")


def submit(page):
    """Submit the page's form and wait for the answer, not just for the click."""
    with page.expect_navigation():
        page.locator("main form button[type=submit]").last.click()


def test_a_grid_referral_from_a_phone_through_to_an_agreement(chromium, live_server, world):
    from disputes.categories import seed

    seed()
    grid_worker = UserFactory(username="grid_a1_worker")
    member(grid_worker, Role.GRID_WORKER, area=world.areas["grid_a1"])
    staff = world.users["own_staff"]
    Mediator.objects.create(
        community=world.areas["community_a"],
        user=staff,
        name="Ma Yan",
        affiliation="community_cadre",
    )

    phone = chromium.new_context(
        locale="zh-CN",
        base_url=live_server.url,
        viewport={"width": 390, "height": 844},
        is_mobile=True,
    )
    page = phone.new_page()
    log_in(page, grid_worker)
    page.goto("/disputes/refer/")
    page.locator("select[name=category]").select_option(label="邻里纠纷")
    page.locator("[name=facts]").fill("楼上漏水，楼下住户多次与其争吵")
    page.locator("[name=place]").fill("3号楼2单元")
    page.locator("[name=applicant_name]").fill("张阿姨")
    page.locator("[name=applicant_phone]").fill("138 1234 5678")
    page.locator("[name=respondent_name]").fill("李先生")
    page.screenshot(path="test-artifacts/grid-referral-phone.png", full_page=True)
    submit(page)
    dispute = Dispute.objects.get()
    assert page.url.endswith(f"/disputes/{dispute.pk}/")
    assert dispute.channel == "grid_referral" and dispute.case.grid == world.areas["grid_a1"]
    phone.close()

    desk = chromium.new_context(locale="zh-CN", base_url=live_server.url)
    page = desk.new_page()
    log_in(page, staff)
    page.goto(f"/disputes/{dispute.pk}/accept/")
    submit(page)
    page.goto(f"/disputes/{dispute.pk}/panel/")
    page.locator("[name=mediators]").first.check() if page.locator(
        "input[name=mediators]"
    ).count() else page.locator("select[name=mediators]").select_option(index=0)
    page.locator("select[name=lead]").select_option(index=1)
    submit(page)
    tomorrow = timezone.localtime() + timedelta(days=1)
    page.goto(f"/disputes/{dispute.pk}/sessions/new/")
    page.locator("select[name=format]").select_option("tea_talk")
    page.locator("[name=starts_at]").fill(tomorrow.strftime("%Y-%m-%dT15:00"))
    page.locator("[name=place]").fill("书记接诊室")
    submit(page)
    page.goto(f"/disputes/{dispute.pk}/agreement/new/")
    page.locator("[name=terms]").fill("修复漏水，费用由楼上住户承担")
    submit(page)

    agreement = Agreement.objects.get(dispute=dispute)
    assert page.url.endswith(f"/disputes/{dispute.pk}/")
    page.goto(f"/disputes/{dispute.pk}/agreement/print/")
    expect(page.get_by_text(agreement.number).first).to_be_visible()
    expect(page.get_by_text("人民调解协议书").first).to_be_visible()
    page.screenshot(path="test-artifacts/agreement-print.png", full_page=True)
    desk.close()
