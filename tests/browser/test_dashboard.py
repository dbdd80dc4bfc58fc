"""A district official compares communities on the dashboard, drills down through the
league table and downloads the table as a spreadsheet."""

import csv
import io

from playwright.sync_api import expect

from tests.factories import PASSWORD
from tests.portal.test_dashboard_breakdowns import build


def log_in(page, user):
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(user.username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/")


def test_an_official_drills_down_through_the_league_table_and_downloads_it(page, world):
    build(world)
    log_in(page, world.users["official"])

    page.goto("/dashboard/")
    expect(page.locator("h1")).to_contain_text("District")
    disputes = page.locator("table[data-league=disputes]")
    disputes.get_by_role("link", name="Subdistrict").click()
    expect(page.locator("h1")).to_contain_text("Subdistrict")

    # Sort the disputes by how many were received, most first, then fewest first.
    table = page.locator("table[data-league=disputes]")
    received = table.locator("a[data-sort=received]")
    received.click()
    expect(table.locator("tbody th").first).to_have_text("Community A")
    table.locator("a[data-sort=received]").click()
    expect(table.locator("tbody th").first).to_have_text("Community B")
    expect(page.locator("svg[role=img]").first).to_be_visible()

    with page.expect_download() as download_info:
        page.locator("a[data-export='portal.breakdown.disputes']").click()
    download = download_info.value
    rows = list(csv.reader(io.StringIO(open(download.path(), encoding="utf-8-sig").read())))
    assert [row[0] for row in rows[1:]] == ["Community B", "Community A"]
    assert rows[1][1:] == [
        cell.strip() for cell in table.locator("tbody tr").first.locator("td").all_inner_texts()
    ]

    table.get_by_role("link", name="Community A").click()
    expect(page.locator("h1")).to_contain_text("Community A")
    expect(page.locator("nav ol.breadcrumb")).to_contain_text("Subdistrict")
    page.screenshot(path="test-artifacts/dashboard-community.png", full_page=True)
