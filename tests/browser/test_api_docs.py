"""The API's docs page (Swagger UI from our own static files) under the site's strict
Content-Security-Policy."""

from __future__ import annotations


def test_the_api_docs_render_under_the_content_security_policy(new_page, live_server):
    page = new_page()
    refused = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    response = page.goto("/api/docs")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.get_by_text("Send an order in").wait_for()
    page.get_by_text("Report a bank payment").wait_for()
    page.get_by_text("Read an order's status").wait_for()
    assert refused == []
