import pytest

from leads.people.names import person_name
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_chinese_name_is_family_name_first_without_a_space():
    assert person_name(UserFactory.build(first_name="晓梅", last_name="林")) == "林晓梅"


def test_a_western_name_is_first_then_last():
    assert person_name(UserFactory.build(first_name="Emma", last_name="Clarke")) == "Emma Clarke"


def test_no_name_falls_back_to_the_username():
    assert person_name(UserFactory.build(username="hubspot-sync", first_name="", last_name="")) == (
        "hubspot-sync"
    )


def test_pages_show_the_chinese_order(client, marketer):
    marketer.first_name, marketer.last_name = "晓梅", "林"
    marketer.save()
    client.force_login(marketer)

    page = client.get("/").content.decode()

    assert "林晓梅" in page
    assert "晓梅 林" not in page
