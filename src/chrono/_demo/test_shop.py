"""The demo's tests: the passing ones stay quiet; the failing case tells its story, and where it
diverged from the passing case beside it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from chrono._demo.shop import Cart, DiscountCode


def test_total_without_a_code() -> None:
    cart = Cart()
    cart.add("coffee beans", "45.00")
    assert cart.total() == Decimal("45.00")


@pytest.mark.parametrize(
    "code",
    [
        DiscountCode("WELCOME10", percent=10, minimum=Decimal("0")),
        DiscountCode("SAVE10", percent=10, minimum=Decimal("100")),
    ],
    ids=lambda code: code.code,
)
def test_code_applies_to_a_cart_over_the_minimum(code: DiscountCode) -> None:
    cart = Cart()
    cart.add("coffee beans", "45.00")
    cart.add("grinder", "60.00")
    cart.add("filters", "5.00", quantity=3)
    assert cart.total(code) == Decimal("108.00")
