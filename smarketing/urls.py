from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from leads.console import views as console_views
from leads.web import views as lead_views
from sla.notify import views as notify_views


def favicon(request):
    """The static SVG (its hashed name in production, hence asked at request time)."""
    return HttpResponsePermanentRedirect(static("favicon/favicon.svg"))


urlpatterns = [
    path("", lead_views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # the language switcher (Django's), keeping a signed-in person's choice for their
    # notification emails
    path("i18n/setlang/", notify_views.set_language, name="set_language"),
    path("i18n/", include("django.conf.urls.i18n")),
    # Browsers ask for /favicon.ico whatever the page links (base.html links the SVG).
    path("favicon.ico", favicon, name="favicon"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("leads.web.api_urls")),
    path("api/v1/", include("sla.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The API's documentation page is for signed-in people (the schema it loads is too).
    path(
        "api/docs/",
        login_required(SpectacularSwaggerView.as_view(url_name="schema")),
        name="swagger-ui",
    ),
    # The invitation's set-password link is public (under accounts/, with the sign-in flow).
    path(
        "accounts/invite/<uidb64>/<token>/",
        console_views.SetPasswordView.as_view(),
        name="console_set_password",
    ),
    path("settings/", include("leads.console.urls")),
    path("sla/", include("sla.urls")),
    path("", include("leads.web.urls")),
]

# Under /api/ Django's own 400 and 404 answer in the API's error shape.
handler400 = "leads.web.api_errors.bad_request"
handler404 = "leads.web.api_errors.not_found"
