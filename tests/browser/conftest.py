"""Browser tests: Playwright driving Debian's Chromium against the live test server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


# Every page reports what the Content-Security-Policy refused: the securitypolicyviolation
# event (listened for before any page script runs) and Chromium's console error.
CSP_WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  const text = `${e.effectiveDirective} refused ${e.blockedURI || "inline code"} `
    + `at ${e.sourceFile || e.documentURI}:${e.lineNumber} ${e.sample || ""}`;
  window.__cspViolations.push(text);
  window.__cspViolation(text);
}, true);
"""


def watch_csp(context, violations: list[str]) -> None:
    def on_console(message) -> None:
        if "Content Security Policy" in message.text:
            violations.append(message.text)

    def on_violation(text: str) -> None:
        violations.append(text)

    context.expose_function("__cspViolation", on_violation)
    context.add_init_script(CSP_WATCH)
    context.on("console", on_console)


@pytest.fixture
def new_page(browser, live_server) -> Iterator:
    """new_page(viewport=PHONE, locale="ru-RU") → a page in its own context. The test
    fails if anything on its pages broke the Content-Security-Policy."""
    contexts = []
    csp_violations: list[str] = []

    def make(*, viewport: dict | None = None, locale: str = "en-US"):
        context = browser.new_context(
            viewport=viewport or DESKTOP, locale=locale, base_url=live_server.url
        )
        context.set_default_timeout(10_000)
        watch_csp(context, csp_violations)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        for page in context.pages:  # let the reports still on their way arrive
            page.wait_for_timeout(50)
        context.close()
    if csp_violations:
        pytest.fail("Content-Security-Policy violations:\n" + "\n".join(csp_violations))


def sign_in(page, username: str, password: str = "pass-12345") -> None:
    page.goto("/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
