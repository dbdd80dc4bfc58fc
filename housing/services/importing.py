"""Importing an estate's households and residents from a spreadsheet (XLSX or CSV).

Every import is checked first (a dry run that saves nothing and lists each bad row with
its spreadsheet row number); applying it runs the same check again, then writes the
valid rows through the registry services in one transaction.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

import tablib
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from openpyxl import Workbook
from openpyxl.styles import Font

from portal.personal import (
    normalise_id_number,
    normalise_phone,
    validate_id_number,
    validate_mobile,
)
from portal.roles import Action
from portal.scope import can, may_at, reach

from ..models import Building, Estate, Household, Occupancy, Relation, Residence, Unit
from .registry import (
    building_ensure,
    find_person_by_id,
    household_ensure,
    person_create,
    unit_ensure,
)

log = logging.getLogger(__name__)

MAX_BYTES = 5 * 1024 * 1024
# A 5 MB XLSX is a zip archive; its declared unpacked size is capped so that a small
# file cannot unpack into gigabytes of XML (zipfile enforces the declared sizes).
MAX_UNPACKED_BYTES = 60 * 1024 * 1024
MAX_ROWS = 10_000
FIRST_DATA_ROW = 2  # the header is spreadsheet row 1

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_ZIP_MAGIC = b"PK\x03\x04"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old binary .xls format
_AREA_UNITS = re.compile(r"\s*(m²|m2|㎡|平方米|平米)$", re.IGNORECASE)
_HEADER_NOISE = re.compile(r"[\s*＊_（）()]")


@dataclass(frozen=True)
class Column:
    """A column the import reads: its English header, Chinese header and what it holds."""

    key: str
    chinese: str
    label: Promise
    required: bool
    aliases: tuple[str, ...] = ()


# The one mapping of headers: English key, Chinese header (as in the template), aliases.
COLUMNS: tuple[Column, ...] = (
    Column("building", "楼栋", gettext_lazy("building"), True, ("楼栋号", "楼号")),
    Column("unit", "单元", gettext_lazy("unit"), True, ("单元号",)),
    Column("floor", "楼层", gettext_lazy("floor"), True),
    Column("room", "房号", gettext_lazy("room"), True, ("房间号", "门牌号")),
    Column(
        "area_m2",
        "面积",
        gettext_lazy("registered floor area (m²)"),
        True,
        ("建筑面积", "面积(㎡)", "面积（㎡）", "area"),
    ),
    Column("occupancy", "居住情况", gettext_lazy("occupancy"), False),
    Column("name", "姓名", gettext_lazy("name"), True),
    Column("id_number", "身份证号", gettext_lazy("ID card number"), False, ("身份证号码",)),
    Column("phone", "手机号", gettext_lazy("mobile phone"), False, ("手机", "手机号码", "mobile")),
    Column("relation", "与房屋关系", gettext_lazy("relation"), True, ("关系",)),
    Column(
        "building_floors",
        "楼层数",
        gettext_lazy("floors of the building (only for a new building)"),
        False,
        ("总层数",),
    ),
)
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}


def header_key(text: str) -> str:
    """A header as compared: no spaces, stars, underscores or brackets; lower case."""
    return _HEADER_NOISE.sub("", text).lower()


def header_lookup(columns) -> dict[str, str]:
    """Every accepted spelling of each column's header → its key."""
    return {header_key(name): c.key for c in columns for name in (c.key, c.chinese, *c.aliases)}


HEADER_LOOKUP = header_lookup(COLUMNS)

OCCUPANCY_VALUES = {
    "自住": Occupancy.OWNER,
    "出租": Occupancy.RENTED,
    "空置": Occupancy.VACANT,
    **{value: value for value in Occupancy.values},
}
RELATION_VALUES = {
    "业主": Relation.OWNER,
    "共有人": Relation.CO_OWNER,
    "租户": Relation.TENANT,
    "家庭成员": Relation.FAMILY,
    **{value: value for value in Relation.values},
}
MAX_LENGTHS = {"building": 20, "unit": 20, "room": 20, "name": 100}


# --- What the check and the import return --------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a row: a stable code and the message for the user."""

    code: str
    message: str


@dataclass(frozen=True)
class BadRow:
    """A row that cannot be imported, by its spreadsheet row number (header = 1)."""

    row_number: int
    problems: tuple[Problem, ...]

    @property
    def reasons(self) -> list[str]:
        return [p.message for p in self.problems]

    @property
    def codes(self) -> list[str]:
        return [p.code for p in self.problems]


