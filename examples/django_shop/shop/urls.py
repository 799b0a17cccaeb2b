from django.urls import path

from . import views

urlpatterns = [
    path("carts/<int:cart_id>/", views.cart_detail, name="cart-detail"),
    path("carts/<int:cart_id>/code/", views.apply_code, name="apply-code"),
    path("carts/<int:cart_id>/checkout/", views.checkout, name="checkout"),
]
