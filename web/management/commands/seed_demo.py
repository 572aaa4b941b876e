"""Demo data for a first look: a Moscow joinery workshop with one person per role, its
catalogue with bills of materials, real-sounding clients and a few orders at every stage of
the funnel, told through the real services (web/management/demo_orders.py). Running it
again changes nothing once orders exist."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandParser
from django.db.models import Max
from django.test.utils import override_settings
from django.utils import timezone

from invoices.models import SellerProfile
from logistics.models import Carrier
from notifications.deadlines import deadlines_run
from orders import roles
from orders.calendar import WorkingTime
from orders.models import Notification, Order, StaffProfile, TimelineEvent
from production.models import (
    BillOfMaterialsItem,
    CapacityException,
    Material,
    Operation,
    Product,
    WorkCentre,
)
from web.management.demo_data import (
    CAPACITY_EXCEPTIONS,
    CARRIERS,
    LANGUAGE,
    MATERIALS,
    PASSWORD,
    PRODUCTS,
    ROUTINGS,
    SELLER,
    USERS,
    WORK_CENTRES,
)
from web.management.demo_orders import Teller


class Command(BaseCommand):
    help = "Create demo users (one per role), a catalogue, clients and orders in every stage."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force", action="store_true", help="Add demo orders even if orders already exist."
        )

    def handle(self, *args, force: bool = False, **options) -> None:
        # Demo clients do not exist: keep their e-mails in memory, not on the console.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            users = self._users()
            self._seller()
            if Order.objects.exists() and not force:
                self.stdout.write("Demo orders already exist; leaving them as they are.")
            else:
                self._catalogue()
                self._work_centres(users)
                orders = Teller(users).tell()
                self.stdout.write(f"Created {len(orders)} demo orders.")
                # What the deadline job would have said by now: the late line is late.
                deadlines_run()
                self._bells_read()
        self._print_credentials()

    def _users(self) -> dict[str, User]:
        users = {}
        password = make_password(PASSWORD)  # hashed once: the same for every demo user
        for username, first, last, group in USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@conveyor.example.com",
                },
            )
            if created:
                user.password = password
                # The accountant works in the workspace (receivables, the journal): an
                # "Admin" item that opens onto someone else's tables is only noise there.
                user.is_staff = group in (
                    roles.ADMINS,
                    roles.HEAD_OF_SALES,
                    roles.HEAD_OF_PRODUCTION,
                )
                user.is_superuser = group == roles.ADMINS
                user.save()
                user.groups.add(Group.objects.get(name=group))
                StaffProfile.objects.update_or_create(user=user, defaults={"language": LANGUAGE})
            users[username] = user
        # Loaded again with their profiles: a bell is written in its reader's language, and
        # the profile the signal cached on a new user does not know it yet.
        return {
            user.username: user
            for user in User.objects.filter(username__in=users).select_related("profile")
        }

    def _catalogue(self) -> None:
        materials = {
            key: Material.objects.get_or_create(
                name=name, defaults={"unit": unit, "unit_cost": Decimal(cost)}
            )[0]
            for key, (name, unit, cost) in MATERIALS.items()
        }
        for item in PRODUCTS:
            product, created = Product.objects.get_or_create(
                sku=item.sku,
                defaults={
                    "name": item.name,
                    "price": Decimal(item.price),
                    "unit": item.unit,
                    "lead_time_days": item.lead_days,
                    "labour_minutes": item.labour_minutes,
                    "labour_rate": Decimal(item.labour_rate),
                },
            )
            if created:
                BillOfMaterialsItem.objects.bulk_create(
                    BillOfMaterialsItem(
                        product=product, material=materials[key], quantity=Decimal(quantity)
                    )
                    for key, quantity in item.bom
                )
        for name, url in CARRIERS:
            Carrier.objects.get_or_create(name=name, defaults={"tracking_url": url})

    def _work_centres(self, users: dict[str, User]) -> None:
        """The shop's work centres with their people, a day the paint shop stands still,
        and routings for a few products: their lines are made operation by operation."""
        centres = {}
        for name, hours, people in WORK_CENTRES:
            centre, created = WorkCentre.objects.get_or_create(
                name=name, defaults={"hours_per_day": Decimal(hours)}
            )
            if created:
                centre.members.add(*(users[username] for username in people))
            centres[name] = centre
        working_time = WorkingTime.load()
        for name, working_days, hours, reason in CAPACITY_EXCEPTIONS:
            day = timezone.localdate(working_time.add_days(timezone.now(), working_days))
            CapacityException.objects.get_or_create(
                work_centre=centres[name],
                date=day,
                defaults={"hours": Decimal(hours), "reason": reason},
            )
        for sku, operations in ROUTINGS.items():
            product = Product.objects.get(sku=sku)
            if product.operations.exists():
                continue  # its routing was set up already: theirs to keep
            Operation.objects.bulk_create(
                Operation(
                    product=product,
                    position=position,
                    name=name,
                    work_centre=centres[name],
                    setup_minutes=setup,
                    minutes_per_unit=Decimal(per_unit),
                )
                for position, (name, setup, per_unit) in enumerate(operations, start=1)
            )

    def _seller(self) -> None:
        """The company's requisites, so the client's invoice page and PDF show a bank block."""
        seller = SellerProfile.load()
        if seller.name:
            return  # filled by someone already: theirs to keep
        for field, value in SELLER.items():
            setattr(seller, field, value)
        seller.save()

    def _bells_read(self) -> None:
        """The seed's history happened before anyone logged in. Whoever acted on an order
        had seen their bells by then; of the rest only each person's latest three stay
        unread, the ones a newcomer would act on."""
        now = timezone.now()
        for user in User.objects.all():
            unread = Notification.objects.filter(user=user, read_at__isnull=True)
            acted = TimelineEvent.objects.filter(actor=user).aggregate(last=Max("created_at"))
            if acted["last"] is not None:
                unread.filter(created_at__lte=acted["last"]).update(read_at=acted["last"])
            keep = list(unread.order_by("-created_at", "-id").values_list("id", flat=True)[:3])
            unread.exclude(id__in=keep).update(read_at=now)

    def _print_credentials(self) -> None:
        self.stdout.write("")
        self.stdout.write(f"Demo users (password for all: {PASSWORD}):")
        for username, first, last, group in USERS:
            self.stdout.write(f"  {username:<12} {roles.ROLE_LABELS[group]}  ({first} {last})")
