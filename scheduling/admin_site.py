"""The Django admin for superusers only: clinic admins manage their clinic on the clinic page
(/clinic/), and `is_staff` alone opens nothing here."""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig


class SuperuserAdminSite(admin.AdminSite):
    site_header = "Endoplan site administration (superusers)"

    def has_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser


class SuperuserAdminConfig(AdminConfig):
    default_site = "scheduling.admin_site.SuperuserAdminSite"
