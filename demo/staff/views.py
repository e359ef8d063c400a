from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from demo.staff.forms import HireForm
from demo.staff.models import SHIFT_SIZE, Shift


@require_http_methods(["GET", "POST"])
def shifts(request: HttpRequest) -> HttpResponse:
    """Hire an employee; receivers find them a shift."""
    form = HireForm()
    hired = None
    if request.method == "POST":
        form = HireForm(request.POST)
        if form.is_valid():
            hired = form.save()  # pre_save and post_save of Employee
            form = HireForm()
    return render(
        request,
        "staff/shifts.html",
        {
            "form": form,
            "hired": hired,
            "shifts": Shift.objects.annotate(headcount=Count("staff")).prefetch_related(
                "staff"
            ),
            "shift_size": SHIFT_SIZE,
        },
    )
