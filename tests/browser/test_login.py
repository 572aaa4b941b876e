import pytest

from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_signs_in_and_lands_on_the_workspace(new_page, manager):
    page = new_page()
    sign_in(page, "masha")
    assert page.url.endswith("/")
    assert page.locator("form[action='/logout/']").count() == 1
