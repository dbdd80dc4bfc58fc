"""Shared test set-up: real database, real HTTP through the test client."""

import io
import os
import uuid

import pytest

pytest_plugins = ["tests.scope"]

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def pytest_configure(config):
    from django.conf import settings

    # Throttle counters live in the cache: a prefix per run keeps runs (and xdist
    # workers sharing one Redis) from counting each other's requests.
    settings.CACHES["default"]["KEY_PREFIX"] = f"test-{uuid.uuid4().hex[:12]}"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.get_closest_marker("postgres"):
            item.fixturenames.insert(0, "_needs_postgres")


@pytest.fixture
def _needs_postgres(django_db_blocker):
    """Skip on SQLite for local runs; under CI a missing PostgreSQL is a failure."""
    from django.db import connection

    if connection.vendor != "postgresql":
        message = f"needs PostgreSQL, the database is {connection.vendor}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def demo_data(db):
    """Everything `load_demo` builds, loaded through the registered loaders."""
    from django.core.management import call_command

    out = io.StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


@pytest.fixture
def demo_admin(demo_data):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="admin")


@pytest.fixture
def celery_worker_for_tests(transactional_db):
    """A real Celery worker thread on the configured broker, consuming a queue of its own.

    Yields the queue name; send tasks there with `apply_async(queue=...)`.
    """
    from celery.contrib.testing.worker import start_worker

    from portal.celery import app

    queue = f"test-{uuid.uuid4().hex[:10]}"
    with start_worker(
        app, pool="solo", queues=[queue], perform_ping_check=False, shutdown_timeout=10
    ):
        yield queue


@pytest.fixture(autouse=True)
def _media_in_a_temporary_folder(settings, tmp_path_factory):
    """Uploads and generated files (demo photos, exports) go to a temporary folder,
    never into the working tree's var/media."""
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")


@pytest.fixture
def no_lazy_fields(monkeypatch):
    """Fail on any field a page reads that its queries deferred (`related_only`, `only`,
    `defer`): Django would load it with one query per row, silently."""
    from django.db.models import Model

    loads = []
    refresh = Model.refresh_from_db

    def refresh_from_db(self, using=None, fields=None, from_queryset=None):
        if fields:
            loads.append(f"{type(self).__name__}.{','.join(fields)}")
        return refresh(self, using=using, fields=fields, from_queryset=from_queryset)

    monkeypatch.setattr(Model, "refresh_from_db", refresh_from_db)
    yield loads
    assert loads == [], f"deferred fields read lazily: {loads}"
