"""An older resident checks a request on the public status page, in large text, and rates it."""

import re

from playwright.sync_api import expect

from portal.models import Case
from portal.services import cases
from tests.kitapp.services import ticket_open


def test_a_resident_follows_and_rates_a_request_without_logging_in(page, world):
    staff = world.users["own_staff"]
    case = ticket_open(
        actor=staff,
        community=world.areas["community_a"],
        title="楼道灯不亮",
        filer_name="李桂兰",
        filer_phone="13812345678",
    ).case
    cases.case_comment(case=case, actor=staff, comment="已联系电工", public=True)
    cases.case_close(case=case, actor=staff, status="solved", comment="灯已更换")

    page.goto("/status/")
    page.get_by_role("button", name="大字号").click()
    expect(page.locator("html")).to_have_class(re.compile(r"\blarge-text\b"))

    page.get_by_label("受理编号").fill(case.reference.lower())
    page.get_by_label("手机号码").fill("138 1234 5678")
    page.get_by_role("button", name="查询").click()

    expect(page.get_by_role("heading", name=f"{case.reference} · 楼道灯不亮")).to_be_visible()
    expect(page.get_by_text("已联系电工")).to_be_visible()
    expect(page.get_by_text("李*")).to_be_visible()
    page.screenshot(path="test-artifacts/status-page.png", full_page=True)

    page.get_by_label("2", exact=True).check()
    page.get_by_label("没有解决，请重新办理").check()
    page.get_by_label("意见").fill("晚上还是黑的")
    page.get_by_role("button", name="提交评价").click()

    expect(page.get_by_text("感谢您的评价。")).to_be_visible()
    reopened = Case.objects.get(pk=case.pk)
    assert reopened.closed_at is None and reopened.reopened_count == 1