@dataclass(frozen=True)
class ImportReport:
    """The dry run: every bad row with its reasons, and what importing would create."""

    digest: str
    rows_read: int
    bad_rows: tuple[BadRow, ...]
    ignored_columns: tuple[str, ...]
    households_to_create: int
    people_to_create: int
    residences_to_create: int

    @property
    def valid_row_count(self) -> int:
        return self.rows_read - len(self.bad_rows)

    @property
    def is_clean(self) -> bool:
        return not self.bad_rows


@dataclass(frozen=True)
class ImportResult:
    """What an import created, and how many rows it left out."""

    rows_imported: int
    rows_skipped: int
    households_created: int
    people_created: int
    residences_created: int


@dataclass
class _Row:
    row_number: int
    building: str = ""
    unit: str = ""
    floor: int | None = None
    room: str = ""
    area_m2: Decimal | None = None
    occupancy: str = Occupancy.OWNER
    name: str = ""
    id_number: str = ""
    phone: str = ""
    relation: str = ""
    building_floors: int | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def flat(self) -> tuple[str, str, str]:
        return (self.building, self.unit, self.room)

    def add(self, code: str, column: str | None, message) -> None:
        if column:
            message = _("%(column)s: %(problem)s") % {
                "column": COLUMN_BY_KEY[column].label,
                "problem": message,
            }
        self.problems.append(Problem(code, str(message)))


@dataclass
class _Plan:
    report: ImportReport
    rows: list[_Row]  # the valid rows, in file order
    buildings: dict[str, Building]  # existing, by number
    new_building_floors: dict[str, int]
    existing_flats: set[tuple[str, str, str]]


# --- Permission ----------------------------------------------------------------------


def may_import(user) -> bool:
    """Could the user import into some estate (area staff who may create residents)?"""
    r = reach(user, "housing.person", Action.CREATE)
    return r.everything or bool(r.area_paths)


def may_import_at(user, estate: Estate) -> bool:
    """May the user add households and residents to this estate's registry?"""
    return (
        can(user, Action.CHANGE, estate)
        and may_at(user, Action.CREATE, "housing.household", estate.community)
        and may_at(user, Action.CREATE, "housing.person", estate.community)
    )


# --- Reading the file ----------------------------------------------------------------


def _unreadable() -> ValidationError:
    return ValidationError(
        _("This file cannot be read as a spreadsheet. Upload an Excel (.xlsx) or CSV file."),
        code="unreadable",
    )


def _too_large() -> ValidationError:
    return ValidationError(
        _("The file is larger than 5 MB. Split it into several files."), code="too_large"
    )


def _read_xlsx(data: bytes) -> list[list]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as error:
        raise _unreadable() from error
    if unpacked > MAX_UNPACKED_BYTES:
        raise _too_large()
    try:
        dataset = tablib.Dataset().load(io.BytesIO(data), format="xlsx", headers=False)
    except Exception as error:  # noqa: BLE001 - openpyxl raises many kinds on a bad file
        raise _unreadable() from error
    return [list(row) for row in dataset]


def _read_csv(data: bytes) -> list[list]:
    # Excel on Chinese Windows saves CSV as GBK (a subset of GB 18030), elsewhere UTF-8.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise _unreadable()
    if "\x00" in text:
        raise _unreadable()
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise _unreadable() from error
    # tablib's own CSV reader drops blank lines, which would shift every later row
    # number; rows are read here and padded so the dataset keeps them in place.
    width = max((len(row) for row in rows), default=0)
    dataset = tablib.Dataset(*[row + [""] * (width - len(row)) for row in rows])
    return [list(row) for row in dataset]


def read_table(data: bytes, filename: str = "") -> list[list]:
    """The sheet's rows (the header first), XLSX or CSV; a form error if unreadable."""
    if len(data) > MAX_BYTES:
        raise _too_large()
    if not data.strip():
        raise ValidationError(_("The file is empty."), code="empty")
    if data.startswith(_OLE2_MAGIC):
        raise ValidationError(
            _("This is an old Excel (.xls) file. Save it as .xlsx or CSV and upload it again."),
            code="old_excel",
        )
    if data.startswith(_ZIP_MAGIC):
        return _read_xlsx(data)
    if filename.lower().endswith((".xlsx", ".xlsm")):
        raise _unreadable()  # named a workbook but not one: never guess it is CSV
    return _read_csv(data)


