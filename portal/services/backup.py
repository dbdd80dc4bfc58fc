"""Backups: one archive with the database, the uploaded files and a manifest.

PostgreSQL is dumped with pg_dump's custom format and loaded with pg_restore; SQLite is
copied with its online backup API, so a running portal gives a consistent copy. The
archive holds residents' personal data, so it is written readable by its owner only.
The key that encrypts ID numbers is left out unless asked for: a backup that travels
with its key protects nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import django
import psycopg
from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.db import connections
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import Count
from django.utils import timezone
from psycopg import sql as pg_sql

from ..models import Case

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
PG_DUMP = "database.dump"
SQLITE_COPY = "database.sqlite3"
MEDIA = "media"
KEY_MEMBER = "keys/secret_key"
# pg_dump or pg_restore that hangs on a locked table should not hang a cron job forever.
TOOL_TIMEOUT_SECONDS = 6 * 60 * 60

Report = Callable[[str], None]


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says what to do."""


@dataclass
class BackupResult:
    path: Path
    manifest: dict
    notes: list[str] = field(default_factory=list)


@dataclass
class RestoreResult:
    manifest: dict
    notes: list[str] = field(default_factory=list)


def _ignore(message: str) -> None:
    pass


def _engine(database: dict) -> str:
    engine = database["ENGINE"]
    if engine.endswith("sqlite3"):
        return "sqlite"
    if "postgresql" in engine:
        return "postgresql"
    raise BackupError(f"Backups support PostgreSQL and SQLite, not {engine}.")


def _media_root() -> Path | None:
    """The uploads folder, or None when uploads live in an object store."""
    if isinstance(storages["default"], FileSystemStorage):
        return Path(settings.MEDIA_ROOT)
    return None


def key_file() -> Path | None:
    """The file PERSONAL_DATA_KEY was read from, or None when it comes from the environment."""
    path = Path(os.environ.get("SECRET_KEY_FILE") or Path(settings.VAR_DIR) / "secret_key")
    try:
        if path.is_file() and path.read_text().strip() == settings.PERSONAL_DATA_KEY:
            return path
    except OSError:
        pass
    return None


def key_fingerprint(key: str | None = None) -> str:
    """Tells whether two machines share the ID-number key without revealing it."""
    key = settings.PERSONAL_DATA_KEY if key is None else key
    return hmac.new(key.encode(), b"portal:backup:key-check:v1", hashlib.sha256).hexdigest()[:16]


def _pg_environment(database: dict) -> dict[str, str]:
    """Connection settings for pg_dump/pg_restore; the password never goes on the command line."""
    env = {**os.environ}
    for variable, value in (
        ("PGHOST", database.get("HOST")),
        ("PGPORT", database.get("PORT")),
        ("PGUSER", database.get("USER")),
        ("PGPASSWORD", database.get("PASSWORD")),
        ("PGSSLMODE", (database.get("OPTIONS") or {}).get("sslmode")),
    ):
        if value:
            env[variable] = str(value)
    return env


def _run_tool(name: str, arguments: list[str], database: dict) -> None:
    program = shutil.which(name)
    if program is None:
        raise BackupError(
            f"{name} was not found. Install the PostgreSQL client tools "
            "(postgresql-client, the server's major version or newer)."
        )
    try:
        finished = subprocess.run(  # noqa: S603 - a program from PATH, arguments built here
            [program, "--no-password", *arguments],
            env=_pg_environment(database),
            capture_output=True,
            text=True,
            timeout=TOOL_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise BackupError(f"{name} did not finish within {TOOL_TIMEOUT_SECONDS} seconds.") from None
    if finished.returncode != 0:
        raise BackupError(f"{name} failed: {finished.stderr.strip() or finished.returncode}")


def _pg_connect(database: dict):
    return psycopg.connect(
        dbname=database["NAME"],
        user=database.get("USER") or None,
        password=database.get("PASSWORD") or None,
        host=database.get("HOST") or None,
        port=database.get("PORT") or None,
        sslmode=(database.get("OPTIONS") or {}).get("sslmode"),
    )


def _sqlite_connect(name) -> sqlite3.Connection:
    # Django opens SQLite names as URIs too (the test database is "file:...?mode=memory").
    return sqlite3.connect(str(name), uri=True)


def _tables(database: dict) -> list[str]:
    if _engine(database) == "sqlite":
        with _sqlite_connect(database["NAME"]) as db:
            rows = db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            ).fetchall()
        return [name for (name,) in rows]
    db = _pg_connect(database)
    try:
        with db.cursor() as cursor:
            cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            return [name for (name,) in cursor.fetchall()]
    finally:
        db.close()


