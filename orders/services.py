"""Every change of an order goes through here: one function per action, in a transaction,
with the row locked, the guards checked, the timeline written and side effects queued
after commit. Reading one function tells every consequence of an action."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from hashlib import sha256

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import Min, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from orders import roles, rules
from orders.assignment import pick_assignee
from orders.calendar import WorkingTime
from orders.models import (
    OPEN_TASK_STATUSES,
    ZERO,
    ApiKey,
    ApiScope,
    Customer,
    DeliveryMethod,
    Department,
    EventKind,
    LineStatus,
    Notification,
    Order,
    OrderLine,
    PaymentScheme,
    StaffProfile,
    Stage,
    Task,
    TaskKind,
    TaskSLA,
    TaskStatus,
    TimelineEvent,
    YearCounter,
)
from orders.phones import phone_normalize
from orders.rules import OrderError
from orders.texts import Msg
from production.models import Product

User = AbstractBaseUser

DEFAULT_SLA_HOURS = {
    TaskKind.TAKE_INTO_WORK: Decimal(2),
    TaskKind.PRODUCE_LINE: Decimal(24),
    TaskKind.DELIVER: Decimal(8),
    TaskKind.CUSTOM: Decimal(8),
}


# ----------------------------------------------------------------------------- helpers


def next_number(name: str, *, year: int | None = None) -> tuple[int, int]:
    """The next number of a gapless yearly sequence. Must run inside the transaction that
    uses it: the counter row stays locked until commit, and a rollback returns the number."""
    year = year or timezone.localdate().year
    locked = YearCounter.objects.select_for_update()
    counter = locked.filter(name=name, year=year).first()
    if counter is None:  # the year's first number; get_or_create survives a racing insert
        YearCounter.objects.get_or_create(name=name, year=year)
        counter = locked.get(name=name, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return year, counter.last


def lock_order(order: Order | int) -> Order:
    pk = order if isinstance(order, int) else order.pk
    return Order.objects.select_for_update().select_related("customer").get(pk=pk)


def event_record(
    *,
    order: Order,
    kind: str,
    actor: User | None = None,
    text: str | Msg = "",
    from_stage: str = "",
    to_stage: str = "",
    **data: object,
) -> TimelineEvent:
    """One timeline row. A `Msg` is kept as message and arguments, so each reader sees it
    in their own language; the column holds it in the site's default language."""
    if isinstance(text, Msg):
        data["msg"] = text.as_data()
        text = text.render()
    return TimelineEvent.objects.create(
        order=order,
        kind=kind,
        actor=actor,
        text=text,
        from_stage=from_stage,
        to_stage=to_stage,
        data=data,
    )


def _language_of(user: User | None, user_id: int) -> str:
    if user is not None and get_user_model().profile.is_cached(user):  # loaded with the user
        profile = getattr(user, "profile", None)  # a user without one: None
        language = profile.language if profile else ""
    else:
        language = (
            StaffProfile.objects.filter(user_id=user_id).values_list("language", flat=True).first()
        )
    return language or settings.LANGUAGE_CODE


def notify_staff(
    *,
    user: User | None = None,
    text: str | Msg,
    order: Order | None = None,
    user_id: int | None = None,
) -> None:
    """An in-app notification (the bell), to `user` or, without loading them, `user_id`.
    A `Msg` is written in the recipient's language."""
    if user is not None:
        user_id = user.pk
    if user_id is None:
        return
    if isinstance(text, Msg):
        text = text.render(_language_of(user, user_id))
    Notification.objects.create(
        user_id=user_id,
        order=order,
        text=text[:500],
        url=order.get_absolute_url() if order else "",
    )


def _move(
    order: Order, transition_name: str, *, actor: User | None, text: str = "", **kwargs: object
) -> None:
    """Run a transition, save, and write the stage change into the timeline."""
    from_stage = order.stage
    getattr(order, transition_name)(**kwargs)
    order.save()
    event_record(
        order=order,
        kind=EventKind.STAGE,
        actor=actor,
        text=text,
        from_stage=from_stage,
        to_stage=order.stage,
    )


