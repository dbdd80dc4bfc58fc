"""Login is required everywhere except the named public pages."""

import pytest
from django.conf import settings
from django.urls import reverse

from portal.public import PUBLIC_URL_NAMES
from tests.urlwalk import all_patterns, sample_url

ALL_PATTERNS = all_patterns()


def test_every_public_name_exists():
    names = {name for name, _ in ALL_PATTERNS}
    assert PUBLIC_URL_NAMES <= names, PUBLIC_URL_NAMES - names


@pytest.mark.parametrize(("name", "pattern"), ALL_PATTERNS, ids=[n for n, _ in ALL_PATTERNS])
def test_anonymous_access_matches_the_public_list(client, db, name, pattern):
    response = client.get(sample_url(name, pattern))
    sent_to_login = response.status_code == 302 and (
        response["Location"].startswith(reverse(settings.LOGIN_URL))
        or response["Location"].startswith(reverse("admin:login"))
    )
    if name in PUBLIC_URL_NAMES:
        assert not sent_to_login, f"{name} is public but sends visitors to log in"
        assert response.status_code < 500
    else:
        assert sent_to_login, f"{name} answered {response.status_code} to an anonymous visitor"
