"""What the demo is made of: a Moscow joinery workshop that makes furniture to order, its
people, catalogue and clients (the orders' stories are in demo_stories.py)."""

from __future__ import annotations

from dataclasses import dataclass

from orders import roles

PASSWORD = "conveyor-demo"
LANGUAGE = "ru"  # the workshop's people read the app, and their bells, in Russian

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

MATERIALS = {
    # key: name, unit, cost per unit
    "oak": ("Дубовый мебельный щит 40 мм", "m2", "6800.00"),
    "ash": ("Ясеневый мебельный щит 30 мм", "m2", "5200.00"),
    "beech": ("Буковый мебельный щит 40 мм", "m2", "4600.00"),
    "pine": ("Сосновый мебельный щит 28 мм", "m2", "1900.00"),
    "larch": ("Брус лиственницы 50×100 мм", "m", "420.00"),
    "chipboard": ("ЛДСП 16 мм для корпусов", "m2", "780.00"),
    "mirror": ("Зеркало 4 мм", "m2", "2600.00"),
    "oil": ("Масло-воск для древесины", "l", "2400.00"),
    "fittings": ("Фурнитура, комплект", "set", "900.00"),
    "doors": ("Система раздвижных дверей", "set", "14500.00"),
}


@dataclass(frozen=True)
class Item:
    sku: str
    name: str
    unit: str
    price: str
    lead_days: int  # working days to make one
    labour_minutes: int
    labour_rate: str  # per hour
    bom: tuple[tuple[str, str], ...]  # material key, quantity per unit


PRODUCTS = [
    Item(
        "DUB-STOL-180",
        "Стол обеденный из дуба, 180×90 см",
        "pcs",
        "68000.00",
        10,
        720,
        "750.00",
        (("oak", "2.2"), ("oil", "0.4"), ("fittings", "1")),
    ),
    Item(
        "BUK-STUL",
        "Стул из бука с мягким сиденьем",
        "pcs",
        "11500.00",
        6,
        180,
        "700.00",
        (("beech", "0.5"), ("oil", "0.1"), ("fittings", "1")),
    ),
    Item(
        "LIST-SKAM-150",
        "Скамья садовая из лиственницы, 1,5 м",
        "pcs",
        "18500.00",
        5,
        240,
        "650.00",
        (("larch", "9"), ("oil", "0.3")),
    ),
    Item(
        "KUPE-2000",
        "Шкаф-купе 2 м с зеркалом",
        "pcs",
        "86000.00",
        8,
        960,
        "750.00",
        (("chipboard", "9"), ("doors", "1"), ("mirror", "1.6"), ("fittings", "2")),
    ),
    Item(
        "SOS-STEL-5",
        "Стеллаж из сосны, 5 полок",
        "pcs",
        "14200.00",
        4,
        200,
        "650.00",
        (("pine", "2.4"), ("oil", "0.3"), ("fittings", "1")),
    ),
    Item(
        "DUB-KROV-160",
        "Кровать из массива дуба, 160×200 см",
        "pcs",
        "96000.00",
        14,
        1080,
        "750.00",
        (("oak", "3.4"), ("oil", "0.6"), ("fittings", "2")),
    ),
    Item(
        "YAS-KOMOD-4",
        "Комод из ясеня, 4 ящика",
        "pcs",
        "42000.00",
        8,
        600,
        "750.00",
        (("ash", "2"), ("oil", "0.3"), ("fittings", "2")),
    ),
    Item(
        "BUK-STOLESH-40",
        "Столешница из бука, 40 мм",
        "m",
        "12400.00",
        5,
        90,
        "700.00",
        (("beech", "0.65"), ("oil", "0.15")),
    ),
]

# The shop's work centres: name, capacity in hours per working day, its people.
WORK_CENTRES = [
    ("Раскрой", "8", ("production",)),
    ("Сборка", "16", ("production", "production2")),
    ("Покраска", "8", ("production2",)),
]

# Routings: product, then its operations in order (name = work centre, set-up minutes,
# minutes per unit); their standard minutes add up to the product's labour.
ROUTINGS = {
    "DUB-STOL-180": (("Раскрой", 30, "120"), ("Сборка", 0, "330"), ("Покраска", 0, "240")),
    "BUK-STUL": (("Раскрой", 10, "30"), ("Сборка", 0, "80"), ("Покраска", 0, "60")),
    "DUB-KROV-160": (("Раскрой", 60, "240"), ("Сборка", 0, "480"), ("Покраска", 0, "300")),
}

