"""The demo orders' stories: a few at every stage of the funnel, each the way such an
order goes in a joinery workshop (web/management/demo_orders.py tells them through the
real services)."""

from __future__ import annotations

from dataclasses import dataclass

from orders.models import DeliveryMethod, PaymentScheme, Source, Stage

MINUTE = 1 / 540  # of a working day of nine hours


@dataclass(frozen=True)
class Note:
    days_ago: float
    author: str  # username
    text: str


@dataclass(frozen=True)
class Story:
    """One demo order: who, what and how, the stage it reaches, and over which days."""

    customer: str
    manager: str
    lines: tuple[tuple[str, str], ...]  # sku, quantity
    stage: Stage
    # Working days ago the order came in, and of its last step; the steps between are
    # spread as a workshop's week goes (demo_orders.PACE).
    started: float
    finished: float = 0.0
    source: str = Source.MANAGER
    method: str = DeliveryMethod.PICKUP
    address: str = ""
    delivery_cost: int | None = None
    scheme: str = PaymentScheme.FULL_PREPAYMENT
    prepayment: int | None = None  # a partial prepayment
    client_comment: str = ""
    notes: tuple[Note, ...] = ()
    made: int = 0  # in production: lines made so far (the next one is being worked on)
    carrier: str = ""
    lost_in: Stage | None = None  # a lost order: the stage it was cancelled in
    reason: str = ""


