import pytest
from django.urls import reverse
from django.utils import translation

from leads.tasks import heartbeat


@pytest.mark.django_db
def test_login_page_renders_in_both_languages(client):
    english = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    with translation.override("zh-hans"):
        log_in_zh = translation.gettext("Log in")
    chinese = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").content.decode()

    assert "Log in" in english
    assert log_in_zh != "Log in"
    assert log_in_zh in chinese
    assert '<html lang="zh-hans">' in chinese


@pytest.mark.django_db
def test_home_requires_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.django_db
def test_roles_exist_as_groups():
    from django.contrib.auth.models import Group

    assert set(Group.objects.values_list("name", flat=True)) >= {
        "marketing",
        "sdr",
        "ae",
        "sales_manager",
        "director",
        "admin",
        "integration",
    }


@pytest.mark.celery_worker
def test_a_real_worker_runs_a_task(celery_worker_process):
    result = heartbeat.apply_async()
    assert celery_worker_process.wait_for_log(f"Task leads.tasks.heartbeat[{result.id}] succeeded")
