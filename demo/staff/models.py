from django.db import models

SHIFT_SIZE = 3  # people per shift


class Employee(models.Model):
    """Hiring one (saving a new Employee) puts them on a shift, by receiver."""

    name = models.CharField(max_length=100)
    role = models.CharField(max_length=100, default="Barista")
    hired_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Shift(models.Model):
    """One day's shift and the people on it."""

    date = models.DateField(unique=True)
    staff = models.ManyToManyField(
        Employee, through="Assignment", related_name="shifts"
    )

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return f"Shift of {self.date:%Y-%m-%d}"


class Assignment(models.Model):
    """The explicit through model of ``Shift.staff``."""

    shift = models.ForeignKey(Shift, on_delete=models.CASCADE)
    employee = models.ForeignKey(Employee, on_delete=models.CASCADE)
    assigned_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["shift", "employee"], name="one_assignment_per_shift"
            )
        ]

    def __str__(self) -> str:
        return f"{self.employee_id} on {self.shift_id}"
