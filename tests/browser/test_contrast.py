"""Colour contrast as the browser renders the stylesheets: text at least 4.5:1 against what
is behind it (WCAG AA), the keyboard focus outline at least 3:1 against the page."""

from __future__ import annotations

import importlib

import pytest
from django.contrib.auth.models import Group

from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def roles(transactional_db):
    """The roles come from a data migration, which a transactional test's flush removes."""
    from django.apps import apps

    if not Group.objects.exists():
        importlib.import_module("orders.migrations.0002_roles_and_defaults").forwards(apps, None)


# The elements the stylesheets colour, as the pages write them (the shop floor's "Start",
# its disclosure, stage and progress badges, the stage bar, counters, muted shop-floor text).
SAMPLES = {
    "shop floor Start": '<button class="sf-btn">Start</button>',
    "shop floor disclosure": '<details><summary id="s-summary">Details</summary></details>',
    "stage badge": '<span class="badge badge-brand">Production</span>',
    "won badge": '<span class="badge badge-ok">Won</span>',
    "progress": '<span class="progress">1/3</span>',
    "stage bar, future step": '<ol class="stagebar"><li>Delivery</li></ol>',
    "stage bar, done step": '<ol class="stagebar"><li class="done">New</li></ol>',
    "bell count": '<span class="bell-count">3</span>',
    "my tasks count": '<span class="count">2</span>',
    "shop floor muted, on a card": '<div class="sf-card"><small class="sf-muted">4</small></div>',
    "shop floor muted, on the page": '<small class="sf-muted">4</small>',
}

CONTRAST = """
([samples]) => {
  function rgb(text) {
    const [r, g, b, a] = text.match(/[\\d.]+/g).map(Number);
    return { r, g, b, a: a === undefined ? 1 : a };
  }
  function luminance({ r, g, b }) {
    const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  }
  function ratio(x, y) {
    const [hi, lo] = [luminance(x), luminance(y)].sort((a, b) => b - a);
    return (hi + 0.05) / (lo + 0.05);
  }
  function background(el) {
    for (; el; el = el.parentElement) {
      const colour = rgb(getComputedStyle(el).backgroundColor);
      if (colour.a > 0) return colour;
    }
    return { r: 255, g: 255, b: 255, a: 1 };
  }
  const results = {};
  const host = document.createElement("div");
  host.className = "sf";
  document.querySelector("main").append(host);
  for (const [name, html] of Object.entries(samples)) {
    const box = document.createElement("div");
    box.innerHTML = html;
    host.append(box);
    // The innermost element holding the text.
    const holds = (e) => [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    const text = [...box.querySelectorAll("*")].filter(holds).pop();
    results[name] = ratio(rgb(getComputedStyle(text).color), background(text));
  }
  return results;
}
"""

OUTLINE = """
() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const page = getComputedStyle(document.body).backgroundColor;
  return { outline: style.outlineColor, style: style.outlineStyle, page, tag: el.tagName };
}
"""


def _ratio(x: str, y: str) -> float:
    def luminance(text: str) -> float:
        values = [float(v) for v in text[text.index("(") + 1 : -1].split(",")[:3]]
        channels = [
            c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
            for c in (v / 255 for v in values)
        ]
        return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]

    hi, lo = sorted([luminance(x), luminance(y)], reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_text_and_focus_colours_are_contrasted_enough(new_page, staff):
    page = new_page()
    sign_in(page, "masha")
    page.goto("/notifications/")  # a page with both stylesheets, app.css and shopfloor.css
    ratios = page.evaluate(CONTRAST, [SAMPLES])
    low = {name: round(value, 2) for name, value in ratios.items() if value < 4.5}
    assert not low, f"text below 4.5:1: {low}"

    # The focus outline of the first thing Tab reaches, against the page and a white panel.
    page.keyboard.press("Tab")
    focus = page.evaluate(OUTLINE)
    assert focus["style"] != "none", focus
    assert _ratio(focus["outline"], focus["page"]) >= 3, focus
    assert _ratio(focus["outline"], "rgb(255, 255, 255)") >= 3, focus
