"""Browser tests: Playwright (sync API) driving Debian's Chromium against live_server.

Never ``playwright install``: the browser is the system's (``CHROMIUM_PATH``,
default /usr/bin/chromium). Tests here are marked ``browser``; without
Chromium they are skipped outside CI and fail in CI (tests/conftest.py).
Screenshots of every step go to ``$SMARKETING_SCREENSHOT_DIR`` when it is set.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import CHROMIUM

# Playwright's sync API runs an event loop in this thread; the ORM calls made by
# fixtures and assertions are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "pw-for-tests-1"  # tests.factories.UserFactory's


@pytest.fixture(autouse=True)
def _migration_rows(migration_rows):
    """Browser tests run on a transactional database (live_server): see tests/conftest.py."""


# Session scope: one Playwright and one Chromium for the whole run (per xdist worker);
# each test still gets a fresh context (cookies, storage) and page.
@pytest.fixture(scope="session")
def chromium():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, live_server):
    context = chromium.new_context(
        base_url=live_server.url,
        accept_downloads=True,
        locale="en-US",
        viewport={"width": 1280, "height": 900},
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot(request):
    """``screenshot(page, "step")`` saves a full-page PNG when SMARKETING_SCREENSHOT_DIR is set."""
    folder = os.environ.get("SMARKETING_SCREENSHOT_DIR")

    def take(page, step: str) -> None:
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            name = f"{request.node.name}-{step}.png".replace("[", "-").replace("]", "")
            page.screenshot(path=str(Path(folder) / name), full_page=True)

    return take


@pytest.fixture
def log_in(page):
    def do(user) -> None:
        page.goto("/accounts/login/")
        page.fill("#id_username", user.get_username())
        page.fill("#id_password", PASSWORD)
        page.click("form[action$='/accounts/login/'] button[type=submit]")
        page.wait_for_load_state()
        assert "/accounts/login/" not in page.url

    return do
