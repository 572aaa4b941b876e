import pytest

from orders.models import Stage

pytestmark = pytest.mark.django_db


def test_pages_render(client, staff, order_factory):
    order = order_factory(stage=Stage.PRODUCTION, lines=2)
    order_factory(stage=Stage.NEW, name="Boris New")
    client.force_login(staff["manager"])
    for url in ["/", "/board/", f"/orders/{order.number}/", "/tasks/", "/orders/new/"]:
        response = client.get(url)
        assert response.status_code == 200, (url, response.content[:3000])
