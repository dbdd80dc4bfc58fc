"""A party secretary opens an account for a resident, who then logs in the first time."""

from playwright.sync_api import expect

from portal.models import User


def log_in(page, username, password):
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def test_a_new_resident_account_from_slip_to_first_login(page, demo_data):
    log_in(page, "secretary.tuanjie", "portal-demo")
    page.get_by_role("link", name="账号管理").first.click()
    page.get_by_role("link", name="新建账号").click()

    page.get_by_label("姓名").fill("李大爷")
    page.get_by_label("手机号码").fill("139 1234 5678")
    page.get_by_label("角色").select_option(label="居民")
    page.get_by_label("所属").select_option(label="城东区 › 清真巷街道 › 团结社区")
    page.get_by_role("button", name="创建账号").click()

    password = page.get_by_test_id("one-time-password").inner_text()
    assert User.objects.get(username="13912345678").must_change_password
    page.screenshot(path="test-artifacts/account-slip.png", full_page=True)
    page.get_by_role("button", name="退出登录").click()

    log_in(page, "13912345678", password)
    page.wait_for_url("**/accounts/password_change/")
    page.get_by_label("旧密码").fill(password)
    page.locator("#id_new_password1").fill("my-own-pass-2026")
    page.locator("#id_new_password2").fill("my-own-pass-2026")
    page.get_by_role("button", name="修改密码").click()
    page.wait_for_url("**/accounts/password_change/done/")

    page.goto("/")
    expect(page.get_by_role("heading", name="欢迎您，李大爷")).to_be_visible()
    expect(page.get_by_text("居民 · 城东区 › 清真巷街道 › 团结社区")).to_be_visible()
