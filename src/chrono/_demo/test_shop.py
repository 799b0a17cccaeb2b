"""The demo's tests: one passes quietly, one fails and tells its story."""

from __future__ import annotations

from decimal import Decimal

from chrono._demo.shop import Cart, DiscountCode


def test_total_without_a_code() -> None:
    cart = Cart()
    cart.add("coffee beans", "45.00")
    assert cart.total() == Decimal("45.00")


def test_code_applies_to_a_cart_over_the_minimum() -> None:
    cart = Cart()
    cart.add("coffee beans", "45.00")
    cart.add("grinder", "60.00")
    cart.add("filters", "5.00", quantity=3)
    save10 = DiscountCode("SAVE10", percent=10, minimum=Decimal("100"))
    assert cart.total(save10) == Decimal("108.00")
