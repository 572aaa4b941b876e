"""Units of measure. A unit is stored as a short code ("pcs", "m", "m2"…); rows written
before that may hold the Russian word ("шт.", "м²"). Either way it is shown in the
reader's language; a unit we do not know is shown as written."""

from __future__ import annotations

from django.utils.translation import pgettext_lazy

UNITS = {
    "pcs": pgettext_lazy("unit", "pcs"),
    "m": pgettext_lazy("unit", "m"),
    "m2": pgettext_lazy("unit", "m²"),
    "m3": pgettext_lazy("unit", "m³"),
    "l": pgettext_lazy("unit", "l"),
    "kg": pgettext_lazy("unit", "kg"),
    "set": pgettext_lazy("unit", "set"),
}

# The words people wrote before units had codes, in either language.
ALIASES = {
    "шт": "pcs",
    "шт.": "pcs",
    "pc": "pcs",
    "pcs.": "pcs",
    "м": "m",
    "м2": "m2",
    "м²": "m2",
    "m²": "m2",
    "м3": "m3",
    "м³": "m3",
    "m³": "m3",
    "л": "l",
    "кг": "kg",
    "компл": "set",
    "компл.": "set",
}


def unit_code(unit: str) -> str:
    """The code of a unit as stored, whichever way it was written."""
    written = unit.strip()
    return ALIASES.get(written.lower(), written)


def unit_label(unit: str) -> str:
    """The unit in the current language."""
    label = UNITS.get(unit_code(unit))
    return str(label) if label is not None else unit
