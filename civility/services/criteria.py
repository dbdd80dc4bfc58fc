"""Criteria sets: which version is in force where, which items apply to a type of site,
and importing a new version from a spreadsheet (XLSX or CSV).

A set is in force for its area and everything below it from its `valid_from`; an area
without a set of its own inherits the nearest ancestor's. Every import is checked first
(a dry run that saves nothing and names each bad row by its spreadsheet row number);
the real import checks again, refuses while any row is bad, and writes the set, its
criteria and their `replaces` links in one transaction. The uploaded file is never kept:
to import, the user sends the checked file again and its SHA-256 digest must match.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections, transaction
from django.db.models import BooleanField, ExpressionWrapper, OuterRef, Q, Subquery
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from housing.services.importing import (
    MAX_BYTES,
    Column,
    cell_text,
    header_lookup,
    map_columns,
    read_table,
)
from portal.models import Area
from portal.roles import Action
from portal.rules import ancestor_paths
from portal.scope import may_at, paths_above, reach

from ..models import Category, CriteriaSet, Criterion, SiteType

log = logging.getLogger(__name__)

KIND = "civility.criteria"

MAX_ROWS = 5_000
FIRST_DATA_ROW = 2  # the header is spreadsheet row 1
MAX_WEIGHT = Decimal("9999.99")
CODE_MAX_LENGTH = Criterion._meta.get_field("code").max_length
NAME_MAX_LENGTH = CriteriaSet._meta.get_field("name").max_length

# Newest first; among sets of one area with the same start, the one created last wins.
IN_FORCE_ORDER = ("-valid_from", "-pk")

_LIST_SEPARATORS = re.compile(r"[,，、;；/\n]+")
_CODE_SEPARATORS = re.compile(r"[\s,，、;；]+")


# --- Which set is in force, which criteria apply -------------------------------------


def in_force_candidates(area: Area, on: date):
    """The sets that could be in force at `area` on `on`, the one in force first: the
    area's own before its ancestors', nearest first, each newest first. Annotate it
    freely; `criteria_in_force` takes its first row."""
    return CriteriaSet.objects.filter(
        area__path__in=ancestor_paths(area), valid_from__lte=on
    ).order_by("-area__depth", *IN_FORCE_ORDER)


def criteria_in_force(area: Area, on: date | None = None) -> CriteriaSet | None:
    """The set in force at `area` on `on` (today by default): the area's own, or else
    its nearest ancestor's, with the latest `valid_from` not after `on`."""
    on = on or timezone.localdate()
    return in_force_candidates(area, on).select_related("area").first()


def with_in_force(queryset, on: date):
    """Annotate `in_force`: whether each set is the one in force at its own area on `on`
    (the same rule as `criteria_in_force`, for a whole list in one query)."""
    current = (
        CriteriaSet.objects.filter(area=OuterRef("area"), valid_from__lte=on)
        .order_by(*IN_FORCE_ORDER)
        .values("pk")[:1]
    )
    return queryset.annotate(
        in_force=ExpressionWrapper(Q(pk=Subquery(current)), output_field=BooleanField())
    )


def json_contains_supported(alias: str) -> bool:
    # SQLite has no JSON containment lookup; PostgreSQL (jsonb @>) has.
    return connections[alias].features.supports_json_field_contains


def applicable_criteria(criteria_set: CriteriaSet, site_type: str):
    """The set's criteria that apply to sites of `site_type`, as a queryset."""
    criteria = Criterion.objects.filter(criteria_set=criteria_set)
    if json_contains_supported(criteria.db):
        return criteria.filter(site_types__contains=[site_type])
    ids = [
        pk
        for pk, types in criteria.values_list("pk", "site_types")
        if isinstance(types, list) and site_type in types
    ]
    return criteria.filter(pk__in=ids)


def site_type_labels(values) -> list[str]:
    labels = dict(SiteType.choices)
    return [str(labels[v]) for v in values if v in labels]


# --- Who may import where ------------------------------------------------------------


def may_import_somewhere(user) -> bool:
    """Could the user import a set at some area (officers, community staff)?"""
    r = reach(user, KIND, Action.CREATE)
    return r.everything or bool(r.area_paths)


def may_import_at(user, area: Area) -> bool:
    return may_at(user, Action.CREATE, KIND, area)


def import_areas(user):
    """The areas where `user` may import a set (not grids: a set serves a place)."""
    r = reach(user, KIND, Action.CREATE)
    areas = Area.objects.exclude(level="grid").order_by("path")
    if r.everything:
        return areas
    q = Q(pk__in=[])
    for path in r.area_paths:
        q |= Q(path__startswith=path)
    return areas.filter(q)


