"""Phone numbers: stored in E.164 ("+79000000001"), so one client typed as "+7 900 000-00-01"
and as "8 900 000 00 01" is one client; shown formatted for people ("+7 900 000-00-01").
A number without a country code is read in PHONE_DEFAULT_REGION (in Russia, "8 900 …" is
+7 900 …)."""

from __future__ import annotations

import phonenumbers
from django.conf import settings
from django.utils.translation import gettext_lazy as _

# phonenumbers refuses longer input itself; a bound of our own keeps the error ours.
MAX_INPUT = 64

PHONE_INVALID = _(
    "Enter a valid phone number, for example +7 900 000-00-01 (another country's with its code)."
)
PHONE_EXTENSION = _("Give the phone without an extension; put the extension in the notes.")


class PhoneError(ValueError):
    """A phone that cannot be stored; str(error) is the message to show next to the field."""


def _parse(raw: str) -> phonenumbers.PhoneNumber | None:
    if len(raw) > MAX_INPUT or "\x00" in raw:
        return None
    try:
        number = phonenumbers.parse(raw, settings.PHONE_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def phone_normalize(raw: str) -> str:
    """The E.164 form of a typed phone; "" for a blank one. Raises PhoneError (a ValueError)
    with the message to show when it is not a valid number."""
    raw = raw.strip()
    if not raw:
        return ""
    number = _parse(raw)
    if number is None:
        raise PhoneError(str(PHONE_INVALID))
    # E.164 has no room for an extension: storing the number alone would lose it silently.
    if number.extension:
        raise PhoneError(str(PHONE_EXTENSION))
    # phonenumbers reads letters as on a keypad ("8 800 FLOWERS"); here they are a typo.
    if any(ch.isalpha() for ch in raw):
        raise PhoneError(str(PHONE_INVALID))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_storable(raw: str) -> str:
    """What to store for a phone already on its way to the database: the E.164 form when it
    is a valid number, otherwise the phone as typed (old rows, which we never refuse to save
    for an unrelated change)."""
    try:
        return phone_normalize(raw)
    except PhoneError:
        return raw.strip()


def phone_for_search(q: str) -> str | None:
    """The E.164 form of a search query that is a whole phone number, else None."""
    try:
        return phone_normalize(q) or None
    except PhoneError:
        return None


def phone_display(stored: str) -> str:
    """A stored phone as people write it: "+7 900 000-00-01"; a phone kept as typed is shown
    as typed."""
    if not stored.startswith("+"):
        return stored
    try:
        number = phonenumbers.parse(stored, None)
    except phonenumbers.NumberParseException:
        return stored
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


# A part of a phone shorter than this is too common to look up by its start.
PREFIX_DIGITS = 5


def phone_prefixes(q: str) -> list[str]:
    """How stored phones (E.164) can start when a person types the start of one: "912 34"
    is +791234… in the default region, "8 912 34" is the same with its trunk prefix, and
    "+44 20" is +4420…. Empty for a query with letters or fewer than five digits."""
    q = q.strip()
    digits = "".join(ch for ch in q if ch.isdigit())
    if len(digits) < PREFIX_DIGITS or len(q) > MAX_INPUT or any(ch.isalpha() for ch in q):
        return []
    if q.startswith("+"):
        return ["+" + digits]
    region = settings.PHONE_DEFAULT_REGION
    code = str(phonenumbers.country_code_for_region(region))
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    trunk = (metadata.national_prefix if metadata else None) or ""
    starts = {"+" + digits, "+" + code + digits}
    if trunk and digits.startswith(trunk):
        starts.add("+" + code + digits[len(trunk) :])
    return sorted(starts)
