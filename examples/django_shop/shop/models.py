from decimal import Decimal

from django.db import models

from chrono import tp


class Product(models.Model):
    sku = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=100)
    price = models.DecimalField(max_digits=8, decimal_places=2)

    def __str__(self):
        return self.sku


class DiscountCode(models.Model):
    """A fixed amount off a whole order, for orders of at least ``minimum_order``."""

    code = models.CharField(max_length=32, unique=True)
    amount_off = models.DecimalField(max_digits=8, decimal_places=2)
    minimum_order = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal("0.00"))
    expires_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return self.code

    def discount_on(self, amount, now):
        """How much this code takes off an order of ``amount`` placed at ``now``."""
        unexpired = self.expires_at is None or now < self.expires_at
        applies = amount >= self.minimum_order and unexpired
        tp(self.code, amount, applies)
        return min(self.amount_off, amount) if applies else Decimal("0.00")


class Cart(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    discount_code = models.ForeignKey(
        DiscountCode, null=True, blank=True, on_delete=models.SET_NULL
    )


class CartItem(models.Model):
    cart = models.ForeignKey(Cart, related_name="items", on_delete=models.CASCADE)
    product = models.ForeignKey(Product, on_delete=models.PROTECT)
    quantity = models.PositiveIntegerField(default=1)


class Order(models.Model):
    cart = models.OneToOneField(Cart, on_delete=models.PROTECT)
    subtotal = models.DecimalField(max_digits=10, decimal_places=2)
    discount = models.DecimalField(max_digits=10, decimal_places=2)
    total = models.DecimalField(max_digits=10, decimal_places=2)
    placed_at = models.DateTimeField()
