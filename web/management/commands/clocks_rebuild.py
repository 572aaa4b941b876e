from django.core.management.base import BaseCommand

from orders.services.clocks import order_clocks_rebuild


class Command(BaseCommand):
    help = (
        "Set every order's time waiting on the client (prepayment, postpayment, pickup) from "
        "its timeline's stage moves: for orders made before the clock was kept."
    )

    def handle(self, *args, **options) -> None:
        changed = order_clocks_rebuild()
        self.stdout.write(f"Orders whose client clock was set: {changed}")