# A day the paint shop stands still: working days from today, hours, reason.
CAPACITY_EXCEPTIONS = [("Покраска", 3, "0", "Замена фильтров в окрасочной камере")]


CARRIERS = [
    ("СДЭК", "https://www.cdek.ru/ru/tracking?order_id={number}"),
    ("Деловые Линии", "https://www.dellin.ru/tracker/?mode=search&rwID={number}"),
]

# Clients, keyed for the stories below: name, phone, e-mail (reserved example domains: a
# demo never writes to a real mailbox), notes.
CUSTOMERS = {
    "ivanova": ("Иванова Анна Сергеевна", "+7 916 245-18-73", "anna.ivanova@example.com", ""),
    "petrov": ("Петров Игорь Николаевич", "+7 903 712-40-15", "i.petrov@example.com", ""),
    "kravets": ("Кравец Светлана Олеговна", "+7 925 318-64-02", "kravets.s@example.com", ""),
    "fedorova": ("Фёдорова Мария Андреевна", "+7 985 140-27-91", "m.fedorova@example.com", ""),
    "gusev": ("Гусев Павел Викторович", "+7 926 503-11-48", "pavel.gusev@example.com", ""),
    "nikolaeva": (
        "Николаева Екатерина Дмитриевна",
        "+7 915 876-23-05",
        "e.nikolaeva@example.com",
        "",
    ),
    "zakharov": ("Захаров Андрей Михайлович", "+7 977 264-90-37", "zakharov.a@example.com", ""),
    "belousova": ("Белоусова Ольга Ивановна", "+7 964 731-58-12", "o.belousova@example.com", ""),
    "yakovlev": ("Яковлев Роман Евгеньевич", "+7 916 902-44-61", "r.yakovlev@example.com", ""),
    "komarova": ("Комарова Дарья Алексеевна", "+7 903 558-17-29", "komarova.d@example.com", ""),
    "osipov": ("Осипов Константин Юрьевич", "+7 929 617-35-80", "k.osipov@example.com", ""),
    "mironova": ("Миронова Юлия Владимировна", "+7 967 204-63-18", "yu.mironova@example.com", ""),
    "veter": (
        "ООО «Северный ветер»",
        "+7 495 984-36-10",
        "zakupki@severny-veter.example.com",
        "Кафе-кондитерская на Покровке. Контакт: Ковалёва Ирина, управляющая. "
        "Счета — на юрлицо, оплата по безналу.",
    ),
    "bor": (
        "ООО «Загородный клуб „Сосновый бор“»",
        "+7 495 632-70-44",
        "snab@sosnovy-bor.example.com",
        "Загородный клуб в Истринском районе. Контакт: Белов Максим, завхоз.",
    ),
    "tarasova": (
        "ИП Тарасова Елена Викторовна",
        "+7 499 350-12-87",
        "studio@tarasova-interior.example.com",
        "Студия интерьеров: заказывает для своих клиентов, просит скидку 10 % от розницы.",
    ),
}

# The business clients' requisites, for their invoices and closing documents (valid check
# digits; the banks' BIKs and correspondent accounts are real, the rest made up).
BUYERS = {
    "veter": {
        "kind": "company",
        "inn": "7701584325",
        "kpp": "770101001",
        "ogrn": "1187746315206",
        "legal_address": "105062, г. Москва, ул. Покровка, д. 31, стр. 1, помещ. 2",
        "bank_name": "АО «Альфа-Банк», г. Москва",
        "bik": "044525593",
        "account": "40702810201300017458",
        "correspondent_account": "30101810200000000593",
    },
    "bor": {
        "kind": "company",
        "inn": "5017902630",
        "kpp": "501701001",
        "ogrn": "1155017003844",
        "legal_address": "143581, Московская обл., г. о. Истра, д. Лечищево, стр. 1",
        "bank_name": "ПАО Сбербанк, г. Москва",
        "bik": "044525225",
        "account": "40702810438000094216",
        "correspondent_account": "30101810400000000225",
    },
    "tarasova": {
        "kind": "sole_trader",
        "inn": "770512345650",
        "ogrn": "319774600123453",
        "legal_address": "115054, г. Москва, ул. Дубининская, д. 11, кв. 8",
        "bank_name": "АО «ТБанк», г. Москва",
        "bik": "044525974",
        "account": "40802810710000382914",
        "correspondent_account": "30101810145250000974",
    },
}
