"""A small shop: carts, items and discount codes.

The discount rule has a bug, on purpose: run ``python -m chrono demo`` and read the story.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from decimal import Decimal

from chrono import tp

log = logging.getLogger("shop.cart")


@dataclass
class Item:
    name: str
    price: Decimal
    quantity: int = 1


@dataclass
class DiscountCode:
    code: str
    percent: int
    #: The cart must be worth at least this much for the code to apply.
    minimum: Decimal


@dataclass
class Cart:
    items: list[Item] = field(default_factory=list)

    def add(self, name: str, price: str, quantity: int = 1) -> None:
        item = Item(name, Decimal(price), quantity)
        self.items.append(tp(item))

    def total(self, code: DiscountCode | None = None) -> Decimal:
        total = Decimal(0)
        for item in self.items:
            line = item.price * item.quantity
            if code is not None and tp(line >= code.minimum):
                line -= line * code.percent / 100
            total += tp(line)
        if code is not None and total == self._undiscounted():
            log.warning("code %s gave no discount on %s", code.code, total)
        return tp(total)

    def _undiscounted(self) -> Decimal:
        return sum((item.price * item.quantity for item in self.items), Decimal(0))
