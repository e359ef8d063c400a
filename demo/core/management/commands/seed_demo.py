"""``manage.py seed_demo``: the demo's data. Safe to run again and again."""

import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from demo.mistakes.models import Ticket, restore_samples
from demo.shop.models import Customer, Order, Product
from demo.staff.models import Employee, Shift

PRODUCT_COUNT = 5_000
CUSTOMERS = {
    "Ada Lovelace": [("Notebook", 2, "3.50"), ("Fountain pen", 1, "24.00")],
    "Alan Turing": [("Chess set", 1, "45.00")],
    "Grace Hopper": [("Nanosecond wire", 10, "0.25"), ("Coffee", 3, "4.20")],
}
EMPLOYEES = [("Margaret", "Barista"), ("Edsger", "Cook")]
WORDS = ["Red", "Blue", "Green", "Small", "Large", "Oak", "Steel", "Paper"]
THINGS = ["Mug", "Lamp", "Chair", "Notebook", "Kettle", "Clock", "Bowl", "Vase"]


class Command(BaseCommand):
    help = "Create the demo login and sample data (idempotent)."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        self.seed_demo_user()
        self.seed_shop()
        self.seed_catalog()
        self.seed_staff()
        self.seed_tickets()

    def seed_demo_user(self) -> None:
        user_model = get_user_model()
        user, created = user_model.objects.get_or_create(
            username=settings.DEMO_USERNAME,
            defaults={
                "email": "demo@example.com",
                "first_name": "Demo",
                "last_name": "User",
                "is_staff": True,
                "is_superuser": True,
            },
        )
        if created or not user.check_password(settings.DEMO_PASSWORD):
            user.set_password(settings.DEMO_PASSWORD)
            user.save(update_fields=["password"])
        self.stdout.write(
            f"Demo login: {settings.DEMO_USERNAME} / {settings.DEMO_PASSWORD}"
        )

    def seed_shop(self) -> None:
        for name, orders in CUSTOMERS.items():
            customer, created = Customer.objects.get_or_create(
                name=name,
                defaults={"email": name.split()[0].lower() + "@example.com"},
            )
            if created:
                for item, quantity, price in orders:
                    Order.objects.create(
                        customer=customer,
                        item=item,
                        quantity=quantity,
                        unit_price=Decimal(price),
                    )

    def seed_catalog(self) -> None:
        existing = set(Product.objects.values_list("sku", flat=True))
        missing = [
            Product(
                sku=sku,
                name=f"{WORDS[n % len(WORDS)]} {THINGS[n // len(WORDS) % len(THINGS)]}",
                price=Decimal(100 + (n * 37) % 9900) / 100,
                stock=(n * 13) % 250,
            )
            for n in range(1, PRODUCT_COUNT + 1)
            if (sku := f"SKU-{n:05d}") not in existing
        ]
        # bulk_create sends no model signals: seeding stays quiet and fast.
        Product.objects.bulk_create(missing, batch_size=500)
        self.stdout.write(f"Catalog: {Product.objects.count()} products")

    def seed_staff(self) -> None:
        for name, role in EMPLOYEES:
            if not Employee.objects.filter(name=name).exists():
                # Saving runs the staff receivers: the hire gets a shift.
                Employee.objects.create(name=name, role=role)
        # A shift in the past: the next hire's pre_save receiver deletes it.
        yesterday = timezone.localdate() - datetime.timedelta(days=1)
        Shift.objects.get_or_create(date=yesterday)

    def seed_tickets(self) -> None:
        if not Ticket.objects.exists():
            # The "Common mistakes" page lists tickets: a receiver queries for
            # each one. bulk_create: no post_save, so no slugs filled by a
            # receiver, and no index entries by pagesearch's.
            restore_samples()
