"""Pages of sla.compliance (mounted under /sla/ by sla/urls.py)."""

from django.urls import path

from sla.compliance import views

urlpatterns = [
    path("compliance/", views.compliance, name="compliance"),
    path("compliance/<str:month>/generate/", views.compliance_generate, name="compliance_generate"),
    path("compliance/<str:month>/report.pdf", views.compliance_pdf, name="compliance_pdf"),
    path("compliance/<str:month>/report.zip", views.compliance_zip, name="compliance_zip"),
    path("compliance/<str:month>/<str:term>/", views.compliance_term, name="compliance_term"),
]
