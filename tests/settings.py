"""The portal's settings plus a small case app that exercises the case kit in tests."""

from portal.settings import *  # noqa: F403
from portal.settings import INSTALLED_APPS, STORAGES

INSTALLED_APPS = [*INSTALLED_APPS, "tests.kitapp"]

# Tests render templates without running collectstatic first.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
# The suite logs in with force_login; tests of the second factor switch it on.
TWO_FACTOR_REQUIRED = False
# Tests change data between requests; the cache's own test switches it on.
DASHBOARD_CACHE_SECONDS = 0
# Hashing strength is not under test; speed is welcome.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# The embedded filesystem broker gets a folder of its own per test process, so tests
# never share a queue with a running `make run` worker.
if CELERY_BROKER_URL.startswith("filesystem://"):  # noqa: F405
    import tempfile
    from pathlib import Path

    _broker_dir = Path(tempfile.mkdtemp(prefix="portal-test-broker-"))
    (_broker_dir / "queue").mkdir()
    (_broker_dir / "processed").mkdir()
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
