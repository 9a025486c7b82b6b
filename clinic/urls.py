from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from scheduling.forms.account import StaffLoginForm

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(authentication_form=StaffLoginForm),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/", include("scheduling.urls_account")),
    path("admin/", admin.site.urls),
    path("", include("scheduling.urls")),
]
