"""Stored messages keep quantities as numbers and write them in the reader's locale."""

from decimal import Decimal

from django.utils.translation import gettext_noop

from core.money import Quantity
from core.texts import Msg


def test_a_fractional_quantity_reads_in_each_readers_notation():
    title = Msg(
        gettext_noop("Make %(name)s × %(quantity)s"),
        name="Столешница",
        quantity=Quantity(Decimal("2.40")),
    )
    stored = Msg.from_data(title.as_data())  # as the task's row keeps it
    assert stored.render("ru") == "Изготовить: Столешница × 2,4"
    assert stored.render("en") == "Make Столешница × 2.4"
    assert Msg.from_data(Msg("%(q)s", q=Quantity(Decimal("1500"))).as_data()).render("ru") == (
        "1\xa0500"
    )