def previous_candidates(user):
    """Sets a new version may replace: those the user sees, and those at the areas above
    the user's (a national or provincial set replaced by a local one)."""
    r = reach(user, KIND, Action.CREATE)
    if r.everything:
        return CriteriaSet.objects.all()
    above = paths_above(r.area_paths)
    return CriteriaSet.objects.filter(
        Q(pk__in=CriteriaSet.objects.visible_to(user).values("pk")) | Q(area__path__in=above)
    )


# --- The spreadsheet's columns and vocabularies --------------------------------------


COLUMNS: tuple[Column, ...] = (
    Column("code", "编号", gettext_lazy("code"), True, ("条目编号", "序号", "代码")),
    Column("category", "类别", gettext_lazy("category"), True, ("分类", "类型")),
    Column("text", "测评内容", gettext_lazy("criterion"), True, ("内容", "标准", "测评标准")),
    Column("weight", "权重", gettext_lazy("weight"), False, ("分值", "分数")),
    Column(
        "site_types",
        "适用点位",
        gettext_lazy("site types"),
        True,
        ("适用场所", "适用类型", "sitetype", "sitetypes", "appliesto"),
    ),
    Column(
        "replaces",
        "替代条目",
        gettext_lazy("replaces (codes of the previous set)"),
        False,
        ("替代", "原条目", "原编号"),
    ),
)
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}


HEADER_LOOKUP = header_lookup(COLUMNS)

# Chinese words a spreadsheet may use beyond the values and the labels.
CATEGORY_WORDS = {
    "餐饮": Category.CATERING,
    "餐饮店": Category.CATERING,
    "农贸市场": Category.MARKET,
    "菜市场": Category.MARKET,
    "背街小巷": Category.BACK_STREET,
    "住宅小区": Category.ESTATE,
    "小区": Category.ESTATE,
    "公共厕所": Category.TOILET,
    "公厕": Category.TOILET,
    "其他": Category.OTHER,
    "其它": Category.OTHER,
}
SITE_TYPE_WORDS = {
    "餐饮店": SiteType.RESTAURANT,
    "餐饮": SiteType.RESTAURANT,
    "餐馆": SiteType.RESTAURANT,
    "饭店": SiteType.RESTAURANT,
    "农贸市场": SiteType.MARKET,
    "菜市场": SiteType.MARKET,
    "背街小巷": SiteType.STREET,
    "住宅小区": SiteType.ESTATE,
    "小区": SiteType.ESTATE,
    "公共厕所": SiteType.TOILET,
    "公厕": SiteType.TOILET,
    "其他": SiteType.OTHER,
    "其它": SiteType.OTHER,
}


def _vocabulary(choices, words: dict) -> dict[str, str]:
    """Value by every accepted spelling: values, English and Chinese labels, words."""
    lookup = {}
    for language in ("en", "zh-hans"):
        with translation.override(language):
            lookup.update({str(label).lower(): value for value, label in choices})
    lookup.update({value.lower(): value for value, _label in choices})
    lookup.update(words)
    return lookup


def category_lookup() -> dict[str, str]:
    return _vocabulary(Category.choices, CATEGORY_WORDS)


def site_type_lookup() -> dict[str, str]:
    return _vocabulary(SiteType.choices, SITE_TYPE_WORDS)


# --- What the check returns ----------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a row: a stable code and the message for the user."""

    code: str
    message: str


@dataclass(frozen=True)
class BadRow:
    """A row that cannot be imported, by its spreadsheet row number (header = 1)."""

    row_number: int
    code: str
    problems: tuple[Problem, ...]

    @property
    def reasons(self) -> list[str]:
        return [p.message for p in self.problems]

    @property
    def codes(self) -> list[str]:
        return [p.code for p in self.problems]


@dataclass(frozen=True)
class CriteriaImportReport:
    """The check of a file: its bad rows, what importing creates; after a real import,
    the set it created."""

    digest: str
    rows_read: int
    bad_rows: tuple[BadRow, ...]
    ignored_columns: tuple[str, ...]
    criteria_count: int
    links_count: int
    previous_count: int | None
    criteria_set: CriteriaSet | None = None

    @property
    def is_clean(self) -> bool:
        return not self.bad_rows

    @property
    def valid_row_count(self) -> int:
        return self.rows_read - len(self.bad_rows)


@dataclass
class _Row:
    row_number: int
    code: str = ""
    category: str = ""
    text: str = ""
    weight: Decimal = Decimal(1)
    site_types: list[str] = field(default_factory=list)
    replaces: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def add(self, code: str, column: str, message) -> None:
        text = _("%(column)s: %(problem)s") % {
            "column": COLUMN_BY_KEY[column].label,
            "problem": message,
        }
        self.problems.append(Problem(code, text))


# --- Reading and checking ------------------------------------------------------------


