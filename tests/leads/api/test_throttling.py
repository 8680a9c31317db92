"""The API is throttled per user (settings REST_FRAMEWORK DEFAULT_THROTTLE_RATES)."""

import pytest
from django.core.cache import cache
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture
def low_rates(settings):
    # smarketing.throttling reads the rates when a throttle is made: lower them here.
    rates = {"user": "3/min", "anon": "2/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    cache.clear()
    yield
    cache.clear()


def test_a_user_over_the_rate_gets_429_with_retry_after(api_as, director, low_rates):
    client = api_as(director)
    url = reverse("api:lead_list")

    codes = [client.get(url).status_code for _ in range(4)]

    assert codes == [200, 200, 200, 429]
    response = client.get(url)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0


def test_rates_are_counted_per_user(api_as, director, marketer, low_rates):
    url = reverse("api:lead_list")
    for _ in range(3):
        api_as(director).get(url)

    assert api_as(director).get(url).status_code == 429
    assert api_as(marketer).get(url).status_code == 200
