"""Backup and restore: a real round trip into an empty database, and the refusals."""

import io
import json
import sqlite3
import stat
import tarfile
import uuid
from pathlib import Path

import psycopg
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from PIL import Image

from portal.services import attachments
from portal.services.backup import BackupError, backup_create, backup_restore
from portal.services.cases import case_close
from tests.kitapp.services import ticket_open

# pg_dump runs in its own process and sees only committed rows.
pytestmark = pytest.mark.django_db(transaction=True)


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (20, 120, 200)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def cases(world):
    """Three cases in two statuses, one with a photo."""
    staff, community = world.users["own_staff"], world.areas["community_a"]
    made = [ticket_open(actor=staff, community=community, title=f"Lamp {n}").case for n in range(3)]
    case_close(case=made[0], actor=staff, status="solved")
    attachment = attachments.attachment_add(
        case=made[1],
        actor=staff,
        upload=SimpleUploadedFile("photo.png", png(), content_type="image/png"),
    )
    return {
        "cases": made,
        "attachment": attachment,
        "photo": Path(attachment.file.path).read_bytes(),
    }


def _pg_admin():
    params = connection.settings_dict
    return psycopg.connect(
        dbname="postgres",
        user=params["USER"] or None,
        password=params["PASSWORD"] or None,
        host=params["HOST"] or None,
        port=params["PORT"] or None,
        autocommit=True,
    )


@pytest.fixture
def empty_database(tmp_path):
    """Settings for a database with nothing in it, beside the test database."""
    params = dict(connection.settings_dict)
    if connection.vendor == "sqlite":
        yield {**params, "NAME": str(tmp_path / "restored.sqlite3")}
        return
    name = f"{params['NAME']}_restore_{uuid.uuid4().hex[:8]}"
    admin = _pg_admin()
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        yield {**params, "NAME": name}
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def query(database: dict, sql: str) -> list[tuple]:
    """Read the restored database over a connection of its own, not Django's."""
    if database["ENGINE"].endswith("sqlite3"):
        with sqlite3.connect(database["NAME"]) as db:
            return db.execute(sql).fetchall()
    db = psycopg.connect(
        dbname=database["NAME"],
        user=database["USER"] or None,
        password=database["PASSWORD"] or None,
        host=database["HOST"] or None,
        port=database["PORT"] or None,
    )
    try:
        with db.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall()
    finally:
        db.close()


@pytest.fixture
def archive(cases, tmp_path):
    return backup_create(output=tmp_path / "backups").path


def test_a_backup_is_one_archive_readable_by_its_owner_only(archive, cases):
    assert archive.parent.name == "backups"
    assert archive.name.startswith("portal-") and archive.name.endswith(".tar.gz")
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600

    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile("manifest.json"))
    dump = "database.sqlite3" if connection.vendor == "sqlite" else "database.dump"
    assert dump in names
    assert f"media/{cases['attachment'].file.name}" in names
    assert not any(name.startswith("keys/") for name in names)
    assert manifest["database_engine"] == (
        "sqlite" if connection.vendor == "sqlite" else "postgresql"
    )
    assert manifest["cases"] == 3
    assert manifest["cases_by_kind"] == {"kitapp.ticket": 3}
    assert "0001_initial" in manifest["migrations"]["portal"]
    assert manifest["media_included"] is True
    assert manifest["key_included"] is False


