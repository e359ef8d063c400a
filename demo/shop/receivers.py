"""Receivers of the shop app, connected in ``ShopConfig.ready()``.

Nothing listens to ``pre_init``: Django still sends it for every Order it
builds, and the Signals panel counts those sends under "Sent with no
receivers".
"""

import logging
from typing import Any

from django.db.models.signals import (
    post_delete,
    post_init,
    post_save,
    pre_delete,
    pre_save,
)
from django.dispatch import receiver
from django.utils import timezone

from demo.shop.models import Customer, Order, Product

logger = logging.getLogger(__name__)


@receiver(post_init, sender=Order)
def remember_status(sender: type[Order], instance: Order, **kwargs: Any) -> None:
    """Keep the status as loaded, so that ``pre_save`` can tell if it changed."""
    # Read __dict__, not the attribute: a deferred field would run a query.
    instance._loaded_status = instance.__dict__.get("status")


@receiver(pre_save, sender=Order)
def price_order(sender: type[Order], instance: Order, **kwargs: Any) -> None:
    instance.total = instance.unit_price * instance.quantity


@receiver(pre_save, sender=Order)
def stamp_shipping(sender: type[Order], instance: Order, **kwargs: Any) -> bool:
    """Date the order when its status becomes "shipped"; True if it just did."""
    just_shipped = (
        instance.status == Order.Status.SHIPPED
        and instance._loaded_status != Order.Status.SHIPPED
    )
    if just_shipped:
        instance.shipped_at = timezone.now()
    return just_shipped


@receiver(post_save, sender=Order)
def notify_customer(
    sender: type[Order], instance: Order, created: bool, **kwargs: Any
) -> None:
    if created:
        logger.info(
            "Order #%s placed: %s x %s", instance.pk, instance.quantity, instance.item
        )
    elif instance.status == Order.Status.SHIPPED:
        logger.info("Order #%s shipped", instance.pk)


@receiver(pre_delete, sender=Customer)
def log_customer_removal(
    sender: type[Customer], instance: Customer, **kwargs: Any
) -> None:
    """Sent before the cascade: the customer's orders are still there."""
    logger.info(
        "Removing customer %s and their %d order(s)",
        instance.name,
        instance.orders.count(),
    )


@receiver(post_delete, sender=Order)
def log_order_removal(sender: type[Order], instance: Order, **kwargs: Any) -> None:
    """Runs for each order, also when they go with their customer."""
    logger.info("Order #%s deleted", instance.pk)


@receiver(post_init, sender=Product)
def remember_price(sender: type[Product], instance: Product, **kwargs: Any) -> None:
    """Keep the price as loaded, to spot price changes when saving.

    A common pattern, and one that costs at scale: it runs for every row a
    query loads. The "Heavy list" page loads 5,000 products.
    """
    instance._loaded_price = instance.__dict__.get("price")
