"""Headless Chromium (Debian's package) driven by Playwright against a live server.

Never `playwright install`: the browser comes from `apt-get install chromium`, and the
page may reach nothing but the live server.
"""

import os
import re
import shutil

import pytest

from tests.conftest import IN_CI

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made
# by test code next to it are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_ONLY = re.compile(r"^(?!https?://(localhost|127\.0\.0\.1)[:/]).*")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium():
    executable = shutil.which("chromium")
    if not executable:
        if IN_CI:
            pytest.fail("Chromium is missing: `apt-get install chromium` (.ci/run does this)")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser_locale():
    """The browser's language; override per test with parametrize or a local fixture."""
    return "zh-CN"


@pytest.fixture
def page(chromium, live_server, browser_locale):
    context = chromium.new_context(locale=browser_locale, base_url=live_server.url)
    context.route(LOCAL_ONLY, lambda route: route.abort())
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
