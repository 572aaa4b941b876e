"""Formatting for the workspace: money and numbers for the active language, people, dates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

# The standard library's escape: the cards' values are plain strings, and Django's lazy-aware
# wrapper costs more than the escaping itself on a hundred cards.
from html import escape

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from core.money import currency_sign, money_with_sign
from core.money import quantity as quantity_shown
from orders import rules
from orders.models import Order, Stage
from orders.selectors.board import Card
from orders.selectors.order import automatic_moves, manual_targets
from web.orders.forms import new_form_key
from web.templatetags.promise import CardPromise

register = template.Library()


@register.filter
def money(value: Decimal | None, currency: str | None = None) -> str:
    """15 000,00 ₽ in Russian, 15,000.00 ₽ in English; a dash for no value."""
    if value is None or value == "":
        return "—"
    return money_with_sign(Decimal(value), currency)


@register.filter
def money_short(value: Decimal | None, currency: str | None = None) -> str:
    """Whole amounts without kopecks, for cards and column heads."""
    if value is None:
        return "—"
    value = Decimal(value)
    places = 0 if value == value.to_integral_value() else 2
    return money_with_sign(value, currency, places=places)


@register.filter
def quantity(value: Decimal | None) -> str:
    return "" if value is None else quantity_shown(value)


@register.simple_tag
def form_key() -> str:
    """A fresh key for a form written out by hand (see orders.forms.FormKeyField)."""

    return new_form_key()


@register.filter
def person(user) -> str:
    return rules.person(user)


@register.filter
def stage_label(stage: str) -> str:
    try:
        return str(Stage(stage).label)
    except ValueError:
        return stage


@register.filter
def is_past(moment: dt.datetime | None) -> bool:
    return moment is not None and moment < timezone.now()


@register.filter
def due(moment: dt.datetime | None) -> str:
    """ "in 3 h", "2 days late": the nearest deadline at a glance."""
    if moment is None:
        return ""
    delta = moment - timezone.now()
    late = delta.total_seconds() < 0
    seconds = abs(delta.total_seconds())
    if seconds < 3600:
        amount = _("%(n)d min") % {"n": max(1, seconds // 60)}
    elif seconds < 48 * 3600:
        amount = _("%(n)d h") % {"n": seconds // 3600}
    else:
        amount = _("%(n)d d") % {"n": seconds // 86400}
    return (
        _("%(amount)s late") % {"amount": amount}
        if late
        else _("in %(amount)s") % {"amount": amount}
    )


@register.simple_tag
def move_targets(order: Order) -> list[tuple[str, str]]:
    return [(stage, str(Stage(stage).label)) for stage in manual_targets(order)]


# ----------------------------------------------------------------------------- board cards


class CardRenderer:
    """Renders board cards in Python. The template engine costs about 0.3 ms per card,
    which made the board's time grow with the number of cards shown. Everything that is
    the same for every card (translated words, number format, URLs, the token) is looked up
    once per board; user data is escaped where it is put in."""

    def __init__(self, context: template.Context) -> None:
        from django.middleware.csrf import get_token
        from django.urls import reverse
        from django.utils.formats import get_format

        request = context["request"]
        self.now = timezone.now()
        self.show_manager = context.get("who") != "mine"
        self.can_money = bool(context.get("can_money"))
        # Only those who may change orders get the "Move to…" menu (the accountant reads
        # every board, too).
        self.can_move = request.user.has_perm("orders.change_order")
        self.detail_url = reverse("orders:detail", args=["NUMBER"])
        self.move_url = reverse("orders:move", args=["NUMBER"])
        self.token = get_token(request)
        self.decimal = get_format("DECIMAL_SEPARATOR")
        self.thousands = get_format("THOUSAND_SEPARATOR")
        self.words = {
            key: escape(str(text))
            for key, text in {
                "overdue": _("Overdue"),
                "move": _("Move to…"),
                "balance": _("Balance"),
                "made": _("Lines made"),
                "steps": _("Operations done"),
                "owes": _("owes %(amount)s"),
                "late": _("%(amount)s late"),
                "in": _("in %(amount)s"),
                "min": _("%(n)d min"),
                "h": _("%(n)d h"),
                "d": _("%(n)d d"),
                "itself": _("Moves on by itself when: %(when)s"),
                "client": pgettext("board card", "waiting on the client"),
            }.items()
        }
        self.stage_labels = {stage: escape(str(label)) for stage, label in Stage.choices}
        self.targets_by_kind: dict[tuple[str, bool], list[str]] = {}
        self.by_itself: dict[str, str] = {}
        self.promise = CardPromise()

    def money(self, value: Decimal, currency: str) -> str:
        """money_short, with the separators looked up once (the same output)."""
        places = 0 if value == value.to_integral_value() else 2
        text = f"{value:,.{places}f}".replace(",", "\x00").replace(".", self.decimal)
        return f"{text.replace(chr(0), self.thousands)}\xa0{currency_sign(currency)}"

    def due(self, moment: dt.datetime) -> str:
        seconds = (moment - self.now).total_seconds()
        late, seconds = seconds < 0, abs(seconds)
        if seconds < 3600:
            amount = self.words["min"] % {"n": max(1, seconds // 60)}
        elif seconds < 48 * 3600:
            amount = self.words["h"] % {"n": seconds // 3600}
        else:
            amount = self.words["d"] % {"n": seconds // 86400}
        return self.words["late" if late else "in"] % {"amount": amount}

    def targets(self, order: Card) -> list[str]:
        """The "Move to…" columns depend only on the stage and the scheme: worked out once."""
        if not self.can_move:
            return []
        key = (order.stage, order.needs_prepayment)
        if key not in self.targets_by_kind:
            self.targets_by_kind[key] = manual_targets(order)
        return self.targets_by_kind[key]

    def moves_by_itself(self, stage: str) -> str:
        """Why a card has no "Move to…": what moves it on (empty for one that nothing does)."""
        if stage not in self.by_itself:
            when = " / ".join(escape(label) for label in automatic_moves(stage))
            self.by_itself[stage] = self.words["itself"] % {"when": when} if when else ""
        return self.by_itself[stage]

    def render(self, order: Card) -> str:
        words = self.words
        number = escape(order.number)
        late = order.next_due_at is not None and order.next_due_at < self.now
        targets = self.targets(order)
        itself = self.moves_by_itself(order.stage) if self.can_move and not targets else ""
        title = f' title="{itself}"' if itself else ""
        parts = [
            f'<li class="card{" is-overdue" if late else ""}" data-number="{number}" '
            f'data-stage="{order.stage}" data-targets="{" ".join(targets)}"{title}>'
            f'<a href="{self.detail_url.replace("NUMBER", number)}">'
            f"<b>{number}</b> {escape(order.customer_name)}</a>"
        ]
        if self.can_money:
            balance = order.total_amount - order.paid_amount
            owes = ""
            # Before qualification nothing is invoiced and nothing paid: the debt would only
            # repeat the total beside it.
            billed = order.paid_amount or order.stage not in (Stage.NEW, Stage.QUALIFICATION)
            if balance and billed:
                amount = words["owes"] % {"amount": self.money(balance, order.currency)}
                owes = f' · <span class="due-amount" title="{words["balance"]}">{amount}</span>'
            total = self.money(order.total_amount, order.currency)
            parts.append(f'<p class="card-money">{total}{owes}</p>')
        meta = []
        if self.show_manager:
            meta.append(f"<span>{escape(order.manager_name)}</span>")
        if order.next_due_at is not None:
            late_class = f' class="late" title="{words["overdue"]}"' if late else ""
            meta.append(
                f'<time datetime="{order.next_due_at.isoformat()}"{late_class}>'
                f"{self.due(order.next_due_at)}</time>"
            )
        if order.client_since is not None:
            meta.append(f'<span class="badge badge-warn waits">{words["client"]}</span>')
        meta.extend(self.promise(order))
        if order.steps_total > order.lines_count:  # some lines are made in operations
            meta.append(
                f'<span class="progress" title="{words["steps"]}">'
                f"{order.steps_done}/{order.steps_total}</span>"
            )
        elif order.lines_count and order.stage == Stage.PRODUCTION:
            meta.append(
                f'<span class="progress" title="{words["made"]}">'
                f"{order.lines_made}/{order.lines_count}</span>"
            )
        parts.append(f'<p class="card-meta">{"".join(meta)}</p>')
        if itself:
            parts.append(f'<p class="card-auto sr">{itself}</p>')
        if targets:
            url = self.move_url.replace("NUMBER", number)
            buttons = "".join(
                f'<button name="to" value="{t}">{self.stage_labels[t]}</button>' for t in targets
            )
            parts.append(
                f'<details class="move"><summary>{words["move"]}</summary>'
                f'<form method="post" action="{url}" hx-post="{url}" hx-swap="none">'
                f'<input type="hidden" name="csrfmiddlewaretoken" value="{self.token}">'
                f'<input type="hidden" name="from" value="{order.stage}">{buttons}</form></details>'
            )
        parts.append("</li>")
        return "".join(parts)


@register.simple_tag(takes_context=True)
def board_cards(context: template.Context, cards: list[Card]) -> str:
    from django.utils.safestring import mark_safe

    renderer = context.render_context.get("card_renderer")
    if renderer is None:
        renderer = context.render_context["card_renderer"] = CardRenderer(context)
    # Every value above is escaped where it is put in.
    return mark_safe("".join(renderer.render(order) for order in cards))


@register.filter
def get_item(mapping: dict, key):
    return mapping.get(key) if mapping else None
