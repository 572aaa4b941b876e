"""Demo data for a first look: one user per role, a catalogue with bills of materials,
and about forty orders in every stage, made by driving the real services."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from invoices.models import PaymentSource, SellerProfile
from logistics.models import Carrier
from orders import roles
from orders.models import (
    Customer,
    DeliveryMethod,
    Notification,
    Order,
    PaymentScheme,
    Source,
    Stage,
    Task,
    TaskKind,
)
from orders.services.orders import LineInput, order_update
from pipeline.orders import (
    order_cancel,
    order_create,
    order_qualify,
    order_save_delivery_details,
    order_take_into_work,
)
from pipeline.payments import payment_register
from pipeline.work import task_complete
from production.models import BillOfMaterialsItem, Material, Product

PASSWORD = "conveyor-demo"

# A furniture workshop in Moscow; the INN and the account carry valid check digits.
SELLER = {
    "name": "ООО «Мебельная мастерская „Дубрава“»",
    "inn": "7714123459",
    "kpp": "771401001",
    "ogrn": "1157746123456",
    "address": "125040, г. Москва, ул. Правды, д. 24, стр. 3",
    "phone": "+7 495 123-45-67",
    "email": "zakaz@dubrava-mebel.example.ru",
    "bank_name": "ПАО Сбербанк, г. Москва",
    "bik": "044525225",
    "account": "40702810938000012345",
    "correspondent_account": "30101810400000000225",
    "director": "Соколов А. В.",
    "accountant": "Лебедева Н. П.",
}

USERS = [
    # username, first name, last name, group
    ("admin", "Алексей", "Админов", roles.ADMINS),
    ("manager", "Мария", "Соколова", roles.SALES_MANAGERS),
    ("manager2", "Дмитрий", "Орлов", roles.SALES_MANAGERS),
    ("head", "Ольга", "Белова", roles.HEAD_OF_SALES),
    ("production", "Пётр", "Кузнецов", roles.PRODUCTION),
    ("production2", "Иван", "Смирнов", roles.PRODUCTION),
    ("headprod", "Сергей", "Волков", roles.HEAD_OF_PRODUCTION),
    ("logistics", "Елена", "Морозова", roles.LOGISTICS),
    ("accountant", "Анна", "Лебедева", roles.ACCOUNTANTS),
]

MATERIALS = [
    ("Дубовый щит 40 мм", "m2", "4200.00"),
    ("Берёзовая фанера 18 мм", "m2", "1100.00"),
    ("Масло-воск", "l", "1900.00"),
    ("Фурнитура, комплект", "set", "650.00"),
    ("Металлокаркас", "pcs", "3800.00"),
]

PRODUCTS = [
    # sku, name, price, lead days, labour minutes, rate, bill of materials
    (
        "TBL-OAK-160",
        "Стол обеденный, дуб, 160 см",
        "48000.00",
        7,
        480,
        "700.00",
        [(0, "1.6"), (2, "0.3"), (4, "1")],
    ),
    (
        "TBL-OAK-120",
        "Стол журнальный, дуб, 120 см",
        "26000.00",
        5,
        300,
        "700.00",
        [(0, "0.8"), (2, "0.2"), (3, "1")],
    ),
    ("CHR-BIRCH", "Стул, берёза", "7500.00", 4, 120, "650.00", [(1, "0.6"), (2, "0.1"), (3, "1")]),
    ("SHL-LOFT", "Стеллаж лофт", "21000.00", 6, 240, "650.00", [(1, "1.2"), (4, "1"), (3, "1")]),
    (
        "BED-OAK-160",
        "Кровать, дуб, 160×200",
        "74000.00",
        10,
        720,
        "700.00",
        [(0, "3.2"), (2, "0.5"), (3, "2")],
    ),
    ("BNC-OAK", "Скамья, дуб", "15500.00", 4, 180, "650.00", [(0, "0.5"), (2, "0.1")]),
]

CARRIERS = [
    ("СДЭК", "https://www.cdek.ru/ru/tracking?order_id={number}"),
    ("Деловые Линии", "https://www.dellin.ru/tracker/?mode=search&rwID={number}"),
    ("Boxberry", "https://boxberry.ru/tracking-page?id={number}"),
]

CUSTOMERS = [
    ("Анна Иванова", "anna.ivanova@example.com", "+7 912 000-11-01", "ru"),
    ("ООО «Кофейня Зерно»", "order@zerno.example.com", "+7 495 000-11-02", "ru"),
    ("Игорь Петров", "petrov@example.com", "+7 903 000-11-03", "ru"),
    ("Светлана Кравец", "kravets@example.com", "+7 916 000-11-04", "ru"),
    ("John Miller", "john.miller@example.com", "+44 20 7946 0011", "en"),
    ("ИП Соколов", "sokolov.ip@example.com", "+7 921 000-11-06", "ru"),
    ("Мария Фёдорова", "fedorova@example.com", "+7 985 000-11-07", "ru"),
    ("Hotel Nord", "purchasing@hotelnord.example.com", "+7 812 000-11-08", "en"),
]

# How many orders end up in each stage.
PLAN = [
    (Stage.NEW, 5),
    (Stage.QUALIFICATION, 5),
    (Stage.PREPAYMENT, 6),
    (Stage.PRODUCTION, 6),
    (Stage.POSTPAYMENT, 4),
    (Stage.DELIVERY_DETAILS, 4),
    (Stage.DELIVERY, 4),
    (Stage.WON, 4),
    (Stage.LOST, 3),
]
ORDER = [
    Stage.NEW,
    Stage.QUALIFICATION,
    Stage.PREPAYMENT,
    Stage.PRODUCTION,
    Stage.POSTPAYMENT,
    Stage.DELIVERY_DETAILS,
    Stage.DELIVERY,
    Stage.WON,
]


class Command(BaseCommand):
    help = "Create demo users (one per role), products and ~40 orders in every stage."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force", action="store_true", help="Add demo orders even if orders already exist."
        )

    def handle(self, *args, force: bool = False, **options) -> None:
        # Demo clients do not exist: keep their e-mails in memory, not on the console.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            users = self._users()
            self._seller()
            if Order.objects.exists() and not force:
                self.stdout.write("Demo orders already exist; leaving them as they are.")
            else:
                self._catalogue()
                self._orders(users)
                self._bells_read()
        self._print_credentials()

    def _users(self) -> dict[str, User]:
        users = {}
        for username, first, last, group in USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@conveyor.example.com",
                },
            )
            if created:
                user.set_password(PASSWORD)
                # The accountant works in the workspace (receivables, the journal): an
                # "Admin" item that opens onto someone else's tables is only noise there.
                user.is_staff = group in (
                    roles.ADMINS,
                    roles.HEAD_OF_SALES,
                    roles.HEAD_OF_PRODUCTION,
                )
                user.is_superuser = group == roles.ADMINS
                user.save()
                user.groups.add(Group.objects.get(name=group))
            users[username] = user
        return users

    def _catalogue(self) -> None:
        materials = [
            Material.objects.get_or_create(
                name=name, defaults={"unit": unit, "unit_cost": Decimal(cost)}
            )[0]
            for name, unit, cost in MATERIALS
        ]
        for sku, name, price, days, minutes, rate, bom in PRODUCTS:
            product, created = Product.objects.get_or_create(
                sku=sku,
                defaults={
                    "name": name,
                    "price": Decimal(price),
                    "unit": "pcs",
                    "lead_time_days": days,
                    "labour_minutes": minutes,
                    "labour_rate": Decimal(rate),
                },
            )
            if created:
                for index, quantity in bom:
                    BillOfMaterialsItem.objects.create(
                        product=product, material=materials[index], quantity=Decimal(quantity)
                    )
        for name, url in CARRIERS:
            Carrier.objects.get_or_create(name=name, defaults={"tracking_url": url})

    def _orders(self, users: dict[str, User]) -> None:
        rng = random.Random(42)
        products = list(Product.objects.all())
        carriers = list(Carrier.objects.all())
        customers = [
            Customer.objects.get_or_create(
                email=email, defaults={"name": name, "phone": phone, "language": lang}
            )[0]
            for name, email, phone, lang in CUSTOMERS
        ]
        managers = [users["manager"], users["manager2"]]
        schemes = [
            PaymentScheme.FULL_PREPAYMENT,
            PaymentScheme.PARTIAL_PREPAYMENT,
            PaymentScheme.POSTPAYMENT,
        ]
        count = 0
        for target, how_many in PLAN:
            for _ in range(how_many):
                with transaction.atomic():
                    scheme = schemes[count % 3]
                    if target == Stage.PREPAYMENT or target == Stage.LOST:
                        scheme = schemes[count % 2]  # a scheme that passes through prepayment
                    elif target == Stage.POSTPAYMENT:
                        scheme = schemes[1 + count % 2]  # one that leaves a balance
                    self._one_order(
                        rng, target, products, carriers, customers, managers, scheme, users
                    )
                count += 1
        self.stdout.write(f"Created {count} demo orders.")

    def _one_order(self, rng, target, products, carriers, customers, managers, scheme, users):
        manager = managers[rng.randrange(len(managers))]
        method = rng.choice([DeliveryMethod.PICKUP, DeliveryMethod.COURIER, DeliveryMethod.CARRIER])
        lines = [
            LineInput(product=product, quantity=Decimal(rng.randint(1, 4)))
            for product in rng.sample(products, rng.randint(1, 3))
        ]
        customer = rng.choice(customers)
        order = order_create(
            customer=customer,
            lines=lines,
            source=rng.choice([Source.WEB_SHOP, Source.MANAGER]),
            manager=manager,
            delivery_method=method,
            delivery_address=""
            if method == DeliveryMethod.PICKUP
            else f"г. Москва, ул. Лесная, д. {rng.randint(1, 80)}",
            comment=rng.choice(["", "Позвоните перед доставкой.", "Нужен счёт на юрлицо."]),
        )
        if target == Stage.LOST:
            stop_at = rng.choice([Stage.NEW, Stage.QUALIFICATION, Stage.PREPAYMENT])
            self._drive(order, stop_at, scheme, method, carriers, users, manager, rng)
            order_cancel(
                order=order,
                actor=manager,
                reason=rng.choice(
                    [
                        "Клиент выбрал другого поставщика.",
                        "Не устроили сроки.",
                        "Клиент не выходит на связь.",
                    ]
                ),
            )
            return
        self._drive(order, target, scheme, method, carriers, users, manager, rng)

    def _drive(self, order, target, scheme, method, carriers, users, manager, rng) -> None:
        """Walk the order forward through the services until it reaches `target`."""

        def arrived() -> bool:
            order.refresh_from_db()
            return ORDER.index(order.stage) >= ORDER.index(target)

        if arrived():
            return
        order_take_into_work(order=order, actor=manager)
        if arrived():
            return
        prepayment = None
        if scheme == PaymentScheme.PARTIAL_PREPAYMENT:
            prepayment = (order.lines_total / 2).quantize(Decimal("1"))
        order_update(
            order=order,
            actor=manager,
            payment_scheme=scheme,
            prepayment_amount=prepayment,
            delivery_cost=None
            if method == DeliveryMethod.PICKUP
            else Decimal(rng.choice([1500, 2500, 4000])),
        )
        order_qualify(order=order, actor=manager)
        if arrived():
            return
        if order.stage == Stage.PREPAYMENT:
            invoice = order.invoices.get()
            payment_register(
                invoice=invoice,
                amount=invoice.amount,
                source=PaymentSource.MANUAL,
                actor=users["accountant"],
                reference="п/п 1",
            )
        if arrived():
            return
        for task in Task.objects.filter(order=order, kind=TaskKind.PRODUCE_LINE):
            task_complete(task=task, actor=task.assignee)
        if arrived():
            return
        if order.stage == Stage.POSTPAYMENT:
            invoice = order.invoices.get(kind="postpayment")
            payment_register(
                invoice=invoice,
                amount=invoice.amount,
                source=PaymentSource.ACCOUNTING,
                reference=f"1C-{order.number}",
                external_id=f"1C-{order.number}",
            )
        if arrived():
            return
        day = timezone.localdate() + dt.timedelta(days=rng.randint(1, 5))
        if method == DeliveryMethod.PICKUP:
            order_save_delivery_details(order=order, actor=manager, pickup_date=day)
        else:
            order_save_delivery_details(
                order=order,
                actor=manager,
                planned_ship_date=day,
                carrier=rng.choice(carriers) if method == DeliveryMethod.CARRIER else None,
            )
        if arrived():
            return
        task = Task.objects.get(order=order, kind=TaskKind.DELIVER)
        assert task.assignee is not None  # the demo always has a logistician present
        task_complete(
            task=task, actor=task.assignee, tracking_number=f"{rng.randint(10**9, 10**10 - 1)}"
        )

    def _seller(self) -> None:
        """The company's requisites, so the client's invoice page and PDF show a bank block."""
        seller = SellerProfile.load()
        if seller.name:
            return  # filled by someone already: theirs to keep
        for field, value in SELLER.items():
            setattr(seller, field, value)
        seller.save()

    def _bells_read(self) -> None:
        """The seed's history happened before anyone logged in: only each person's latest few
        bells stay unread, the ones a newcomer would act on."""
        now = timezone.now()
        for user in User.objects.all():
            unread = Notification.objects.filter(user=user, read_at__isnull=True)
            keep = list(unread.order_by("-created_at", "-id").values_list("id", flat=True)[:3])
            unread.exclude(id__in=keep).update(read_at=now)

    def _print_credentials(self) -> None:
        self.stdout.write("")
        self.stdout.write(f"Demo users (password for all: {PASSWORD}):")
        for username, first, last, group in USERS:
            self.stdout.write(f"  {username:<12} {roles.ROLE_LABELS[group]}  ({first} {last})")
