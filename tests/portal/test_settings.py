"""Settings come from the environment and refuse to start insecurely."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection

from tests.conftest import IN_CI

PRODUCTION_LIKE = {
    "SECRET_KEY": "x" * 60 + "-production-like-not-a-real-key",
    "ALLOWED_HOSTS": "portal.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://portal.example.org",
    "HTTPS": "true",
    "DEBUG": "false",
}


def run_manage(*args, env, tmp_path):
    # Only what a real deployment would have: no key unless given, no test-only switches.
    dropped = {"SECRET_KEY", "SECRET_KEY_FILE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {k: v for k, v in os.environ.items() if k not in dropped}
    clean.update(PORTAL_VAR_DIR=str(tmp_path), **env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_missing_secret_key_is_an_error(tmp_path):
    result = run_manage("check", env={}, tmp_path=tmp_path)

    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_check_deploy_is_clean_with_production_like_variables(tmp_path):
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_LIKE, tmp_path=tmp_path
    )

    assert result.returncode == 0, result.stderr + result.stdout


def test_time_and_language_defaults():
    assert settings.TIME_ZONE == "Asia/Shanghai" and settings.USE_TZ
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert [code for code, _ in settings.LANGUAGES] == ["zh-hans", "en"]


@pytest.mark.django_db
def test_sqlite_runs_in_wal_mode_with_a_busy_timeout():
    if connection.vendor != "sqlite":
        pytest.skip("the embedded database is SQLite")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] == 5000
    assert settings.DATABASES["default"]["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


@pytest.mark.django_db
def test_ci_runs_on_postgresql_and_redis():
    """CI must exercise the production services, not the embedded defaults."""
    if not IN_CI:
        pytest.skip("only CI promises PostgreSQL and Redis")
    from django.core.cache import cache

    from portal.celery import app

    assert connection.vendor == "postgresql"
    assert app.conf.broker_url.startswith("redis://")
    cache.set("ci-probe", "yes", 30)
    assert cache.get("ci-probe") == "yes"
    assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache")


def database_options(tmp_path, **env) -> dict:
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps(settings.DATABASES['default'].get('OPTIONS', {})))"
    )
    clean = {k: v for k, v in os.environ.items() if k != "DATABASE_PREPARED_STATEMENTS"}
    clean.update(
        PORTAL_VAR_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="portal.settings",
        DATABASE_URL="postgres://portal@db.example.org:5432/portal",
        SECRET_KEY=PRODUCTION_LIKE["SECRET_KEY"],
        **env,
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_postgresql_uses_prepared_statements_unless_turned_off(tmp_path):
    prepared = database_options(tmp_path)
    pooled = database_options(tmp_path, DATABASE_PREPARED_STATEMENTS="false")

    assert prepared["server_side_binding"] is True and prepared["prepare_threshold"] == 2
    assert "prepare_threshold" not in pooled and "server_side_binding" not in pooled


@pytest.mark.django_db
def test_a_repeated_query_is_prepared_on_postgresql(django_user_model):
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    for _ in range(3):
        list(django_user_model.objects.filter(username="prepared-probe"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        statements = [row[0] for row in cursor.fetchall()]

    assert any("prepared-probe" not in s and '"username" = $1' in s for s in statements)
