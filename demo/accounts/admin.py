from django.contrib import admin

from demo.accounts.models import Alert, PasswordResetRequest, Profile


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["display_name", "user", "login_count", "last_login_succeeded_at"]


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ["message", "level", "user", "created_at"]
    list_filter = ["level"]


@admin.register(PasswordResetRequest)
class PasswordResetRequestAdmin(admin.ModelAdmin):
    list_display = ["user", "created_at"]
    exclude = ["code"]
