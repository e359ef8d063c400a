"""Views of the shop app.

Forms that change data answer their POST with the page itself rather than a
redirect, so that the toolbar on the page shows the signals of the change.
"""

from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_http_methods

from demo.shop import audit
from demo.shop.forms import CustomerForm, OrderForm
from demo.shop.models import AuditEntry, Customer, Order, Product


@require_http_methods(["GET", "POST"])
def orders(request: HttpRequest) -> HttpResponse:
    order_form = OrderForm()
    customer_form = CustomerForm()
    notice = ""
    action = request.POST.get("action") if request.method == "POST" else None
    if action == "place":
        order_form = OrderForm(request.POST)
        if order_form.is_valid():
            order = order_form.save()
            notice = f"Placed order #{order.pk}: total {order.total}."
            order_form = OrderForm()
    elif action == "ship":
        order = get_object_or_404(Order, pk=request.POST.get("order_id"))
        order.status = Order.Status.SHIPPED
        order.save()
        notice = f"Order #{order.pk} shipped."
    elif action == "delete_order":
        order = get_object_or_404(Order, pk=request.POST.get("order_id"))
        order.delete()
        notice = "Order deleted."
    elif action == "add_customer":
        customer_form = CustomerForm(request.POST)
        if customer_form.is_valid():
            customer = customer_form.save()
            notice = f"Added customer {customer.name}."
            customer_form = CustomerForm()
    elif action == "delete_customer":
        customer = get_object_or_404(Customer, pk=request.POST.get("customer_id"))
        _, deleted = customer.delete()
        count = deleted.get(Order._meta.label, 0)
        notice = f"Deleted {customer.name} and {count} order(s) with them."
    elif action == "audit":
        if request.POST.get("enabled") == "on":
            audit.enable()
            notice = "Audit mode on: record_audit_entry is connected."
        else:
            audit.disable()
            notice = "Audit mode off: record_audit_entry is disconnected."
    customers = Customer.objects.prefetch_related(
        Prefetch("orders", queryset=Order.objects.order_by("created_at"))
    )
    return render(
        request,
        "shop/orders.html",
        {
            "order_form": order_form,
            "customer_form": customer_form,
            "notice": notice,
            "customers": customers,
            "audit_enabled": audit.is_enabled(),
            "audit_entries": AuditEntry.objects.all()[:10],
        },
    )


@require_GET
def catalog(request: HttpRequest) -> HttpResponse:
    """Every product: 5,000 rows, so 5,000 ``post_init`` dispatches."""
    return render(request, "shop/catalog.html", {"products": Product.objects.all()})
