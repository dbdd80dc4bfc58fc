"""A visitor opens the login page in Chinese and switches to English."""

import pytest
from playwright.sync_api import expect


def test_login_page_in_chinese_then_english(page):
    page.goto("/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_role("heading", name="登录")).to_be_visible()

    page.get_by_label("语言").select_option("en")
    page.get_by_role("button", name="切换语言").click()

    page.wait_for_url("**/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()


@pytest.mark.parametrize("browser_locale", ["en-US"])
def test_an_english_browser_gets_english_and_can_log_in(page, demo_admin):
    page.goto("/")
    page.wait_for_url("**/accounts/login/?next=/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill("portal-demo")
    page.get_by_role("button", name="Log in").click()

    page.wait_for_url("**/")
    expect(page.get_by_role("heading", name="Welcome, Administrator")).to_be_visible()