def order_recalculate(order: Order) -> Order:
    """Recompute money and progress from lines, payments and tasks (the one place)."""
    lines = list(order.lines.all())
    order.lines_total = sum((line.amount for line in lines), ZERO)
    order.lines_count = len(lines)
    order.lines_made = sum(1 for line in lines if line.status == LineStatus.MADE)
    order.cost_amount = sum((line.cost for line in lines), ZERO)
    delivery = order.delivery_cost or ZERO
    if order.delivery_method == DeliveryMethod.PICKUP:
        delivery = ZERO
    order.total_amount = order.lines_total + delivery
    order.paid_amount = order.payments.aggregate(s=Sum("amount"))["s"] or ZERO
    if order.payment_scheme == PaymentScheme.FULL_PREPAYMENT:
        order.prepayment_amount = order.total_amount
    elif order.payment_scheme == PaymentScheme.POSTPAYMENT:
        order.prepayment_amount = ZERO
    order.next_due_at = order.tasks.filter(status__in=OPEN_TASK_STATUSES).aggregate(
        m=Min("due_at")
    )["m"]
    order.save(
        update_fields=[
            "lines_total",
            "lines_count",
            "lines_made",
            "cost_amount",
            "total_amount",
            "paid_amount",
            "prepayment_amount",
            "next_due_at",
            "updated_at",
        ]
    )
    return order


# ----------------------------------------------------------------------------- tasks


def task_create(
    *,
    order: Order,
    kind: str,
    department: str,
    title: str | Msg,
    assignee: User | None = None,
    due_at: dt.datetime | None = None,
    line: OrderLine | None = None,
    working_time: WorkingTime | None = None,
) -> Task:
    if due_at is None:
        working_time = working_time or WorkingTime.load()
        sla = TaskSLA.objects.filter(kind=kind).values_list("working_hours", flat=True).first()
        due_at = working_time.add_hours(timezone.now(), sla or DEFAULT_SLA_HOURS[kind])
    if assignee is None:
        assignee = pick_assignee(department)
    title_msg = title.as_data() if isinstance(title, Msg) else {}
    task = Task.objects.create(
        order=order,
        line=line,
        kind=kind,
        department=department,
        title=(title.render() if isinstance(title, Msg) else title)[:255],
        title_msg=title_msg,
        assignee=assignee,
        due_at=due_at,
    )
    notify_staff(
        user=assignee,
        order=order,
        text=Msg(
            gettext_noop("New task: %(title)s (order %(number)s)"), title=title, number=order.number
        ),
    )
    if assignee is None:
        # Nobody of the department is present: the head hears it now, not at the deadline.
        text = Msg(
            rules.NO_ASSIGNEE_FOR,
            department=Department(department),
            title=title,
            number=order.number,
        )
        for head in get_user_model().objects.filter(
            groups__name=roles.DEPARTMENT_HEADS[department], is_active=True
        ):
            notify_staff(user=head, order=order, text=text)
    return task


def task_start(*, task: Task, actor: User) -> Task:
    with transaction.atomic():
        task = Task.objects.select_for_update().get(pk=task.pk)
        if task.status != TaskStatus.OPEN:
            raise OrderError(str(rules.TASK_NOT_OPEN) % {"status": task.get_status_display()})
        task.status = TaskStatus.IN_PROGRESS
        task.started_at = timezone.now()
        task.save(update_fields=["status", "started_at"])
        if task.line_id:
            OrderLine.objects.filter(pk=task.line_id, status=LineStatus.PENDING).update(
                status=LineStatus.IN_PROGRESS
            )
    return task


def task_reassign(*, task: Task, assignee: User, actor: User) -> Task:
    from orders.assignment import DEPARTMENT_GROUPS

    groups = {DEPARTMENT_GROUPS.get(task.department), roles.DEPARTMENT_HEADS[task.department]}
    if not (assignee.is_active and assignee.groups.filter(name__in=groups - {None}).exists()):
        raise OrderError(
            str(rules.NOT_IN_DEPARTMENT)
            % {"user": rules.person(assignee), "department": task.get_department_display()}
        )
    with transaction.atomic():
        task = Task.objects.select_for_update().get(pk=task.pk)
        if not task.is_open:
            raise OrderError(str(rules.TASK_NOT_OPEN) % {"status": task.get_status_display()})
        task.assignee = assignee
        task.reminded_at = None
        task.save(update_fields=["assignee", "reminded_at"])
        event_record(
            order=task.order,
            kind=EventKind.TASK,
            actor=actor,
            text=Msg(
                gettext_noop("Task “%(title)s” reassigned to %(user)s"),
                title=task.title_text,
                user=rules.person(assignee),
            ),
        )
        notify_staff(
            user=assignee,
            order=task.order,
            text=Msg(gettext_noop("Task assigned to you: %(title)s"), title=task.title_text),
        )
    return task