def cell_text(value) -> str:
    """A cell as text: numbers without a trailing ".0", dates as ISO dates."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).replace("\u3000", " ").strip()


def map_columns(header: list, columns, lookup) -> tuple[dict[str, int], tuple[str, ...]]:
    """Column index by key, and the headers that name no column (ignored); a form error
    for a column given twice or a required one missing. Shared by every spreadsheet
    import."""
    index: dict[str, int] = {}
    ignored = []
    for position, cell in enumerate(header):
        text = cell_text(cell)
        if not text:
            continue
        key = lookup.get(header_key(text))
        if key is None:
            ignored.append(text)
        elif key in index:
            raise ValidationError(
                _("The column “%(column)s” appears twice.") % {"column": text},
                code="duplicate_column",
            )
        else:
            index[key] = position
    missing = [c for c in columns if c.required and c.key not in index]
    if missing:
        raise ValidationError(
            _("The file has no column for: %(columns)s. Use the headers listed on this page.")
            % {"columns": ", ".join(f"{c.chinese} ({c.key})" for c in missing)},
            code="missing_columns",
        )
    return index, tuple(ignored)


# --- Checking rows -------------------------------------------------------------------


def _parse_int(raw) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        return int(raw) if raw.is_integer() else None
    try:
        return int(cell_text(raw))
    except ValueError:
        return None


def _parse_area(raw) -> Decimal | None:
    if isinstance(raw, float):
        # Excel stores numbers as binary floats: 89.1 may come back as 89.10000000000001.
        if abs(raw - round(raw, 2)) > 1e-6:
            return None
        raw = round(raw, 2)
    try:
        area = Decimal(_AREA_UNITS.sub("", cell_text(raw)))
    except InvalidOperation:
        return None
    if not area.is_finite() or area <= 0 or area >= 1_000_000:
        return None
    if area.as_tuple().exponent < -2:
        return None
    return area.quantize(Decimal("0.01"))


def _parse_row(row_number: int, cells: list, index: dict[str, int]) -> _Row | None:
    """One data row with its own problems; None for a blank row."""
    raw = {key: cells[i] if i < len(cells) else None for key, i in index.items()}
    if not any(cell_text(v) for v in raw.values()):
        return None
    row = _Row(row_number=row_number)
    for key in ("building", "unit", "room", "name"):
        setattr(row, key, cell_text(raw.get(key)))
        if len(getattr(row, key)) > MAX_LENGTHS[key]:
            row.add("too_long", key, _("Too long."))
    if not row.building:
        row.add("missing_building", "building", _("Missing."))
    if not row.unit:
        row.add("missing_unit", "unit", _("Missing."))
    if not row.room:
        row.add("missing_room", "room", _("Missing."))
    if not row.name:
        row.add("missing_name", "name", _("Missing."))

    row.floor = _parse_int(raw.get("floor"))
    if row.floor is None or not -10 <= row.floor <= 200:
        row.add("invalid_floor", "floor", _("Enter the floor as a whole number, e.g. 3."))

    row.area_m2 = _parse_area(raw.get("area_m2"))
    if row.area_m2 is None:
        row.add(
            "invalid_area",
            "area_m2",
            _("Enter a positive number of square metres with at most two decimals, e.g. 89.50."),
        )

    occupancy = cell_text(raw.get("occupancy")).lower()
    row.occupancy = OCCUPANCY_VALUES.get(occupancy, "") if occupancy else Occupancy.OWNER
    if not row.occupancy:
        row.add("invalid_occupancy", "occupancy", _("Use 自住, 出租 or 空置."))

    relation = cell_text(raw.get("relation")).lower()
    row.relation = RELATION_VALUES.get(relation, "")
    if not relation:
        row.add("missing_relation", "relation", _("Missing."))
    elif not row.relation:
        row.add("invalid_relation", "relation", _("Use 业主, 共有人, 租户 or 家庭成员."))

    id_cell = raw.get("id_number")
    row.id_number = normalise_id_number(cell_text(id_cell).lstrip("'"))
    if isinstance(id_cell, float):
        row.add(
            "id_as_number",
            "id_number",
            _(
                "Excel stored this number as a number and lost its last digits. "
                "Format the column as text and type the number again."
            ),
        )
    elif row.id_number:
        try:
            validate_id_number(row.id_number)
        except ValidationError as error:
            row.add(error.code, "id_number", error.messages[0])

    phone = cell_text(raw.get("phone")).lstrip("'")
    row.phone = normalise_phone(phone) if phone else ""
    if row.phone:
        try:
            validate_mobile(row.phone)
        except ValidationError as error:
            row.add(error.code, "phone", error.messages[0])

    floors_cell = raw.get("building_floors")
    if cell_text(floors_cell):
        row.building_floors = _parse_int(floors_cell)
        if row.building_floors is None or not 1 <= row.building_floors <= 200:
            row.building_floors = None
            row.add(
                "invalid_building_floors",
                "building_floors",
                _("Enter the building's number of floors as a whole number."),
            )
    return row


def _check_across_rows(rows: list[_Row], buildings: dict[str, Building]) -> dict[str, int]:
    """Problems that need the whole file or the registry: unknown buildings, duplicates.

    A row is compared only with earlier rows that are valid so far, so the valid rows
    always form a consistent import on their own. Returns new buildings' floors.
    """
    new_floors: dict[str, int] = {}
    for row in rows:
        if row.building and row.building not in buildings and row.building_floors:
            new_floors.setdefault(row.building, row.building_floors)

    on_file: dict[str, bool] = {}
    flats: dict[tuple, _Row] = {}
    people: dict[str, _Row] = {}
    unnamed: dict[tuple, _Row] = {}
    for row in rows:
        if row.building not in buildings and row.building not in new_floors and row.building:
            row.add(
                "unknown_building",
                None,
                _(
                    "There is no building “%(building)s” in this estate. To create it, "
                    "give its number of floors in a 楼层数 (building_floors) column."
                )
                % {"building": row.building},
            )
        if row.problems:
            continue
        first = flats.get(row.flat)
        if first and (first.floor, first.area_m2) != (row.floor, row.area_m2):
            row.add(
                "flat_conflict",
                None,
                _("Row %(row)d gives this room another floor or area.") % {"row": first.row_number},
            )
        if row.id_number:
            if row.id_number not in on_file:
                on_file[row.id_number] = find_person_by_id(row.id_number) is not None
            earlier = people.get(row.id_number)
            if on_file[row.id_number]:
                row.add(
                    "already_on_file",
                    "id_number",
                    _("A person with this ID card number is already on file."),
                )
            elif earlier and earlier.flat == row.flat:
                row.add(
                    "duplicate_in_file",
                    "id_number",
                    _("This person is already listed for this room in row %(row)d.")
                    % {"row": earlier.row_number},
                )
            elif earlier and earlier.name != row.name:
                row.add(
                    "id_conflict",
                    "id_number",
                    _("Row %(row)d gives this ID card number to another name.")
                    % {"row": earlier.row_number},
                )
        else:
            earlier = unnamed.get((row.flat, row.name))
            if earlier:
                row.add(
                    "duplicate_in_file",
                    "name",
                    _("This person is already listed for this room in row %(row)d.")
                    % {"row": earlier.row_number},
                )
        if row.problems:
            continue
        flats.setdefault(row.flat, row)
        if row.id_number:
            people.setdefault(row.id_number, row)
        else:
            unnamed[(row.flat, row.name)] = row
    return new_floors


def _plan(*, estate: Estate, data: bytes, filename: str) -> _Plan:
    table = read_table(data, filename)
    if not table:
        raise ValidationError(_("The file is empty."), code="empty")
    index, ignored = map_columns(table[0], COLUMNS, HEADER_LOOKUP)
    rows = [
        row
        for number, cells in enumerate(table[1:], start=FIRST_DATA_ROW)
        if (row := _parse_row(number, cells, index)) is not None
    ]
    if not rows:
        raise ValidationError(_("The file has a header but no rows."), code="no_rows")
    if len(rows) > MAX_ROWS:
        raise ValidationError(
            _("The file has more than %(max)d rows. Split it into several files.")
            % {"max": MAX_ROWS},
            code="too_many_rows",
        )
    buildings = {b.number: b for b in Building.objects.filter(estate=estate)}
    new_floors = _check_across_rows(rows, buildings)
    existing_flats = set(
        Household.objects.filter(unit__building__estate=estate).values_list(
            "unit__building__number", "unit__number", "room_number"
        )
    )
    valid = [row for row in rows if not row.problems]
    report = ImportReport(
        digest=hashlib.sha256(data).hexdigest(),
        rows_read=len(rows),
        bad_rows=tuple(BadRow(row.row_number, tuple(row.problems)) for row in rows if row.problems),
        ignored_columns=ignored,
        households_to_create=len({row.flat for row in valid} - existing_flats),
        people_to_create=len({r.id_number for r in valid if r.id_number})
        + sum(1 for r in valid if not r.id_number),
        residences_to_create=len(valid),
    )
    return _Plan(report, valid, buildings, new_floors, existing_flats)


def _require_import(actor, estate: Estate) -> None:
    if not may_import_at(actor, estate):
        raise PermissionDenied


# --- Services ------------------------------------------------------------------------


def registry_import_check(*, actor, estate: Estate, data: bytes, filename: str) -> ImportReport:
    """The dry run: every bad row with its row number and reasons; saves nothing."""
    _require_import(actor, estate)
    return _plan(estate=estate, data=data, filename=filename).report


@transaction.atomic
def registry_import_apply(
    *,
    actor,
    estate: Estate,
    data: bytes,
    filename: str,
    valid_rows_only: bool,
    checked_digest: str | None = None,
) -> ImportResult:
    """Import the file's rows; refused while rows are bad unless `valid_rows_only`.

    With `checked_digest` (from the dry run's report) a different file is refused, so
    what is imported is what the user reviewed.
    """
    _require_import(actor, estate)
    plan = _plan(estate=estate, data=data, filename=filename)
    report = plan.report
    if checked_digest is not None and checked_digest != report.digest:
        raise ValidationError(
            _("This is not the file you checked. Check this file first."), code="not_checked"
        )
    if report.bad_rows and not valid_rows_only:
        count = len(report.bad_rows)
        raise ValidationError(
            ngettext(
                "%(count)d row has problems. Fix it, or import only the valid rows.",
                "%(count)d rows have problems. Fix them, or import only the valid rows.",
                count,
            )
            % {"count": count},
            code="bad_rows",
        )
    if not plan.rows:
        raise ValidationError(_("No row of this file can be imported."), code="nothing_valid")

    buildings = dict(plan.buildings)
    units: dict[tuple[str, str], Unit] = {}
    households: dict[tuple[str, str, str], Household] = {}
    people: dict = {}
    people_created = residences_created = 0
    for row in plan.rows:
        if row.building not in buildings:
            buildings[row.building] = building_ensure(
                estate=estate, number=row.building, floors=plan.new_building_floors[row.building]
            )
        unit_key = (row.building, row.unit)
        if unit_key not in units:
            units[unit_key] = unit_ensure(building=buildings[row.building], number=row.unit)
        if row.flat not in households:
            households[row.flat] = household_ensure(
                unit=units[unit_key],
                room_number=row.room,
                floor=row.floor,
                area_m2=row.area_m2,
                occupancy=row.occupancy,
            )
        household = households[row.flat]
        person = people.get(row.id_number) if row.id_number else None
        if person is None:
            # Scope was checked above for the whole estate.
            person = person_create(
                actor=actor,
                community=estate.community,
                name=row.name,
                id_number=row.id_number,
                phone=row.phone,
                household=household,
                relation=row.relation,
                check_scope=False,
            )
            people_created += 1
            residences_created += 1
            if row.id_number:
                people[row.id_number] = person
        else:
            _residence, created = Residence.objects.get_or_create(
                person=person, household=household, defaults={"relation": row.relation}
            )
            residences_created += created
    result = ImportResult(
        rows_imported=len(plan.rows),
        rows_skipped=len(report.bad_rows),
        households_created=len(set(households) - plan.existing_flats),
        people_created=people_created,
        residences_created=residences_created,
    )
    log.info(
        "registry import into estate %s by user %s: %s",
        estate.pk,
        getattr(actor, "pk", None),
        result,
    )
    return result


def import_template() -> bytes:
    """An empty XLSX with the Chinese headers; text columns keep leading zeros and IDs."""
    book = Workbook()
    sheet = book.active
    sheet.title = "住户"
    sheet.append([c.chinese for c in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for position, column in enumerate(COLUMNS, start=1):
        letter = sheet.cell(row=1, column=position).column_letter
        sheet.column_dimensions[letter].width = 22 if column.key == "id_number" else 12
        if column.key in ("building", "unit", "room", "id_number", "phone"):
            # Typed as text, an 18-digit ID number keeps its digits and "0101" its zero.
            sheet.column_dimensions[letter].number_format = "@"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
