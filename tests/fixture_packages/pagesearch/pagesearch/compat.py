"""Django's tasks framework: ``django.tasks`` on Django 6.0+, the ``django-tasks``
backport (import name ``django_tasks``) before."""

import django

if django.VERSION >= (6, 0):
    from django.tasks import task, task_backends
    from django.tasks.signals import task_enqueued, task_finished, task_started

    IMMEDIATE_BACKEND = "django.tasks.backends.immediate.ImmediateBackend"
else:
    from django_tasks import task, task_backends
    from django_tasks.signals import task_enqueued, task_finished, task_started

    IMMEDIATE_BACKEND = "django_tasks.backends.immediate.ImmediateBackend"

__all__ = [
    "IMMEDIATE_BACKEND",
    "task",
    "task_backends",
    "task_enqueued",
    "task_finished",
    "task_started",
]