def _task_close(task: Task, *, actor: User | None, status: str = TaskStatus.DONE) -> None:
    task.status = status
    task.completed_at = timezone.now()
    task.completed_by = actor
    task.save(update_fields=["status", "completed_at", "completed_by"])


def task_complete(
    *,
    task: Task,
    actor: User,
    actual_cost: Decimal | None = None,
    note: str = "",
    shipped_on: dt.date | None = None,
    tracking_number: str = "",
) -> Task:
    """Complete a task and make whatever it unblocks happen (the robots)."""
    from logistics.services import delivery_complete
    from production.services import line_mark_made

    with transaction.atomic():
        order = lock_order(task.order_id)
        task = Task.objects.select_for_update().get(pk=task.pk)
        if not task.is_open:
            raise OrderError(str(rules.TASK_NOT_OPEN) % {"status": task.get_status_display()})
        if note:
            task.note = note
            task.save(update_fields=["note"])
        if task.kind == TaskKind.TAKE_INTO_WORK:
            _task_close(task, actor=actor)
            if order.stage == Stage.NEW:
                _move(order, "take_into_work", actor=actor)
        elif task.kind == TaskKind.PRODUCE_LINE:
            line_mark_made(order=order, task=task, actor=actor, actual_cost=actual_cost)
        elif task.kind == TaskKind.DELIVER:
            delivery_complete(
                order=order,
                task=task,
                actor=actor,
                shipped_on=shipped_on,
                tracking_number=tracking_number,
            )
        else:
            _task_close(task, actor=actor)
            event_record(
                order=order,
                kind=EventKind.TASK,
                actor=actor,
                text=Msg(gettext_noop("Task done: %(title)s"), title=task.title_text),
            )
        order_recalculate(order)
    return task


# ----------------------------------------------------------------------------- orders


@dataclass
class LineInput:
    product: Product
    quantity: Decimal
    price: Decimal | None = None
    name: str | None = None
    discount: Decimal = ZERO


def _write_lines(order: Order, lines: list[LineInput], *, replace: bool = True) -> None:
    for line in lines:
        if not line.product.is_active:
            raise OrderError(
                errors={"lines": [str(rules.PRODUCT_INACTIVE) % {"sku": line.product.sku}]}
            )
        if line.quantity <= 0:
            raise OrderError(errors={"lines": [str(rules.QUANTITY_NOT_POSITIVE)]})
        price = line.product.price if line.price is None else line.price
        if line.discount < 0 or line.discount > line.quantity * price:
            raise OrderError(errors={"lines": [str(rules.DISCOUNT_TOO_BIG)]})
    if replace:
        order.lines.all().delete()
    OrderLine.objects.bulk_create(
        [
            OrderLine(
                order=order,
                position=position,
                product=line.product,
                sku=line.product.sku,
                name=line.name or line.product.name,
                unit=line.product.unit,
                price=line.product.price if line.price is None else line.price,
                quantity=line.quantity,
                discount=line.discount,
            )
            for position, line in enumerate(lines, start=1)
        ]
    )


def customer_find_or_create(
    *, name: str, email: str = "", phone: str = "", language: str = "ru"
) -> Customer:
    """Match a returning client by e-mail, then by phone; otherwise a new customer. The phone
    is compared in its stored E.164 form, so "8 900 …" finds the client typed "+7 900 …";
    an invalid phone raises PhoneError (a ValueError) with the message to show."""
    email = email.strip().lower()
    phone = phone_normalize(phone)
    # No savepoint of its own: the lock is held until the caller's transaction ends.
    with transaction.atomic(savepoint=False):
        _lock_client_contacts([email, phone])
        customer = None
        if email:
            customer = Customer.objects.filter(email__iexact=email).order_by("id").first()
        if customer is None and phone:
            customer = Customer.objects.filter(phone=phone).order_by("id").first()
        if customer is None:
            customer = Customer.objects.create(
                name=name.strip(), email=email, phone=phone, language=language
            )
    return customer