def _parse_weight(raw) -> Decimal | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, float):
        # Excel keeps numbers as binary floats: 2.5 is exact, 0.1 comes back as 0.1000…1.
        if abs(raw - round(raw, 2)) > 1e-9:
            return None
        raw = round(raw, 2)
    text = cell_text(raw)
    if not text:
        return Decimal(1)
    try:
        weight = Decimal(text)
    except InvalidOperation:
        return None
    if not weight.is_finite() or weight < 0 or weight > MAX_WEIGHT:
        return None
    if weight.as_tuple().exponent < -2:
        return None
    return weight.quantize(Decimal("0.01"))


def _parse_row(number: int, cells: list, index: dict[str, int], vocab: dict) -> _Row | None:
    """One data row with its own problems; None for a blank row."""
    raw = {key: cells[i] if i < len(cells) else None for key, i in index.items()}
    if not any(cell_text(v) for v in raw.values()):
        return None
    row = _Row(row_number=number)

    row.code = cell_text(raw.get("code"))
    if not row.code:
        row.add("missing_code", "code", _("Missing."))
    elif len(row.code) > CODE_MAX_LENGTH:
        row.add(
            "code_too_long",
            "code",
            _("At most %(max)d characters.") % {"max": CODE_MAX_LENGTH},
        )

    category = cell_text(raw.get("category"))
    row.category = vocab["category"].get(category.lower(), "")
    if not row.category:
        row.add(
            "unknown_category",
            "category",
            _("“%(value)s” is not a category. Use one of: %(choices)s.")
            % {"value": category, "choices": "、".join(str(c.label) for c in Category)},
        )

    row.text = cell_text(raw.get("text"))
    if not row.text:
        row.add("empty_text", "text", _("The criterion has no text."))

    row.weight = _parse_weight(raw.get("weight"))
    if row.weight is None:
        row.add(
            "bad_weight",
            "weight",
            _("Enter a number from 0 to 9999.99 with at most two decimals, e.g. 1.5."),
        )

    types_text = cell_text(raw.get("site_types"))
    unknown = []
    for word in filter(None, (w.strip() for w in _LIST_SEPARATORS.split(types_text))):
        value = vocab["site_type"].get(word.lower())
        if value is None:
            unknown.append(word)
        elif value not in row.site_types:
            row.site_types.append(value)
    if unknown:
        row.add(
            "unknown_site_type",
            "site_types",
            _("“%(value)s” is not a site type. Use: %(choices)s.")
            % {"value": "、".join(unknown), "choices": "、".join(str(t.label) for t in SiteType)},
        )
    elif not row.site_types:
        row.add("missing_site_types", "site_types", _("Name at least one type of site."))

    row.replaces = list(
        dict.fromkeys(c for c in _CODE_SEPARATORS.split(cell_text(raw.get("replaces"))) if c)
    )
    return row


def _check_replaces(rows: list[_Row], previous_codes: set[str] | None) -> None:
    for row in rows:
        if not row.replaces:
            continue
        if previous_codes is None:
            row.add(
                "no_previous_set",
                "replaces",
                _("Choose the set this one replaces, or leave the column empty."),
            )
            continue
        unknown = [c for c in row.replaces if c not in previous_codes]
        if unknown:
            row.add(
                "unknown_replaced_code",
                "replaces",
                _("The previous set has no item %(codes)s.") % {"codes": "、".join(unknown)},
            )


def _check_duplicates(rows: list[_Row]) -> None:
    first: dict[str, int] = {}
    for row in rows:
        if not row.code:
            continue
        if row.code in first:
            row.add(
                "duplicate_code",
                "code",
                _("Code %(code)s is already used in row %(row)d.")
                % {"code": row.code, "row": first[row.code]},
            )
        else:
            first[row.code] = row.row_number


def _file_data(file) -> tuple[bytes, str]:
    if isinstance(file, bytes | bytearray):
        return bytes(file), ""
    size = getattr(file, "size", None)
    if size is not None and size > MAX_BYTES:
        raise ValidationError(
            _("The file is larger than 5 MB. Split it into several files."), code="too_large"
        )
    if hasattr(file, "seek"):
        file.seek(0)
    return file.read(), getattr(file, "name", "") or ""


def _check_set(*, actor, area: Area, name: str, valid_from, previous) -> str:
    """Refusals about the set itself, by form field; returns the cleaned name."""
    if area is None or not may_import_at(actor, area):
        raise PermissionDenied
    errors = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = ValidationError(_("Give the set a name."), code="required")
    elif len(name) > NAME_MAX_LENGTH:
        errors["name"] = ValidationError(
            _("At most %(max)d characters.") % {"max": NAME_MAX_LENGTH}, code="too_long"
        )
    if not isinstance(valid_from, date):
        errors["valid_from"] = ValidationError(
            _("Enter the date the set comes into force."), code="required"
        )
    elif CriteriaSet.objects.filter(area=area, valid_from=valid_from).exists():
        errors["valid_from"] = ValidationError(
            _("A set for this area already comes into force on this day."),
            code="same_day",
        )
    if previous is not None:
        if previous.area.path not in ancestor_paths(area):
            errors["previous"] = ValidationError(
                _("The replaced set must belong to this area or an area above it."),
                code="previous_elsewhere",
            )
        elif isinstance(valid_from, date) and previous.valid_from >= valid_from:
            errors["previous"] = ValidationError(
                _("The replaced set must have come into force before the new one."),
                code="previous_not_older",
            )
    if errors:
        raise ValidationError(errors)
    return name