def _applied_migrations(database: dict) -> int:
    query = "SELECT COUNT(*) FROM django_migrations"
    if _engine(database) == "sqlite":
        with _sqlite_connect(database["NAME"]) as db:
            return db.execute(query).fetchone()[0]
    db = _pg_connect(database)
    try:
        with db.cursor() as cursor:
            cursor.execute(query)
            return cursor.fetchone()[0]
    finally:
        db.close()


def database_is_empty(database: dict) -> bool:
    """No tables at all, or tables but no migration ever applied."""
    tables = _tables(database)
    if not tables:
        return True
    return "django_migrations" in tables and _applied_migrations(database) == 0


# --- Backup ----------------------------------------------------------------


def _manifest(alias: str, *, media_included: bool, key_included: bool) -> dict:
    connection = connections[alias]
    applied: dict[str, list[str]] = {}
    for app, name in sorted(MigrationRecorder(connection).applied_migrations()):
        applied.setdefault(app, []).append(name)
    cases = Case.objects.using(alias)
    return {
        "format": FORMAT_VERSION,
        "created_at": timezone.localtime().isoformat(timespec="seconds"),
        "database_engine": _engine(connection.settings_dict),
        "database_name": Path(str(connection.settings_dict["NAME"])).name,
        "django_version": django.get_version(),
        "python_version": platform.python_version(),
        "migrations": applied,
        "cases": cases.count(),
        "cases_by_kind": dict(cases.values_list("kind").annotate(n=Count("pk")).order_by("kind")),
        "media_included": media_included,
        "key_included": key_included,
        "key_fingerprint": key_fingerprint(),
    }


def _dump_database(alias: str, target: Path) -> None:
    connection = connections[alias]
    if _engine(connection.settings_dict) == "sqlite":
        # The backup API copies page by page under SQLite's own locking: the portal may
        # keep writing while it runs, unlike a plain file copy of a WAL database.
        connection.ensure_connection()
        copy = sqlite3.connect(target)
        try:
            connection.connection.backup(copy)
        finally:
            copy.close()
        return
    _run_tool(
        "pg_dump",
        ["--format=custom", f"--file={target}", f"--dbname={connection.settings_dict['NAME']}"],
        connection.settings_dict,
    )


def default_backup_path(now=None) -> Path:
    stamp = timezone.localtime(now).strftime("%Y%m%d-%H%M%S")
    return Path(settings.BACKUP_DIR) / f"portal-{stamp}.tar.gz"


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    info.mtime = int(timezone.now().timestamp())
    archive.addfile(info, io.BytesIO(data))


def _owner_only(member: tarfile.TarInfo) -> tarfile.TarInfo:
    member.uid = member.gid = 0
    member.uname = member.gname = ""
    member.mode &= 0o700
    return member