def _lock_client_contacts(contacts: list[str]) -> None:
    """Two intakes from one new client at once (a double submit in the shop, two orders a
    second apart) would both find no client and both create one. Each waits here, until the
    caller's transaction ends, for another holding the same e-mail or phone; then it finds
    the client the other created. Taken in order in one query, so two waits never deadlock."""
    keys = sorted({f"client:{contact}" for contact in contacts if contact})
    if connection.vendor != "postgresql" or not keys:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            # unnest yields the (sorted) keys in array order; an ORDER BY here could run the
            # locks before sorting.
            "SELECT pg_advisory_xact_lock(hashtext(k)) FROM unnest(%s::text[]) AS k",
            [keys],
        )


def order_create(
    *,
    customer: Customer,
    lines: list[LineInput],
    source: str,
    actor: User | None = None,
    manager: User | None = None,
    external_id: str = "",
    api_key: ApiKey | None = None,
    delivery_method: str = DeliveryMethod.PICKUP,
    delivery_address: str = "",
    delivery_cost: Decimal | None = None,
    comment: str = "",
) -> Order:
    """A new order, assigned to a manager with a "take into work" task. `api_key` is the
    outside system's key that sent it in, if one did."""
    with transaction.atomic():
        year, seq = next_number("order")
        order = Order.objects.create(
            number=f"{year}-{seq:05d}",
            customer=customer,
            source=source,
            external_id=external_id,
            api_key=api_key,
            delivery_method=delivery_method,
            delivery_address=delivery_address,
            delivery_cost=delivery_cost,
            comment=comment,
            currency=settings.ORDER_CURRENCY,
        )
        _write_lines(order, lines, replace=False)
        order.manager = manager or pick_assignee(Department.SALES)
        order.save(update_fields=["manager"])
        event_record(
            order=order,
            kind=EventKind.CREATED,
            actor=actor,
            text=comment,
            to_stage=Stage.NEW,
            source=source,
        )
        task_create(
            order=order,
            kind=TaskKind.TAKE_INTO_WORK,
            department=Department.SALES,
            title=Msg(gettext_noop("Take order %(number)s into work"), number=order.number),
            assignee=order.manager,
        )
        order_recalculate(order)
    return order


def order_take_into_work(*, order: Order, actor: User) -> Order:
    """The manager starts on a new order: its "take into work" task is done."""
    with transaction.atomic():
        order = lock_order(order)
        if order.stage != Stage.NEW:
            raise rules.wrong_stage(order)
        for task in order.tasks.select_for_update().filter(
            kind=TaskKind.TAKE_INTO_WORK, status__in=OPEN_TASK_STATUSES
        ):
            _task_close(task, actor=actor)
        _move(order, "take_into_work", actor=actor)
        order_recalculate(order)
    return order


def order_update(
    *,
    order: Order,
    actor: User,
    lines: list[LineInput] | None = None,
    payment_scheme: str | None = None,
    prepayment_amount: Decimal | None = None,
    delivery_method: str | None = None,
    delivery_cost: Decimal | object | None = ...,
    delivery_address: str | None = None,
) -> Order:
    """Edit lines and terms while the order is new or in qualification."""
    with transaction.atomic():
        order = lock_order(order)
        if order.stage not in (Stage.NEW, Stage.QUALIFICATION):
            raise OrderError(str(rules.LINES_LOCKED))
        if lines is not None:
            _write_lines(order, lines)
        if payment_scheme is not None:
            order.payment_scheme = payment_scheme
        if prepayment_amount is not None:
            order.prepayment_amount = prepayment_amount
        if delivery_method is not None:
            order.delivery_method = delivery_method
        if delivery_cost is not ...:
            order.delivery_cost = delivery_cost
        if delivery_address is not None:
            order.delivery_address = delivery_address
        order.save()
        order_recalculate(order)
    return order