def _check_file(data: bytes, filename: str, previous: CriteriaSet | None):
    """The report of a file and its valid rows (all rows when the report is clean)."""
    table = read_table(data, filename)
    if not table:
        raise ValidationError(_("The file is empty."), code="empty")
    index, ignored = map_columns(table[0], COLUMNS, HEADER_LOOKUP)
    vocab = {"category": category_lookup(), "site_type": site_type_lookup()}
    rows = [
        row
        for number, cells in enumerate(table[1:], start=FIRST_DATA_ROW)
        if (row := _parse_row(number, cells, index, vocab)) is not None
    ]
    if not rows:
        raise ValidationError(_("The file has a header but no rows."), code="no_rows")
    if len(rows) > MAX_ROWS:
        raise ValidationError(
            _("The file has more than %(max)d rows. Split it into several files.")
            % {"max": MAX_ROWS},
            code="too_many_rows",
        )
    previous_items = None
    if previous is not None:
        previous_items = dict(previous.criteria.values_list("code", "pk"))
    _check_duplicates(rows)
    _check_replaces(rows, set(previous_items) if previous_items is not None else None)
    report = CriteriaImportReport(
        digest=hashlib.sha256(data).hexdigest(),
        rows_read=len(rows),
        bad_rows=tuple(
            BadRow(row.row_number, row.code, tuple(row.problems)) for row in rows if row.problems
        ),
        ignored_columns=ignored,
        criteria_count=sum(1 for row in rows if not row.problems),
        links_count=sum(len(row.replaces) for row in rows if not row.problems),
        previous_count=len(previous_items) if previous_items is not None else None,
    )
    return report, rows, previous_items or {}


# --- The service ---------------------------------------------------------------------


def criteria_import(
    *,
    actor,
    area: Area,
    name: str,
    valid_from: date,
    previous: CriteriaSet | None,
    file,
    dry_run: bool,
    checked_digest: str | None = None,
) -> CriteriaImportReport:
    """Check (`dry_run`) or import a criteria set from an XLSX or CSV file.

    The dry run saves nothing and reports every bad row by its row number. The real
    import refuses while any row is bad, and, given `checked_digest` (the dry run's),
    refuses a file other than the one checked.
    """
    if dry_run:
        _check_set(actor=actor, area=area, name=name, valid_from=valid_from, previous=previous)
        data, filename = _file_data(file)
        report, _rows, _previous_items = _check_file(data, filename, previous)
        return report
    with transaction.atomic():
        # Locking the area serialises two imports there, so two sets cannot both
        # claim the same first day.
        Area.objects.select_for_update().filter(pk=area.pk).first()
        name = _check_set(
            actor=actor, area=area, name=name, valid_from=valid_from, previous=previous
        )
        data, filename = _file_data(file)
        report, rows, previous_items = _check_file(data, filename, previous)
        if checked_digest is not None and checked_digest != report.digest:
            raise ValidationError(
                _("This is not the file you checked. Check this file first."),
                code="not_checked",
            )
        if report.bad_rows:
            count = len(report.bad_rows)
            raise ValidationError(
                ngettext(
                    "%(count)d row has problems. Fix the file and check it again.",
                    "%(count)d rows have problems. Fix the file and check them again.",
                    count,
                )
                % {"count": count},
                code="bad_rows",
            )
        criteria_set = CriteriaSet.objects.create(
            area=area, name=name, valid_from=valid_from, previous=previous
        )
        Criterion.objects.bulk_create(
            Criterion(
                criteria_set=criteria_set,
                code=row.code,
                category=row.category,
                text=row.text,
                weight=row.weight,
                site_types=row.site_types,
            )
            for row in rows
        )
        new_ids = dict(criteria_set.criteria.values_list("code", "pk"))
        link = Criterion.replaces.through
        link.objects.bulk_create(
            link(from_criterion_id=new_ids[row.code], to_criterion_id=previous_items[code])
            for row in rows
            for code in row.replaces
        )
    log.info(
        "criteria set %s imported at area %s by user %s: %d criteria, %d links",
        criteria_set.pk,
        area.pk,
        getattr(actor, "pk", None),
        report.criteria_count,
        report.links_count,
    )
    return dataclasses.replace(report, criteria_set=criteria_set)
