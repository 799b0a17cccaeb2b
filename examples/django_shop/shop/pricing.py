"""What a cart costs, and turning it into an order."""

from decimal import Decimal
from typing import NamedTuple

from django.db import transaction

from chrono import tp

from .models import Order


class Quote(NamedTuple):
    subtotal: Decimal
    discount: Decimal
    total: Decimal


def price_cart(cart, now):
    """The cart's subtotal, its discount code's reduction, and the total to charge."""
    subtotal = Decimal("0.00")
    for item in cart.items.select_related("product").order_by("pk"):
        line_total = item.product.price * item.quantity
        tp(item.product.sku, item.quantity, line_total)
        subtotal += line_total
    code = cart.discount_code
    # The code's amount comes off the whole order, once.
    discount = code.discount_on(subtotal, now) if code is not None else Decimal("0.00")
    quote = Quote(subtotal, discount, subtotal - discount)
    return tp(quote)


def place_order(cart, now):
    """The cart's order, placed now at the quoted total; a second checkout returns the first."""
    quote = price_cart(cart, now)
    with transaction.atomic():
        order, created = Order.objects.get_or_create(
            cart=cart,
            defaults={
                "subtotal": quote.subtotal,
                "discount": quote.discount,
                "total": quote.total,
                "placed_at": now,
            },
        )
    tp(order.pk, created)
    return order
