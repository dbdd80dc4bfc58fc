"""Every form answers empty and malformed input with a form error, never a 500."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

# (url name, needs login, empty data, malformed data)
FORMS = [
    ("login", False, {}, {"username": "x" * 500, "password": "\x00"}),
    ("password_reset", False, {}, {"email": "not-an-address"}),
    (
        "password_change",
        True,
        {},
        {"old_password": "wrong", "new_password1": "a", "new_password2": "b"},
    ),
]


@pytest.mark.parametrize(
    ("name", "needs_login", "empty", "malformed"), FORMS, ids=[f[0] for f in FORMS]
)
def test_empty_and_malformed_input_is_a_form_error(
    client, demo_admin, name, needs_login, empty, malformed
):
    if needs_login:
        client.force_login(demo_admin)
    for data in (empty, malformed):
        response = client.post(reverse(name), data)

        assert response.status_code == 200, (name, data)
        assert response.context["form"].errors, (name, data)


def test_malformed_values_are_kept_on_the_form(client, demo_admin):
    response = client.post(reverse("password_reset"), {"email": "not-an-address"})

    assert 'value="not-an-address"' in response.content.decode()


@pytest.mark.parametrize(
    ("name", "data"),
    [("set_language", {"language": "xx-nope"}), ("portal:text_size", {"size": "<huge>"})],
)
def test_switches_ignore_nonsense_values(client, name, data):
    response = client.post(reverse(name), data)

    assert response.status_code == 302
