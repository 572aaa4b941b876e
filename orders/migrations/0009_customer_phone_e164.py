"""Phones to E.164, and the clients that turn out to be one client merged.

Before, phones were stored as typed, so "+7 900 000-00-01" and "8 900 000 00 01" made two
clients. Each phone that is a valid number is rewritten in E.164 (read in
PHONE_DEFAULT_REGION when it has no country code); one that is not stays as typed and is
never merged.

Clients with the same normalised phone are merged when nothing says they are different
people and something besides the phone says they are the same one:
  - their e-mails do not differ (equal ignoring case, or one of them has none), and
  - they have the same e-mail, or the same name (ignoring case, spaces and ё/е; a name
    whose words are all in the other's, "Анна" and "Анна Иванова", counts as the same).
Two people sharing an office or family phone (different e-mails, or different names and no
e-mails) were possibly told apart on purpose (the new-order form asks before making a
second client with a known phone), so they are left apart.

The oldest client of a group is kept. Every row pointing at a merged client (orders, and
whatever else has a foreign key to Customer) is moved to it; its blank fields are filled
from the others, their notes are appended to its notes, and if any of them asked not to be
notified, the kept client is not notified either. Nothing is lost but the duplicate rows.

Irreversible in meaning: going back leaves phones and merges as they are.
"""

import logging

import phonenumbers
from django.conf import settings
from django.db import migrations

logger = logging.getLogger(__name__)

FILLED = ("company", "email")


def normalized(raw: str, region: str) -> str | None:
    """The E.164 form of a valid number without an extension, else None (kept as typed)."""
    raw = raw.strip()
    if not raw or len(raw) > 64 or "\x00" in raw or any(ch.isalpha() for ch in raw):
        return None
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number) or number.extension:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def same_name(a: str, b: str) -> bool:
    """The same words, or all words of one in the other ("Анна" and "Анна Иванова"),
    ignoring case, spacing and ё/е."""

    def words(name: str) -> set[str]:
        return set(name.casefold().replace("ё", "е").split())

    first, second = words(a), words(b)
    return bool(first and second) and (first <= second or second <= first)


class Group:
    """A kept client and what it has absorbed so far."""

    def __init__(self, keeper) -> None:
        self.keeper = keeper
        self.names = [keeper.name]
        self.merged: list = []

    def takes(self, other) -> bool:
        mine, theirs = self.keeper.email.strip().lower(), other.email.strip().lower()
        if mine and theirs and mine != theirs:
            return False
        return bool(mine and mine == theirs) or any(same_name(n, other.name) for n in self.names)

    def absorb(self, other) -> None:
        keeper = self.keeper
        for field in FILLED:
            if not getattr(keeper, field).strip() and getattr(other, field).strip():
                setattr(keeper, field, getattr(other, field))
        if other.notes.strip() and other.notes.strip() not in keeper.notes:
            keeper.notes = "\n\n".join(n for n in (keeper.notes.strip(), other.notes.strip()) if n)
        keeper.do_not_notify = keeper.do_not_notify or other.do_not_notify
        self.names.append(other.name)
        self.merged.append(other)


def merge_groups(customers: list) -> list[Group]:
    """customers: one normalised phone's clients, oldest first."""
    groups: list[Group] = []
    for customer in customers:
        group = next((g for g in groups if g.takes(customer)), None)
        if group is None:
            groups.append(Group(customer))
        else:
            group.absorb(customer)
    return groups


def forwards(apps, schema_editor) -> None:
    Customer = apps.get_model("orders", "Customer")
    region = settings.PHONE_DEFAULT_REGION
    by_phone: dict[str, list] = {}
    for customer in Customer.objects.exclude(phone="").order_by("created_at", "id").iterator():
        phone = normalized(customer.phone, region)
        if phone is None:
            continue
        if phone != customer.phone:
            customer.phone = phone
            Customer.objects.filter(pk=customer.pk).update(phone=phone)
        by_phone.setdefault(phone, []).append(customer)

    relations = [
        rel
        for rel in Customer._meta.related_objects
        if rel.one_to_many and rel.field.concrete  # ForeignKeys to Customer
    ]
    for customers in by_phone.values():
        if len(customers) < 2:
            continue
        for group in merge_groups(customers):
            if not group.merged:
                continue
            ids = [other.pk for other in group.merged]
            for rel in relations:
                rel.related_model._base_manager.filter(**{f"{rel.field.name}__in": ids}).update(
                    **{rel.field.name: group.keeper}
                )
            group.keeper.save(update_fields=[*FILLED, "notes", "do_not_notify"])
            Customer.objects.filter(pk__in=ids).delete()
            logger.info("Client %s absorbed clients %s (same phone)", group.keeper.pk, ids)


class Migration(migrations.Migration):
    dependencies = [("orders", "0008_api_key_scopes")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