def order_qualify(*, order: Order, actor: User) -> Order:
    """Leave qualification: to prepayment (with its invoice) or straight to production."""
    from invoices.models import InvoiceKind
    from invoices.services import invoice_issue
    from production.services import production_start

    with transaction.atomic():
        order = lock_order(order)
        if order.stage != Stage.QUALIFICATION:
            raise rules.wrong_stage(order)
        order_recalculate(order)
        problems = rules.qualification_problems(order)
        if problems:
            raise OrderError(errors=problems)
        if order.needs_prepayment:
            _move(order, "qualify_for_prepayment", actor=actor)
            invoice_issue(
                order=order,
                kind=InvoiceKind.PREPAYMENT,
                amount=order.prepayment_amount,
                actor=actor,
            )
        else:
            _move(order, "qualify_for_production", actor=actor)
            production_start(order=order, actor=actor)
        order_recalculate(order)
    return order


def order_after_payment(*, order: Order, actor: User | None) -> None:
    """The automatic moves money makes. Caller holds the order's lock."""
    from production.services import production_start

    order_recalculate(order)
    if order.stage == Stage.PREPAYMENT and order.prepayment_paid:
        _move(order, "start_production", actor=actor)
        production_start(order=order, actor=actor)
    elif order.stage == Stage.POSTPAYMENT and order.balance <= 0:
        _move(order, "request_delivery_details", actor=actor)


def order_start_production(*, order: Order, actor: User) -> Order:
    """Manual push out of prepayment (admin): refused while the prepayment is unpaid."""
    with transaction.atomic():
        order = lock_order(order)
        if order.stage != Stage.PREPAYMENT:
            raise rules.wrong_stage(order)
        order_recalculate(order)
        if not order.prepayment_paid:
            raise OrderError(
                str(rules.PREPAYMENT_NOT_PAID)
                % {
                    "paid": rules.money(order.paid_amount),
                    "required": rules.money(order.prepayment_amount),
                }
            )
        order_after_payment(order=order, actor=actor)
    return order


def order_finish_production(*, order: Order, actor: User | None) -> None:
    """Every line is made: on to postpayment (with its invoice) or delivery details.
    Caller holds the order's lock."""
    from invoices.models import InvoiceKind
    from invoices.services import invoice_issue
    from orders.notify import client_notify

    order_recalculate(order)
    if order.stage != Stage.PRODUCTION:
        raise rules.wrong_stage(order)
    if order.lines_made < order.lines_count:
        raise OrderError(
            str(rules.LINES_NOT_MADE) % {"made": order.lines_made, "count": order.lines_count}
        )
    client_notify(order=order, kind="production_finished")
    if order.balance > 0:
        _move(order, "request_postpayment", actor=actor)
        invoice_issue(order=order, kind=InvoiceKind.POSTPAYMENT, amount=order.balance, actor=actor)
    else:
        _move(order, "request_delivery_details", actor=actor)
    notify_staff(
        user=order.manager,
        order=order,
        text=Msg(gettext_noop("Order %(number)s is made"), number=order.number),
    )


def order_request_delivery_details(*, order: Order, actor: User) -> Order:
    """Manual push out of postpayment (admin): refused while a balance is due."""
    with transaction.atomic():
        order = lock_order(order)
        if order.stage != Stage.POSTPAYMENT:
            raise rules.wrong_stage(order)
        order_recalculate(order)
        if order.balance > 0:
            raise OrderError(str(rules.BALANCE_NOT_PAID) % {"balance": rules.money(order.balance)})
        order_after_payment(order=order, actor=actor)
    return order


