"""Pages of sla.policies (mounted under /sla/ by sla/urls.py)."""

from django.urls import path

from sla.policies import views

urlpatterns = [
    path("terms/", views.terms_list, name="terms"),
    path("terms/new/", views.terms_new, name="terms_new"),
    path("terms/<int:pk>/", views.terms_detail, name="terms_detail"),
    path("terms/<int:pk>/publish/", views.terms_publish, name="terms_publish"),
]