def test_restore_into_an_empty_database_finds_the_same_cases_and_files(
    archive, cases, empty_database, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "restored-media"
    expected = sorted((case.reference, case.status) for case in cases["cases"])

    backup_restore(archive=archive, database=empty_database)

    restored = query(empty_database, "SELECT reference, status FROM portal_case ORDER BY reference")
    assert sorted(restored) == expected
    assert {status for _, status in restored} == {"solved", "new"}
    assert query(empty_database, "SELECT original_name FROM portal_attachment") == [("photo.png",)]
    attachment = cases["attachment"]
    copy = tmp_path / "restored-media" / attachment.file.name
    assert copy.read_bytes() == cases["photo"]


def test_restore_refuses_a_database_that_is_not_empty_unless_forced(
    archive, empty_database, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "restored-media"
    backup_restore(archive=archive, database=empty_database)

    with pytest.raises(BackupError, match="not empty"):
        backup_restore(archive=archive, database=empty_database)

    backup_restore(archive=archive, database=empty_database, force=True)
    assert query(empty_database, "SELECT COUNT(*) FROM portal_case") == [(3,)]


def test_the_restore_command_refuses_the_live_database_with_a_clear_message(archive):
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(archive), stdout=io.StringIO())


def _hostile_archive(path, member: tarfile.TarInfo, content=b"x"):
    manifest = json.dumps({"format": 1, "database_engine": "sqlite"}).encode()
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo("manifest.json")
        info.size = len(manifest)
        tar.addfile(info, io.BytesIO(manifest))
        if member.isfile():
            member.size = len(content)
            tar.addfile(member, io.BytesIO(content))
        else:
            tar.addfile(member)
    return path


def _symlink_out():
    link = tarfile.TarInfo("media/passwd")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
    return link


@pytest.mark.parametrize(
    "member",
    [
        lambda: tarfile.TarInfo("../escaped.txt"),
        lambda: tarfile.TarInfo("media/../../escaped.txt"),
        lambda: tarfile.TarInfo("/tmp/escaped.txt"),
        _symlink_out,
    ],
    ids=["dot-dot", "nested-dot-dot", "absolute", "symlink-out"],
)
def test_an_archive_with_a_member_outside_its_folder_is_rejected(db, tmp_path, member):
    hostile = _hostile_archive(tmp_path / "hostile.tar.gz", member())
    target = {**connection.settings_dict, "NAME": str(tmp_path / "target.sqlite3")}

    with pytest.raises(BackupError, match="[Uu]nsafe"):
        backup_restore(archive=hostile, database=target)

    assert not (tmp_path.parent / "escaped.txt").exists()
    assert not (tmp_path / "target.sqlite3").exists()


def test_a_file_that_is_not_a_backup_is_refused(db, tmp_path):
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not a tar file")

    with pytest.raises(BackupError, match="not a readable backup"):
        backup_restore(archive=junk)


def test_the_key_file_goes_in_only_when_asked(cases, settings, tmp_path, monkeypatch):
    key = tmp_path / "secret_key"
    key.write_text(settings.PERSONAL_DATA_KEY + "\n")
    monkeypatch.setenv("SECRET_KEY_FILE", str(key))

    without = backup_create(output=tmp_path / "plain.tar.gz")
    with_keys = backup_create(output=tmp_path / "keys.tar.gz", with_keys=True)

    with tarfile.open(without.path) as tar:
        assert "keys/secret_key" not in tar.getnames()
    assert any("key is NOT in this archive" in note for note in without.notes)
    with tarfile.open(with_keys.path) as tar:
        assert tar.extractfile("keys/secret_key").read() == key.read_bytes()
    assert with_keys.manifest["key_included"] is True


def test_uploads_in_s3_are_left_out_and_the_output_says_so(cases, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {"bucket_name": "portal-test"},
        },
    }
    out = io.StringIO()

    call_command("backup", output=tmp_path, stdout=out)

    assert "NOT in this archive" in out.getvalue()
    (written,) = tmp_path.glob("portal-*.tar.gz")
    with tarfile.open(written) as tar:
        assert not any(name.startswith("media") for name in tar.getnames())


@pytest.mark.postgres
def test_postgresql_is_dumped_with_pg_dump_and_restored_with_pg_restore(
    archive, empty_database, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "restored-media"
    with tarfile.open(archive) as tar:
        assert tar.extractfile("database.dump").read(5) == b"PGDMP"

    backup_restore(archive=archive, database=empty_database)

    assert query(empty_database, "SELECT COUNT(*) FROM portal_case") == [(3,)]
    assert query(empty_database, "SELECT COUNT(*) FROM kitapp_ticket") == [(3,)]


def test_the_archived_key_is_restored_only_where_it_replaces_nothing(
    cases, empty_database, settings, tmp_path, monkeypatch
):
    settings.MEDIA_ROOT = tmp_path / "restored-media"
    key = tmp_path / "secret_key"
    key.write_text(settings.PERSONAL_DATA_KEY)
    monkeypatch.setenv("SECRET_KEY_FILE", str(key))
    archive = backup_create(output=tmp_path / "keys.tar.gz", with_keys=True).path
    key.write_text("a different key")

    with pytest.raises(BackupError, match="different key"):
        backup_restore(archive=archive, database=empty_database, with_keys=True)

    key.unlink()
    backup_restore(archive=archive, database=empty_database, with_keys=True)
    assert key.read_text() == settings.PERSONAL_DATA_KEY
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
