"""Each demo account opens every URL pattern and none of them errors."""

import pytest
from django.utils import timezone

from portal.demo import DEMO_PASSWORD, load_all
from tests.urlwalk import all_patterns, sample_url

# Views that only take POST; a GET must answer 405, never run them.
POST_ONLY = {"logout", "portal:text_size"}


@pytest.fixture
def demo_accounts(db):
    return load_all(today=timezone.localdate())


def test_every_demo_account_opens_every_page_without_an_error(client, demo_accounts):
    assert demo_accounts
    failures = []
    for account in demo_accounts:
        assert client.login(username=account.username, password=DEMO_PASSWORD), account
        for name, pattern in all_patterns():
            response = client.get(sample_url(name, pattern))
            if response.status_code >= 500 or (name in POST_ONLY and response.status_code != 405):
                failures.append((account.username, name, response.status_code))
        client.logout()

    assert failures == []
