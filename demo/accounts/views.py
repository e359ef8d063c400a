"""Views of the accounts app.

Forms that change data answer their POST with the page itself rather than a
redirect, so that the toolbar on the page shows the signals of the change.
"""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core import mail
from django.core.cache import cache
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from demo.accounts.forms import AlertForm, ForgotPasswordForm, NewMemberForm
from demo.accounts.models import PasswordResetRequest
from demo.accounts.receivers import MEMBER_DIRECTORY_FRAGMENT, failed_logins_key
from demo.accounts.signals import login_succeeded

User = get_user_model()


@require_http_methods(["GET", "POST"])
def profiles(request: HttpRequest) -> HttpResponse:
    """Create and delete members; their profiles follow through receivers."""
    form = NewMemberForm()
    notice = ""
    if request.method == "POST" and request.POST.get("action") == "delete":
        member = get_object_or_404(User, pk=request.POST.get("user_id"))
        if member.is_superuser:
            notice = f"{member.get_username()} is an administrator: not deleted."
        else:
            member.delete()  # Cascades to the profile: post_delete of Profile.
            notice = f"Deleted {member.get_username()} and their profile."
    elif request.method == "POST":
        form = NewMemberForm(request.POST)
        if form.is_valid():
            member = form.save(commit=False)
            member.set_unusable_password()
            member.save()  # post_save of User creates the profile.
            notice = f"Created {member.get_username()}; a receiver made the profile."
            form = NewMemberForm()
    members = User.objects.select_related("profile").order_by("username")
    return render(
        request,
        "accounts/profiles.html",
        {
            "form": form,
            "notice": notice,
            "members": members,
            "directory_fragment": MEMBER_DIRECTORY_FRAGMENT,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def alerts(request: HttpRequest) -> HttpResponse:
    """The signed-in user's alerts, and a form to add one."""
    form = AlertForm()
    created = None
    if request.method == "POST":
        form = AlertForm(request.POST)
        if form.is_valid():
            created = form.save(commit=False)
            created.user = request.user
            created.save()
            form = AlertForm()
    return render(
        request,
        "accounts/alerts.html",
        {"form": form, "created": created, "alerts": request.user.alerts.all()[:20]},
    )


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    """Log in with Django's AuthenticationForm, then send ``login_succeeded``.

    ``authenticate()`` sends ``user_login_failed`` for a wrong password and
    ``login()`` sends ``user_logged_in``.
    """
    form = AuthenticationForm(request, data=request.POST or None)
    failed_attempts = None
    next_url = request.POST.get("next", request.GET.get("next", ""))
    if request.method == "POST":
        if form.is_valid():
            user = form.get_user()
            login(request, user)
            login_succeeded.send(sender=type(user), user=user, at=timezone.now())
            if next_url and url_has_allowed_host_and_scheme(
                next_url, allowed_hosts={request.get_host()}
            ):
                return HttpResponseRedirect(next_url)
        else:
            username = request.POST.get("username", "")
            failed_attempts = cache.get(failed_logins_key(username), 0)
    return render(
        request,
        "accounts/login.html",
        {
            "form": form,
            "next": next_url,
            "failed_attempts": failed_attempts,
            "demo_username": settings.DEMO_USERNAME,
            "demo_password": settings.DEMO_PASSWORD,
        },
    )


@require_http_methods(["GET", "POST"])
def forgot_password(request: HttpRequest) -> HttpResponse:
    """Save a reset request; a ``post_save`` receiver emails the code."""
    form = ForgotPasswordForm(request.POST or None)
    sent = False
    if request.method == "POST" and form.is_valid():
        login_name = form.cleaned_data["login"]
        user = (
            User.objects.filter(Q(username=login_name) | Q(email__iexact=login_name))
            .exclude(email="")
            .first()
        )
        if user is not None:
            PasswordResetRequest.objects.create(
                user=user, code=f"{secrets.randbelow(10**6):06d}"
            )
        # The same answer either way: don't tell who has an account.
        sent = True
        form = ForgotPasswordForm()
    # The locmem email backend keeps sent messages in memory, in this process.
    inbox = list(reversed(getattr(mail, "outbox", [])[-3:]))
    return render(
        request,
        "accounts/forgot_password.html",
        {"form": form, "sent": sent, "inbox": inbox},
    )
