from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from chrono import tp

from .models import Cart, DiscountCode
from .pricing import place_order, price_cart


def _money(amount):
    return f"{amount:.2f}"


@require_GET
def cart_detail(request, cart_id):
    cart = get_object_or_404(Cart, pk=cart_id)
    quote = price_cart(cart, timezone.now())
    return JsonResponse({key: _money(value) for key, value in quote._asdict().items()})


@require_POST
def apply_code(request, cart_id):
    cart = get_object_or_404(Cart, pk=cart_id)
    code = get_object_or_404(DiscountCode, code=tp(request.POST.get("code", "").strip().upper()))
    cart.discount_code = code
    cart.save(update_fields=["discount_code"])
    return JsonResponse({"code": code.code})


@require_POST
def checkout(request, cart_id):
    cart = get_object_or_404(Cart, pk=cart_id)
    order = place_order(cart, timezone.now())
    return JsonResponse(
        {
            "order": order.pk,
            "subtotal": _money(order.subtotal),
            "discount": _money(order.discount),
            "total": _money(order.total),
        }
    )
