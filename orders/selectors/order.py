"""Reads of one order: its page, and the columns it may be moved to by hand."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, cast

from django_fsm import Transition

from orders.models import Order, Stage

if TYPE_CHECKING:
    from orders.selectors.board import Card


def order_for_page(number: str) -> Order:
    return Order.objects.select_related("customer", "manager", "carrier").get(number=number)


@functools.cache
def _transitions() -> tuple[Transition, ...]:
    """The funnel as declared on the model; it never changes while the process runs."""
    return tuple(Order._meta.get_field("stage").get_all_transitions(Order))


def manual_targets(order: Order | Card) -> list[str]:
    """Columns this order may be dragged to by hand (cancelling needs a reason, so it is
    done on the order page). A transition whose conditions do not hold is no target: so
    qualification goes where the payment scheme sends it (Order.qualify_for_*)."""
    return [
        cast(str, transition.target)  # the funnel's targets are Stage values
        for transition in _transitions()
        if transition.source == order.stage
        and transition.custom.get("manual")
        and transition.target != Stage.LOST
        # A Card carries the fields the conditions (Order's methods) read.
        and all(condition(order) for condition in transition.conditions)  # type: ignore[arg-type]
    ]


def automatic_moves(stage: str) -> list[str]:
    """What moves an order on from this stage by itself (the transitions' labels: a
    payment received, production finished…), for a card with nothing to choose by hand."""
    return [
        str(transition.custom["label"])
        for transition in _transitions()
        if transition.source == stage and not transition.custom.get("manual")
    ]


def transition_between(source: str, target: str) -> Transition | None:
    for transition in _transitions():
        if transition.source == source and transition.target == target:
            return transition
    return None
