from django.contrib import admin

from demo.staff.models import Assignment, Employee, Shift


class AssignmentInline(admin.TabularInline):
    model = Assignment
    extra = 0


@admin.register(Employee)
class EmployeeAdmin(admin.ModelAdmin):
    list_display = ["name", "role", "hired_at"]


@admin.register(Shift)
class ShiftAdmin(admin.ModelAdmin):
    list_display = ["date"]
    inlines = [AssignmentInline]
