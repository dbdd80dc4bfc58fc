import pytest


@pytest.fixture(autouse=True)
def categories(request):
    """The seeded categories, also after a transactional test flushed the database."""
    if (
        "db" in request.fixturenames
        or "transactional_db" in request.fixturenames
        or any(m.name == "django_db" for m in request.node.iter_markers())
    ):
        from disputes.categories import seed

        request.getfixturevalue("db")
        seed()
