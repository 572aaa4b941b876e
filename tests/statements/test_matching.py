"""The invoice numbers people write in a payment's purpose, as banks pass them on."""

from __future__ import annotations

import pytest

from statements.matching import invoice_numbers


@pytest.mark.parametrize(
    ("purpose", "expected"),
    [
        ("Оплата по счету № INV-2026-00016 от 25.11.2026. Без НДС", ["INV-2026-00016"]),
        ("Оплата сч. INV-2026-00016 за мебель", ["INV-2026-00016"]),
        ("оплата inv-2026-16", ["INV-2026-00016"]),
        ("INV 2026 00016 предоплата", ["INV-2026-00016"]),
        ("Оплата по счету № 16 от 25.11.2026", ["INV-2026-00016", "INV-2025-00016"]),
        ("Предоплата по сч.№16, НДС не облагается", ["INV-2026-00016", "INV-2025-00016"]),
        ("СЧЕТ N 16", ["INV-2026-00016", "INV-2025-00016"]),
        ("по счёту 16", ["INV-2026-00016", "INV-2025-00016"]),
        ("Оплата по счету-оферте № 16 от 01.12.2026", ["INV-2026-00016", "INV-2025-00016"]),
        ("Оплата по счету на оплату № 16", ["INV-2026-00016", "INV-2025-00016"]),
        ("Оплата по договору № 16 от 01.11.2026", []),
        ("Перевод на р/сч 40702810900000012345", []),
        ("Оплата за мебель, в т.ч. НДС 20% - 5333.33 руб.", []),
        ("Расчет по счету-фактуре № 16", []),
        ("Оплата по счету № 0", []),
    ],
)
def test_the_invoice_numbers_a_purpose_names(purpose, expected):
    assert invoice_numbers(purpose, 2026) == expected


def test_an_amount_after_the_word_is_no_invoice_number():
    assert invoice_numbers("Доплата к счету 16,50 руб.", 2026) == []
