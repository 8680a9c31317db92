"""HTML pages for leads. (Placeholder bodies: the UI helper writes them.)"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def home(request):
    return render(request, "home.html")


@login_required
def lead_list(request):
    return render(request, "home.html")


@login_required
def lead_detail(request, pk: int):
    return render(request, "home.html")
