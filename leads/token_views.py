"""Admins create and revoke integration API tokens. (Placeholder: the UI helper writes it.)"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def integration_tokens(request):
    return render(request, "home.html")
