from django.core.management.base import BaseCommand, CommandParser

from orders.models import ApiScope
from orders.services.api_keys import api_key_create


class Command(BaseCommand):
    help = (
        "Create an API key for an outside system (web shop, accounting); prints it once. "
        "Scopes: intake (create orders), accounting (record payments, read any order), "
        "read (order status; without accounting, only the orders the key sent in)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="Who uses the key, e.g. 'Web shop'.")
        parser.add_argument(
            "--scope",
            action="append",
            choices=ApiScope.values,
            required=True,
            dest="scopes",
            help="What the key may do; repeat for several, e.g. --scope intake --scope read.",
        )

    def handle(self, *args, name: str, scopes: list[str], **options) -> None:
        key, plain = api_key_create(name=name, scopes=scopes)
        self.stdout.write(
            f"API key for {key.name}, scopes {', '.join(key.scopes)} "
            "(stored hashed, shown only now):"
        )
        self.stdout.write(plain)
