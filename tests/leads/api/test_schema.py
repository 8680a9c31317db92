"""The OpenAPI schema and the Swagger UI, served without any CDN."""

import re

import pytest
from django.core.management import call_command


def test_the_schema_generates_without_warnings(capsys):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")


@pytest.mark.django_db
def test_schema_and_docs_answer_and_the_docs_use_no_external_host(client, marketer):
    client.force_login(marketer)
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/leads/bulk/" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "swagger-ui" in html
    hosts = re.findall(r"""(?:src|href)=["'](?:https?:)?//([^/"']+)""", html)
    assert hosts == []
    assert "cdn" not in html.lower()
