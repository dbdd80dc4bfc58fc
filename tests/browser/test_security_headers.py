"""A district official logs in with a second factor and reads the dashboard, and the
browser reports no Content-Security-Policy violation on the way."""

from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from tests.factories import PASSWORD
from tests.portal.test_dashboard_breakdowns import build


def test_second_factor_set_up_and_the_dashboard_break_no_content_policy(page, world, settings):
    settings.TWO_FACTOR_REQUIRED = True
    build(world)
    official = world.users["official"]
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )

    page.goto("/accounts/login/")
    page.locator("#id_username").fill(official.username)
    page.locator("#id_password").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    page.goto("/dashboard/")
    page.wait_for_url("**/accounts/me/two-factor/?next=*")
    expect(page.locator("main svg")).to_be_visible()

    device = TOTPDevice.objects.get(user=official, confirmed=False)
    page.locator("#id_token").fill(f"{totp(device.bin_key):06d}")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    expect(page.locator("ol.portal-codes li")).to_have_count(10)

    page.goto("/dashboard/")
    expect(page.locator("svg[role=img]").first).to_be_visible()
    page.locator("table[data-league=disputes] a[data-sort=received]").click()
    expect(page.locator("table[data-league=disputes] tbody th").first).to_be_visible()
    assert violations == []
