"""Browser tests: Debian's chromium driven by Playwright against the real app on a live server.

Skipped when chromium is not installed (`.ci/run` installs it). Screenshots go to
test-artifacts/ so a person can look at what the pages show.
"""

import shutil
from pathlib import Path

import pytest

from lms.db import db
from tests.conftest import serving

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium is not installed")


@pytest.fixture
def live_server(app, monkeypatch):
    """The app on a free local port, with CSRF on as in production; demo data and curricula."""
    from lms.devdata import demo
    from lms.services import curricula

    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    with app.app_context():
        curricula.import_tree(Path(app.config["CURRICULA_PATH"]))
        demo.create_demo()
        db.session.commit()
    with serving(app) as url:
        yield url


@pytest.fixture
def browser():
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


CSP_VIOLATIONS: list[str] = []


def open_page(browser, *, width: int = 360, height: int = 740, js: bool = False):
    """A new page in its own browser context; anything the Content-Security-Policy blocks on it
    is recorded, and fails the test."""
    context = browser.new_context(
        viewport={"width": width, "height": height}, java_script_enabled=js, locale="zh-CN"
    )
    page = context.new_page()
    page.on(
        "console",
        lambda message: (
            CSP_VIOLATIONS.append(message.text)
            if "Content Security Policy" in message.text
            else None
        ),
    )
    return page


@pytest.fixture(autouse=True)
def _nothing_blocked_by_the_csp():
    CSP_VIOLATIONS.clear()
    yield
    assert CSP_VIOLATIONS == []


@pytest.fixture
def phone(browser):
    """A cheap Android phone's screen, with JavaScript turned off."""
    page = open_page(browser)
    yield page
    page.context.close()


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def log_in(page, base: str, phone_number: str, password: str = "demo1234") -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=phone]", phone_number)
    page.fill("input[name=password]", password)
    page.click("main button[type=submit]")
