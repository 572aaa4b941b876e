from django.core.management.base import BaseCommand, CommandParser

from orders.services import api_key_create


class Command(BaseCommand):
    help = "Create an API key for an outside system (web shop, accounting); prints it once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="Who uses the key, e.g. 'Web shop'.")

    def handle(self, *args, name: str, **options) -> None:
        key, plain = api_key_create(name=name)
        self.stdout.write(f"API key for {key.name} (stored hashed, shown only now):")
        self.stdout.write(plain)