def backup_create(
    *,
    output: Path | None = None,
    with_keys: bool = False,
    using: str = "default",
    report: Report = _ignore,
) -> BackupResult:
    """Write one archive (database, uploads, manifest) readable by its owner only."""
    path = default_backup_path() if output is None else Path(output)
    if path.is_dir() or not path.name.endswith(".tar.gz"):
        # A folder to write into, like BACKUP_DIR; created if need be.
        path = path / default_backup_path().name
    if path.exists():
        raise BackupError(f"{path} already exists; choose another name.")
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)

    notes = []
    media_root = _media_root()
    if media_root is None:
        notes.append(
            "Uploads are stored in S3-compatible storage and are NOT in this archive; "
            "back up the bucket with the storage provider's own tools."
        )
    elif not media_root.is_dir():
        notes.append(f"No uploads folder at {media_root}; the archive holds no files.")
    keys = key_file() if with_keys else None
    if with_keys and keys is None:
        notes.append(
            "PERSONAL_DATA_KEY comes from the environment, not from a key file, so it is "
            "not in the archive; keep it with your deployment settings."
        )
    elif keys is None:
        notes.append(
            "The ID-number encryption key is NOT in this archive; keep a copy of it "
            "separately (or use --with-keys)."
        )

    partial = path.with_name(path.name + ".partial")
    with tempfile.TemporaryDirectory(prefix="portal-backup-") as work:
        engine = _engine(connections[using].settings_dict)
        dump = Path(work) / (SQLITE_COPY if engine == "sqlite" else PG_DUMP)
        report(f"Saving the {engine} database ...")
        _dump_database(using, dump)
        media_included = media_root is not None and media_root.is_dir()
        manifest = _manifest(using, media_included=media_included, key_included=keys is not None)
        try:
            # Created 0600 before any byte is written: it holds personal data.
            descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
                _add_bytes(tar, MANIFEST, json.dumps(manifest, indent=2).encode())
                tar.add(dump, arcname=dump.name, filter=_owner_only)
                if media_included:
                    report(f"Adding uploaded files from {media_root} ...")
                    tar.add(media_root, arcname=MEDIA, filter=_owner_only)
                if keys is not None:
                    _add_bytes(tar, KEY_MEMBER, keys.read_bytes())
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
    return BackupResult(path=path, manifest=manifest, notes=notes)


# --- Restore ---------------------------------------------------------------


def _read_archive(archive: Path, into: Path) -> dict:
    """Unpack into a private folder; unsafe members (absolute, `..`, links out) refuse all."""
    if not archive.is_file():
        raise BackupError(f"{archive} is not a file.")
    try:
        with tarfile.open(archive, mode="r:gz") as tar:
            for member in tar.getmembers():
                name = member.name
                if name.startswith(("/", "\\")) or ".." in Path(name).parts:
                    raise BackupError(f"Unsafe path {name!r} in the archive; nothing restored.")
            tar.extractall(into, filter="data")
    except tarfile.FilterError as error:
        raise BackupError(f"Unsafe member in the archive ({error}); nothing restored.") from None
    except (tarfile.TarError, EOFError, OSError) as error:
        raise BackupError(f"{archive} is not a readable backup: {error}") from None
    try:
        manifest = json.loads((into / MANIFEST).read_text())
    except (OSError, ValueError):
        raise BackupError(f"{archive} has no readable {MANIFEST}; is it a portal backup?") from None
    if manifest.get("format") != FORMAT_VERSION:
        raise BackupError(f"Unknown backup format {manifest.get('format')!r}.")
    return manifest


def _compare_migrations(manifest: dict) -> tuple[list[str], int]:
    """Migrations only the backup has (a newer portal made it) and how many only the code has."""
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    archived = {
        (app, name) for app, names in manifest.get("migrations", {}).items() for name in names
    }
    return sorted(f"{app}.{name}" for app, name in archived - known), len(known - archived)


