"""Supervision order pages under /civility/orders/."""

from django.urls import path

from ..views import orders as views

urlpatterns = [
    path("orders/", views.OrderListView.as_view(), name="order_list"),
    path("orders/new/", views.OrderCreateView.as_view(), name="order_create"),
    path("orders/<int:pk>/", views.OrderDetailView.as_view(), name="order_detail"),
    path("orders/<int:pk>/print/", views.OrderPrintView.as_view(), name="order_print"),
    path("orders/<int:pk>/reply/", views.OrderReplyView.as_view(), name="order_reply"),
    path("orders/<int:pk>/recheck/", views.OrderRecheckView.as_view(), name="order_recheck"),
]
