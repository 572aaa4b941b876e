import pytest

from tests.browser.conftest import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_signs_in_and_lands_on_the_workspace(new_page, manager):
    page = new_page()
    sign_in(page, "masha")
    assert page.url.endswith("/")
    assert page.locator("form[action='/logout/']").count() == 1


def test_a_person_locked_out_is_told_why_on_the_sign_in_page(new_page, manager):
    page = new_page(locale="ru-RU")
    for _ in range(5):
        sign_in(page, "masha", "не-тот-пароль")
    with page.expect_response("**/login/") as answer:
        page.fill("input[name=username]", "masha")
        page.fill("input[name=password]", "pass-12345")
        page.click("button[type=submit]")
    assert answer.value.status == 429
    alert = page.get_by_role("alert")
    assert alert.inner_text().strip() == (
        "Слишком много неудачных попыток. Попробуйте снова через 15 минут."
    )
    assert page.locator("form[action='/logout/']").count() == 0
    screenshot(page, "sign-in-locked-out-ru")