STORIES = [
    # New: fresh from the web shop or the phone, nobody has called back yet.
    Story(
        "ivanova",
        "manager",
        (("DUB-STOL-180", "1"), ("BUK-STUL", "4")),
        Stage.NEW,
        50 * MINUTE,
        source=Source.WEB_SHOP,
        method=DeliveryMethod.COURIER,
        address="г. Москва, ул. Профсоюзная, д. 56, кв. 112",
        client_comment="Хотим стол к Новому году, успеете? Цвет — натуральный дуб, без тонировки.",
    ),
    Story(
        "gusev",
        "manager2",
        (("SOS-STEL-5", "2"),),
        Stage.NEW,
        25 * MINUTE,
        source=Source.WEB_SHOP,
        client_comment="Нужна высота 2 м и ширина 80 см — такой размер сделаете?",
    ),
    Story(
        "bor",
        "manager2",
        (("LIST-SKAM-150", "6"),),
        Stage.NEW,
        70 * MINUTE,
        method=DeliveryMethod.COURIER,
        address="Московская обл., Истринский р-н, д. Лечищево, клуб «Сосновый бор»",
        client_comment="Шесть скамеек на летнюю террасу, нужна пропитка от влаги.",
    ),
    # Qualification: taken into work, the terms are being agreed.
    Story(
        "nikolaeva",
        "manager",
        (("DUB-KROV-160", "1"), ("YAS-KOMOD-4", "1")),
        Stage.QUALIFICATION,
        1.6,
        1.5,
        method=DeliveryMethod.COURIER,
        address="г. Москва, Ленинский пр-т, д. 123, кв. 45",
        delivery_cost=3500,
        notes=(
            Note(
                0.9,
                "manager",
                "Клиентка выбирает оттенок масла, отправила ей фото образцов. "
                "Перезвонить в четверг.",
            ),
        ),
    ),
    Story(
        "tarasova",
        "manager",
        (("BUK-STOLESH-40", "3.2"),),
        Stage.QUALIFICATION,
        1.5,
        1.4,
        scheme=PaymentScheme.POSTPAYMENT,
        notes=(
            Note(1.2, "manager", "Нужен чертёж выреза под мойку: дизайнер пришлёт до пятницы."),
        ),
    ),
    Story(
        "zakharov",
        "manager2",
        (("KUPE-2000", "1"),),
        Stage.QUALIFICATION,
        0.9,
        0.85,
        method=DeliveryMethod.COURIER,
        address="г. Москва, ул. Академика Янгеля, д. 8, кв. 77",
        delivery_cost=4000,
        notes=(Note(0.5, "manager2", "Замерщик был в субботу: ниша 2040 мм, шкаф встаёт."),),
    ),
    # Prepayment: qualified, the invoice is out, the money is not in yet.
    Story(
        "petrov",
        "manager",
        (("DUB-STOL-180", "1"), ("BUK-STUL", "6")),
        Stage.PREPAYMENT,
        4.0,
        1.2,
        method=DeliveryMethod.COURIER,
        address="г. Москва, ул. Бутлерова, д. 17, кв. 9",
        delivery_cost=3500,
        client_comment="Позвоните за час до доставки, домофон не работает.",
    ),
    Story(
        "veter",
        "manager",
        (("BUK-STUL", "12"), ("DUB-STOL-180", "2")),
        Stage.PREPAYMENT,
        6.0,
        3.0,
        method=DeliveryMethod.COURIER,
        address="г. Москва, ул. Покровка, д. 31, стр. 1",
        delivery_cost=2500,
        scheme=PaymentScheme.PARTIAL_PREPAYMENT,
        prepayment=140000,
        notes=(
            Note(
                2.5,
                "manager",
                "Бухгалтерия клиента оплатит после подписания договора, ждём скан.",
            ),
        ),
    ),
    Story("belousova", "manager2", (("YAS-KOMOD-4", "1"),), Stage.PREPAYMENT, 2.0, 0.8),
    # Production: paid as agreed, the shop is making the lines.
    Story(
        "kravets",
        "manager",
        (("DUB-STOL-180", "1"), ("KUPE-2000", "1")),
        Stage.PRODUCTION,
        20.0,
        4.0,
        method=DeliveryMethod.COURIER,
        address="г. Москва, Мичуринский пр-т, д. 6, кв. 201",
        delivery_cost=4000,
        scheme=PaymentScheme.PARTIAL_PREPAYMENT,
        prepayment=80000,
        made=1,
        notes=(
            Note(
                3.0,
                "headprod",
                "Поставщик перенёс отгрузку раздвижной системы на следующую неделю, "
                "шкаф задерживается.",
            ),
        ),
    ),
    Story(
        "fedorova",
        "manager",
        (("DUB-KROV-160", "1"),),
        Stage.PRODUCTION,
        2.5,
        15 * MINUTE,
        source=Source.WEB_SHOP,
        method=DeliveryMethod.COURIER,
        address="г. Москва, ул. Вавилова, д. 48, кв. 30",
        delivery_cost=3500,
    ),
    Story(
        "bor",
        "manager2",
        (("LIST-SKAM-150", "8"), ("DUB-STOL-180", "2")),
        Stage.PRODUCTION,
        4.0,
        1.5,
        method=DeliveryMethod.COURIER,
        address="Московская обл., Истринский р-н, д. Лечищево, клуб «Сосновый бор»",
        delivery_cost=6000,
        scheme=PaymentScheme.POSTPAYMENT,
    ),
    # Postpayment: made, the balance invoiced.
    Story(
        "yakovlev",
        "manager",
        (("SOS-STEL-5", "3"),),
        Stage.POSTPAYMENT,
        12.0,
        0.8,
        scheme=PaymentScheme.PARTIAL_PREPAYMENT,
        prepayment=20000,
    ),
    Story(
        "tarasova",
        "manager2",
        (("YAS-KOMOD-4", "2"),),
        Stage.POSTPAYMENT,
        15.0,
        2.0,
        method=DeliveryMethod.COURIER,
        address="г. Москва, Большая Никитская ул., д. 21, офис 4",
        delivery_cost=3000,
        scheme=PaymentScheme.POSTPAYMENT,
    ),
    # Delivery details: paid and made, the date is being agreed.
    Story(
        "komarova",
        "manager",
        (("DUB-STOL-180", "1"), ("BUK-STUL", "4")),
        Stage.DELIVERY_DETAILS,
        17.0,
        0.6,
        method=DeliveryMethod.COURIER,
        address="г. Москва, ул. Маршала Бирюзова, д. 32, кв. 14",
        delivery_cost=3500,
        notes=(
            Note(0.4, "manager", "Клиентка в отъезде до понедельника, доставку согласуем после."),
        ),
    ),
    Story(
        "osipov",
        "manager2",
        (("LIST-SKAM-150", "2"),),
        Stage.DELIVERY_DETAILS,
        9.0,
        0.7,
        scheme=PaymentScheme.POSTPAYMENT,
    ),
    # Delivery: the day is set, logistics has the task.
    Story(
        "mironova",
        "manager",
        (("DUB-KROV-160", "1"),),
        Stage.DELIVERY,
        18.0,
        0.3,
        method=DeliveryMethod.COURIER,
        address="г. Москва, Кутузовский пр-т, д. 24, кв. 58",
        delivery_cost=3500,
        client_comment="Подъём на 7 этаж, лифт грузовой есть.",
    ),
    Story(
        "veter",
        "manager",
        (("DUB-STOL-180", "3"),),
        Stage.DELIVERY,
        16.0,
        0.2,
        method=DeliveryMethod.CARRIER,
        address="г. Санкт-Петербург, наб. реки Мойки, д. 40 (второе кафе сети)",
        delivery_cost=9000,
        carrier="Деловые Линии",
    ),
    Story("petrov", "manager2", (("SOS-STEL-5", "1"),), Stage.DELIVERY, 11.0, 0.4),
    # Won: delivered or picked up.
    Story("ivanova", "manager", (("SOS-STEL-5", "2"),), Stage.WON, 22.0, 16.0),
    Story(
        "nikolaeva",
        "manager",
        (("BUK-STOLESH-40", "2.4"),),
        Stage.WON,
        21.0,
        11.0,
        method=DeliveryMethod.COURIER,
        address="г. Москва, Ленинский пр-т, д. 123, кв. 45",
        delivery_cost=2500,
        scheme=PaymentScheme.PARTIAL_PREPAYMENT,
        prepayment=15000,
    ),
    Story(
        "gusev",
        "manager",
        (("DUB-KROV-160", "1"),),
        Stage.WON,
        19.0,
        5.0,
        method=DeliveryMethod.CARRIER,
        address="г. Тверь, ул. Советская, д. 15, кв. 3",
        delivery_cost=7500,
        carrier="СДЭК",
    ),
    Story(
        "bor",
        "manager2",
        (("LIST-SKAM-150", "10"),),
        Stage.WON,
        20.0,
        8.0,
        method=DeliveryMethod.COURIER,
        address="Московская обл., Истринский р-н, д. Лечищево, клуб «Сосновый бор»",
        delivery_cost=6000,
        scheme=PaymentScheme.POSTPAYMENT,
    ),
    # Lost, each with the reason a manager wrote.
    Story(
        "osipov",
        "manager",
        (("BUK-STUL", "2"),),
        Stage.LOST,
        8.7,
        7.0,
        source=Source.WEB_SHOP,
        lost_in=Stage.NEW,
        reason="Клиент не выходит на связь: три звонка и письмо без ответа.",
    ),
    Story(
        "belousova",
        "manager",
        (("KUPE-2000", "1"),),
        Stage.LOST,
        14.0,
        10.0,
        method=DeliveryMethod.COURIER,
        address="г. Москва, ул. Нижняя Масловка, д. 5, кв. 80",
        delivery_cost=4000,
        lost_in=Stage.PREPAYMENT,
        reason="Клиентка купила готовый шкаф в магазине: ждать две недели не готова.",
    ),
    Story(
        "zakharov",
        "manager2",
        (("DUB-STOL-180", "1"),),
        Stage.LOST,
        16.0,
        13.0,
        lost_in=Stage.QUALIFICATION,
        reason="Не устроила цена: клиент рассчитывал уложиться в 50\u00a0000\u00a0₽.",
    ),
]
