import pytest
from django.template import engines
from django.test import RequestFactory
from django.urls import reverse

from orders.models import Notification
from web.orders.bell import unread_notifications

pytestmark = pytest.mark.django_db


def notify(user, text: str, url: str = "/orders/2026-00001/") -> Notification:
    return Notification.objects.create(user=user, text=text, url=url)


def render_bell(user) -> str:
    request = RequestFactory().get("/")
    request.user = user
    template = engines["django"].from_string('{% include "partials/bell.html" %}')
    return template.render(unread_notifications(request), request)


def test_the_bell_shows_the_unread_count(manager, head_of_sales):
    notify(manager, "Deadline soon")
    notify(manager, "Overdue")
    notify(head_of_sales, "Not hers")
    read = notify(manager, "Old news")
    Notification.objects.filter(pk=read.pk).update(read_at=read.created_at)
    html = render_bell(manager)
    assert 'data-testid="bell-count">2<' in html
    assert reverse("notifications:list") in html


def test_the_bell_counts_only_when_a_template_shows_it(manager, django_assert_num_queries):
    request = RequestFactory().get("/")
    request.user = manager
    with django_assert_num_queries(0):
        context = unread_notifications(request)
    with django_assert_num_queries(1):
        assert context["bell_unread"] == 0


def test_the_list_shows_my_notifications_newest_first(client, manager, head_of_sales):
    notify(manager, "First")
    notify(manager, "Second")
    notify(head_of_sales, "Someone else's")
    client.force_login(manager)
    page = client.get(reverse("notifications:list"))
    assert [n.text for n in page.context["notifications"]] == ["Second", "First"]


def test_the_list_runs_a_fixed_number_of_queries(client, manager, django_assert_num_queries):
    for number in range(7):
        notify(manager, f"Message {number}")
    client.force_login(manager)
    # Queries: the session, the user, the notifications; the layout's user and group
    # permissions, open-task count, unread notifications and role.
    with django_assert_num_queries(8):
        client.get(reverse("notifications:list"))


def test_opening_a_notification_marks_it_read_and_goes_to_the_order(client, manager):
    notification = notify(manager, "Overdue", url="/orders/2026-00007/")
    client.force_login(manager)
    response = client.post(reverse("notifications:read", args=[notification.pk]))
    assert response["Location"] == "/orders/2026-00007/"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_it_does_not_follow_a_link_to_another_site(client, manager):
    notification = notify(manager, "Odd", url="https://evil.example/")
    client.force_login(manager)
    response = client.post(reverse("notifications:read", args=[notification.pk]))
    assert response["Location"] == reverse("notifications:list")


def test_nobody_can_read_someone_elses_notification(client, manager, head_of_sales):
    notification = notify(head_of_sales, "Hers")
    client.force_login(manager)
    assert client.post(reverse("notifications:read", args=[notification.pk])).status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


def test_mark_all_read(client, manager, head_of_sales):
    notify(manager, "One")
    notify(manager, "Two")
    theirs = notify(head_of_sales, "Hers")
    client.force_login(manager)
    client.post(reverse("notifications:read_all"))
    assert not Notification.objects.filter(user=manager, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None
