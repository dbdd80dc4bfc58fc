"""The Chinese catalogue is complete: nothing missing, nothing fuzzy."""

import shutil
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command

from tests.conftest import IN_CI

ROOT = Path(settings.BASE_DIR)
CATALOGUE = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
SOURCES = [
    "portal",
    "housing",
    "disputes",
    "elevators",
    "eldercare",
    "stations",
    "civility",
    "templates",
]


def incomplete(po: polib.POFile) -> list[str]:
    return [e.msgid for e in po if not e.obsolete and (not e.translated() or e.fuzzy)]


def test_every_message_in_the_catalogue_is_translated():
    po = polib.pofile(str(CATALOGUE))

    assert len(po) > 0
    assert incomplete(po) == []


def test_the_catalogue_has_every_message_the_code_uses(tmp_path, monkeypatch):
    """Extract the messages afresh (needs GNU gettext's xgettext) and compare."""
    if not shutil.which("xgettext"):
        if IN_CI:
            pytest.fail("xgettext (GNU gettext) is needed in CI to check the catalogue")
        pytest.skip("GNU gettext is not installed")
    for name in SOURCES:
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "locale", tmp_path / "locale", ignore=shutil.ignore_patterns("*.mo"))
    monkeypatch.chdir(tmp_path)

    call_command("makemessages", locale=["zh_Hans"], no_obsolete=True, verbosity=0)

    fresh = polib.pofile(str(tmp_path / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    assert incomplete(fresh) == [], "run `manage.py makemessages -l zh_Hans` and translate"