def order_cancel(*, order: Order, actor: User | None, reason: str) -> Order:
    """Lost, from any open stage: open tasks cancelled (whoever was doing one is told to
    stop), open invoices voided; money already received stays on the order as owed back."""
    from invoices.services import invoices_close_for_cancel

    reason = (reason or "").strip()
    if not reason:
        raise OrderError(errors={"reason": [str(rules.REASON_MISSING)]})
    with transaction.atomic():
        order = lock_order(order)
        if not order.is_open:
            raise rules.wrong_stage(order)
        open_tasks = (
            order.tasks.select_for_update(of=("self",))
            .filter(status__in=OPEN_TASK_STATUSES)
            .select_related("assignee__profile")  # each doer is told in their language
        )
        for task in open_tasks:
            _task_close(task, actor=actor, status=TaskStatus.CANCELLED)
            if task.assignee_id and task.assignee_id != getattr(actor, "pk", None):
                notify_staff(
                    user=task.assignee,
                    order=order,
                    text=Msg(
                        gettext_noop("Order %(number)s was cancelled: stop work on “%(title)s”"),
                        number=order.number,
                        title=task.title_text,
                    ),
                )
        invoices_close_for_cancel(order=order, actor=actor)
        _move(order, "cancel", actor=actor, text=reason, reason=reason)
        order_recalculate(order)
    return order


def order_hand_over(*, order: Order, manager: User, actor: User) -> Order:
    """The head of sales gives an open order to another manager: the order and its open
    sales tasks move to them (the board counters follow by trigger), both managers are
    told, and the timeline says who did it."""
    if not (
        manager.is_active
        and manager.groups.filter(name__in=[roles.SALES_MANAGERS, roles.HEAD_OF_SALES]).exists()
    ):
        raise OrderError(
            errors={"manager": [str(rules.NOT_A_MANAGER) % {"user": rules.person(manager)}]}
        )
    with transaction.atomic():
        order = lock_order(order)
        if not order.is_open:
            raise rules.wrong_stage(order)
        previous = order.manager
        if previous is not None and previous.pk == manager.pk:
            return order
        order.manager = manager
        order.save(update_fields=["manager", "updated_at"])
        for task in order.tasks.select_for_update().filter(
            status__in=OPEN_TASK_STATUSES, department=Department.SALES
        ):
            task.assignee = manager
            task.reminded_at = None
            task.save(update_fields=["assignee", "reminded_at"])
        event_record(
            order=order,
            kind=EventKind.TASK,
            actor=actor,
            text=Msg(
                gettext_noop("Order handed over from %(old)s to %(new)s"),
                old=rules.person(previous),
                new=rules.person(manager),
            ),
        )
        notify_staff(
            user=manager,
            order=order,
            text=Msg(gettext_noop("Order %(number)s was handed over to you"), number=order.number),
        )
        if previous is not None and previous.pk != actor.pk:
            notify_staff(
                user=previous,
                order=order,
                text=Msg(
                    gettext_noop("Order %(number)s was handed over to %(user)s"),
                    number=order.number,
                    user=rules.person(manager),
                ),
            )
    return order


def order_comment(
    *, order: Order, actor: User, text: str, send_to_client: bool = False
) -> TimelineEvent:
    from orders.notify import event_send_to_client

    text = text.strip()
    if not text:
        raise OrderError(errors={"text": [_("Write the comment first.")]})
    with transaction.atomic():
        event = event_record(order=order, kind=EventKind.COMMENT, actor=actor, text=text)
        if send_to_client:
            event_send_to_client(event=event, actor=actor)
    return event


# ----------------------------------------------------------------------------- API keys


def api_key_create(*, name: str, scopes: Iterable[str]) -> tuple[ApiKey, str]:
    """A new key allowed `scopes` (ApiScope values); the plain key is returned once and only
    its hash is stored."""
    scopes = sorted(set(scopes))
    if not scopes or not set(scopes) <= set(ApiScope.values):
        raise ValueError(f"scopes must be some of {', '.join(ApiScope.values)}: {scopes}")
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    plain = f"cvr_{prefix}_{secret}"
    key = ApiKey.objects.create(
        name=name, prefix=prefix, key_hash=sha256(plain.encode()).hexdigest(), scopes=scopes
    )
    return key, plain


def api_key_authenticate(plain: str) -> ApiKey | None:
    parts = plain.split("_")
    if len(parts) < 3 or parts[0] != "cvr":
        return None
    key = ApiKey.objects.filter(prefix=parts[1], revoked_at__isnull=True).first()
    if key is None or not secrets.compare_digest(key.key_hash, sha256(plain.encode()).hexdigest()):
        return None
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
    return key