def _load_sqlite(source: Path, database: dict) -> None:
    if not str(database["NAME"]).startswith("file:"):
        Path(database["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    origin = sqlite3.connect(source)
    target = _sqlite_connect(database["NAME"])
    try:
        # Pages are written under the target's own lock, WAL files included.
        origin.backup(target)
    finally:
        origin.close()
        target.close()


def _drop_all_tables(database: dict) -> None:
    """--force on PostgreSQL: start from nothing, so no newer table outlives the restore."""
    db = _pg_connect(database)
    try:
        with db, db.cursor() as cursor:
            cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            for (table,) in cursor.fetchall():
                cursor.execute(
                    pg_sql.SQL("DROP TABLE IF EXISTS {} CASCADE").format(pg_sql.Identifier(table))
                )
    finally:
        db.close()


def _load_postgresql(dump: Path, database: dict) -> None:
    _run_tool(
        "pg_restore",
        [
            "--no-owner",
            "--no-privileges",
            "--clean",
            "--if-exists",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={database['NAME']}",
            str(dump),
        ],
        database,
    )


def _restore_media(source: Path, report: Report) -> str | None:
    media_root = _media_root()
    if not source.is_dir():
        return None
    if media_root is None:
        return (
            "Uploads are stored in S3-compatible storage here; the archive's media/ folder "
            "was NOT restored. Copy it into the bucket with the storage provider's tools."
        )
    report(f"Restoring uploaded files into {media_root} ...")
    shutil.copytree(source, media_root, dirs_exist_ok=True)
    return None


def _same_key(one: Path, other: Path) -> bool:
    return one.is_file() and one.read_bytes().strip() == other.read_bytes().strip()


def _check_key(source: Path | None, *, force: bool) -> Path | None:
    """Where the archived key goes; refuses to overwrite a different key without --force."""
    if source is None:
        return None
    target = Path(os.environ.get("SECRET_KEY_FILE") or Path(settings.VAR_DIR) / "secret_key")
    if target.is_file() and not _same_key(target, source):
        if not force:
            raise BackupError(
                f"{target} holds a different key from the archive's. Move it aside, or use "
                "--force to replace it (data encrypted with the current key becomes unreadable)."
            )
    return target


def backup_restore(
    *,
    archive: Path,
    force: bool = False,
    with_keys: bool = False,
    database: dict | None = None,
    report: Report = _ignore,
) -> RestoreResult:
    """Load an archive into an empty database (any database with --force) and the uploads."""
    database = database or connections["default"].settings_dict
    engine = _engine(database)
    notes = []
    with tempfile.TemporaryDirectory(prefix="portal-restore-") as work:
        unpacked = Path(work)
        manifest = _read_archive(Path(archive), unpacked)
        if manifest.get("database_engine") != engine:
            raise BackupError(
                f"This is a {manifest.get('database_engine')} backup; the portal is "
                f"configured for {engine}. Set DATABASE_URL to match."
            )
        dump = unpacked / (SQLITE_COPY if engine == "sqlite" else PG_DUMP)
        if not dump.is_file():
            raise BackupError(f"The archive has no {dump.name}; nothing restored.")
        unknown, pending = _compare_migrations(manifest)
        if unknown:
            if not force:
                raise BackupError(
                    "The backup was made by a newer version of the portal (unknown "
                    f"migrations: {', '.join(unknown[:5])}). Update the code first, or "
                    "use --force."
                )
            notes.append("The backup is from a newer version of the portal; update the code.")
        archived_key = unpacked / KEY_MEMBER
        key_target = _check_key(
            archived_key if with_keys and archived_key.is_file() else None, force=force
        )
        if with_keys and key_target is None:
            notes.append("The archive holds no key file; nothing to restore there.")
        if not database_is_empty(database):
            if not force:
                raise BackupError(
                    "The database is not empty. Restore into a new, empty database, or use "
                    "--force to replace everything in it."
                )
            report("The database is not empty: --force given, replacing it.")
            if engine == "postgresql":
                _drop_all_tables(database)

        # Nothing of this process may hold the database while it is replaced.
        connections.close_all()
        report(f"Restoring the {engine} database ...")
        if engine == "sqlite":
            _load_sqlite(dump, database)
        else:
            _load_postgresql(dump, database)
        connections.close_all()

        if note := _restore_media(unpacked / MEDIA, report):
            notes.append(note)
        if key_target is not None and _same_key(key_target, archived_key):
            notes.append(f"The key file at {key_target} already matches the archive's.")
        elif key_target is not None:
            key_target.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(key_target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.fchmod(descriptor, 0o600)
            with os.fdopen(descriptor, "wb") as out:
                out.write(archived_key.read_bytes())
            notes.append(f"The key file was restored to {key_target}; restart the portal.")
        elif manifest.get("key_fingerprint") not in (None, key_fingerprint()):
            notes.append(
                "WARNING: this machine's PERSONAL_DATA_KEY differs from the one the backup "
                "was made with. Put the original key back (SECRET_KEY_FILE, SECRET_KEY or "
                "PERSONAL_DATA_KEY) or ID numbers cannot be decrypted."
            )
    if pending:
        notes.append(
            f"This code has {pending} migration(s) the backup lacks: run `manage.py migrate`."
        )
    return RestoreResult(manifest=manifest, notes=notes)
