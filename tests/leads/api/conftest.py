import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """The cast is made with passwords; a fast hasher keeps API tests quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
