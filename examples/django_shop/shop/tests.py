from datetime import timedelta
from decimal import Decimal

from django.test import TestCase
from django.utils import timezone

from .models import Cart, CartItem, DiscountCode, Order, Product
from .pricing import price_cart


class ShopData:
    @classmethod
    def setUpTestData(cls):
        cls.mug = Product.objects.create(sku="MUG", name="Mug", price=Decimal("8.00"))
        cls.tea = Product.objects.create(sku="TEA", name="Loose tea", price=Decimal("12.50"))
        cls.spoon = Product.objects.create(sku="SPOON", name="Spoon", price=Decimal("3.00"))
        cls.five_off = DiscountCode.objects.create(
            code="FIVEOFF", amount_off=Decimal("5.00"), minimum_order=Decimal("10.00")
        )

    def cart_with(self, *lines, code=None):
        cart = Cart.objects.create(discount_code=code)
        for product, quantity in lines:
            CartItem.objects.create(cart=cart, product=product, quantity=quantity)
        return cart


class PriceCartTests(ShopData, TestCase):
    def test_five_off_is_taken_once_per_order(self):
        cart = self.cart_with((self.mug, 2), (self.tea, 1), (self.spoon, 4), code=self.five_off)

        quote = price_cart(cart, timezone.now())

        self.assertEqual(quote.subtotal, Decimal("40.50"))
        self.assertEqual(quote.total, Decimal("35.50"))

    def test_code_needs_its_minimum_order(self):
        cart = self.cart_with((self.spoon, 2), code=self.five_off)

        self.assertEqual(price_cart(cart, timezone.now()).total, Decimal("6.00"))

    def test_expired_code_takes_nothing_off(self):
        now = timezone.now()
        expired = DiscountCode.objects.create(
            code="SPRING", amount_off=Decimal("5.00"), expires_at=now - timedelta(seconds=1)
        )
        cart = self.cart_with((self.tea, 2), code=expired)

        self.assertEqual(price_cart(cart, now).total, Decimal("25.00"))


class CheckoutTests(ShopData, TestCase):
    def test_checkout_charges_the_discounted_total(self):
        cart = self.cart_with((self.mug, 2), (self.tea, 1), (self.spoon, 4))

        applied = self.client.post(f"/carts/{cart.pk}/code/", {"code": "fiveoff"})
        checkout = self.client.post(f"/carts/{cart.pk}/checkout/")

        self.assertEqual(applied.json(), {"code": "FIVEOFF"})
        self.assertEqual(checkout.json()["total"], "35.50")

    def test_unknown_code_is_not_found(self):
        cart = self.cart_with((self.mug, 1))

        response = self.client.post(f"/carts/{cart.pk}/code/", {"code": "NOPE"})

        self.assertEqual(response.status_code, 404)

    def test_second_checkout_returns_the_first_order(self):
        cart = self.cart_with((self.mug, 1))

        first = self.client.post(f"/carts/{cart.pk}/checkout/").json()
        second = self.client.post(f"/carts/{cart.pk}/checkout/").json()

        self.assertEqual(first, second)
        self.assertEqual(Order.objects.count(), 1)
