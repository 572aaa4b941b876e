"""Amounts in Russian words, as invoices print them ("Сумма прописью")."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

_UNITS_M = ["", "один", "два", "три", "четыре", "пять", "шесть", "семь", "восемь", "девять"]
_UNITS_F = ["", "одна", "две", "три", "четыре", "пять", "шесть", "семь", "восемь", "девять"]
_TEENS = [
    "десять",
    "одиннадцать",
    "двенадцать",
    "тринадцать",
    "четырнадцать",
    "пятнадцать",
    "шестнадцать",
    "семнадцать",
    "восемнадцать",
    "девятнадцать",
]
_TENS = [
    "",
    "",
    "двадцать",
    "тридцать",
    "сорок",
    "пятьдесят",
    "шестьдесят",
    "семьдесят",
    "восемьдесят",
    "девяносто",
]
_HUNDREDS = [
    "",
    "сто",
    "двести",
    "триста",
    "четыреста",
    "пятьсот",
    "шестьсот",
    "семьсот",
    "восемьсот",
    "девятьсот",
]
# (one, few, many), feminine?
_SCALES = [
    (("рубль", "рубля", "рублей"), False),
    (("тысяча", "тысячи", "тысяч"), True),
    (("миллион", "миллиона", "миллионов"), False),
    (("миллиард", "миллиарда", "миллиардов"), False),
]
_KOPECKS = ("копейка", "копейки", "копеек")


def plural(n: int, forms: tuple[str, str, str]) -> str:
    n = abs(n) % 100
    if 11 <= n <= 19:
        return forms[2]
    if n % 10 == 1:
        return forms[0]
    if 2 <= n % 10 <= 4:
        return forms[1]
    return forms[2]


def _triad(n: int, feminine: bool) -> list[str]:
    words = [_HUNDREDS[n // 100]]
    rest = n % 100
    if 10 <= rest <= 19:
        words.append(_TEENS[rest - 10])
    else:
        words.append(_TENS[rest // 10])
        words.append((_UNITS_F if feminine else _UNITS_M)[rest % 10])
    return [w for w in words if w]


def integer_in_words(n: int, *, feminine: bool = False) -> str:
    if n == 0:
        return "ноль"
    parts: list[str] = []
    for scale, (forms, fem) in enumerate(_SCALES):
        triad = (n // 1000**scale) % 1000
        if triad == 0:
            continue
        chunk = _triad(triad, fem if scale else feminine)
        if scale:
            chunk.append(plural(triad, forms))
        parts = chunk + parts
    return " ".join(parts)


# The major unit's forms (one, few, many) and the minor unit's; every one here is
# masculine where it matters ("один доллар", "один тенге"); kopecks and cents are digits.
_CURRENCIES = {
    "RUB": (("рубль", "рубля", "рублей"), _KOPECKS),
    "USD": (("доллар США", "доллара США", "долларов США"), ("цент", "цента", "центов")),
    "EUR": (("евро", "евро", "евро"), ("цент", "цента", "центов")),
    "KZT": (("тенге", "тенге", "тенге"), ("тиын", "тиына", "тиынов")),
    "BYN": (
        ("белорусский рубль", "белорусских рубля", "белорусских рублей"),
        _KOPECKS,
    ),
}


def amount_in_words(amount: Decimal, currency: str = "RUB") -> str:
    """1234.50 RUB → "Одна тысяча двести тридцать четыре рубля 50 копеек"; empty for a
    currency we have no words for."""
    if currency not in _CURRENCIES:
        return ""
    major, minor = _CURRENCIES[currency]
    amount = Decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    whole = int(amount)
    cents = int((amount - whole) * 100)
    text = f"{integer_in_words(whole)} {plural(whole, major)} {cents:02d} {plural(cents, minor)}"
    return text[0].upper() + text[1:]
