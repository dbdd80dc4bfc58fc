"""What the practice apps offer the portal, registered in each AppConfig.ready().

`portal` never imports a practice app: it asks this registry. Apps depend downwards
only, so anything that crosses apps (a dashboard tile, an export, "turn this into a
dispute") is looked up here by name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter
from typing import Any


class RegistryError(Exception):
    """A registration that cannot be honoured (duplicate name, unknown dependency, cycle)."""


@dataclass(frozen=True)
class CaseKind:
    """A kind of case: its model, reference prefix, statuses and how residents see it.

    `model` has `case = OneToOneField(Case, primary_key=True)`, so its pk is the case's.
    `statuses` is a TextChoices class; `initial_status` is where new cases start.
    `rule_kind` names the RuleKind whose payload sets due dates and reminder lead time.
    `detail_url_name` takes the case pk as `pk`.
    """

    name: str
    model: type
    prefix: str
    label: Any
    label_plural: Any
    statuses: Any
    initial_status: str
    rule_kind: str
    detail_url_name: str
    resident_visible: bool = False

    def status_label(self, value: str) -> str:
        try:
            return self.statuses(value).label
        except ValueError:
            return value


@dataclass(frozen=True)
class RuleKind:
    """A kind of rule set: what its payload must hold, and the built-in default."""

    name: str
    label: Any
    validate: Callable[[dict], dict]
    default: dict


@dataclass(frozen=True)
class Tile:
    """One figure on a dashboard: a label, a value and a stable code for tests and links."""

    label: Any
    value: Any
    code: str


@dataclass(frozen=True)
class DashboardProvider:
    """KPI tiles for an area and period, computed in the database:
    `tiles(*, user, area, start, end) -> list[Tile]`.

    Optionally, for the league table and the trends:
    `by_area(*, user, areas, start, end) -> {area pk: {code: value}}` gives the key
    figures of each of `areas` (areas of one depth) in a fixed number of queries;
    `figures` names them in column order as (code, label) pairs, with the tiles' codes;
    `trend(*, user, area, start, end) -> [(month label, {code: value})]` gives figures
    named in `figures` per month of the period, oldest first.
    """

    name: str
    label: Any
    tiles: Callable[..., list]
    order: int = 100
    by_area: Callable[..., dict] | None = None
    figures: tuple[tuple[str, Any], ...] = ()
    trend: Callable[..., list] | None = None


@dataclass(frozen=True)
class ExportProvider:
    """A filtered queryset and the columns one of an app's lists can export.

    `queryset(user, params)` scopes like the page; `kind` is the scope kind whose
    EXPORT permission governs the export; `columns` are (header, accessor) pairs whose
    accessors mask personal data as the page does.
    """

    name: str
    label: Any
    queryset: Callable[..., Any]
    columns: tuple
    kind: str


@dataclass(frozen=True)
class Step:
    """A demo loader or load generator: a callable run after the steps it depends on."""

    name: str
    run: Callable[..., Any]
    depends_on: tuple[str, ...] = ()


@dataclass(frozen=True)
class HandOverTarget:
    """An action another app may offer by name, e.g. `dispute_from`."""

    name: str
    label: Any
    create: Callable[..., Any]


@dataclass(frozen=True)
class UserAssignments:
    """Live work an app assigns to one person, which a staff hand-over moves.

    `counts(users)` takes a User queryset and returns {user pk: open items} in one query;
    `move(*, leaving, successor, actor, now)` reassigns every open item of `leaving`
    inside the caller's transaction and returns how many it moved, or raises
    ValidationError when `successor` may not work on one of them. History (who filed,
    recorded, decided) is not work and stays with its author.
    """

    name: str
    label: Any
    counts: Callable[[Any], dict]
    move: Callable[..., int]
    order: int = 100


@dataclass(frozen=True)
class NavItem:
    """An entry of the main navigation, shown to users for whom `visible(user)` holds."""

    name: str
    label: Any
    url_name: str
    visible: Callable[[Any], bool]
    order: int = 100


@dataclass(frozen=True)
class PersonalData:
    """Where an app keeps personal data: what erasing it means and what a resident takes away.

    `fields` of `model` hold personal data. `case_path` is the lookup from a row to its
    `portal.Case` id ("pk" for the case itself, "case" for a kind's own model,
    "dispute__case" for a dispute's parties); such rows are anonymised by the retention
    task once their case has passed its time (`case_kind`: only cases of that kind).
    `anonymise` maps a field to its replacement: a value, or a callable(row) -> value;
    other fields get their type's default (text: ANONYMISED, nullable links: None, JSON:
    empty). `delete_rows` rows (pure links such as case parties) are deleted instead.
    `files` are file fields whose files are removed and emptied.
    `owner_rows(user)` gives the rows that are the user's own data, for their download;
    `download_fields` what is given of each row (default: `fields`).
    """

    name: str
    label: Any
    model: type
    fields: tuple[str, ...]
    case_path: str | None = None
    case_kind: str | None = None
    anonymise: dict = field(default_factory=dict)
    delete_rows: bool = False
    files: tuple[str, ...] = ()
    owner_rows: Callable[[Any], Any] | None = None
    download_fields: tuple[str, ...] = ()

    def given_fields(self) -> tuple[str, ...]:
        return self.download_fields or self.fields


@dataclass
class Registry:
    """One table per kind of contribution, keyed by name."""

    case_kinds: dict[str, CaseKind] = field(default_factory=dict)
    rule_kinds: dict[str, RuleKind] = field(default_factory=dict)
    dashboard_providers: dict[str, DashboardProvider] = field(default_factory=dict)
    export_providers: dict[str, ExportProvider] = field(default_factory=dict)
    demo_loaders: dict[str, Step] = field(default_factory=dict)
    load_generators: dict[str, Step] = field(default_factory=dict)
    hand_over_targets: dict[str, HandOverTarget] = field(default_factory=dict)
    nav_items: dict[str, NavItem] = field(default_factory=dict)
    user_assignments: dict[str, UserAssignments] = field(default_factory=dict)
    # name -> callable(person) returning the ids of cases that person is a party to;
    # housing asks them all when a resident record is linked to an account.
    person_cases: dict[str, Callable[[Any], Iterable[int]]] = field(default_factory=dict)
    # Personal data and retention: every app declares where it keeps personal data.
    personal_data: dict[str, PersonalData] = field(default_factory=dict)

    def _add(self, table: dict, item) -> None:
        if item.name in table:
            raise RegistryError(f"{item.name!r} is registered twice")
        table[item.name] = item

    def add_case_kind(self, kind: CaseKind) -> None:
        prefixes = {k.prefix for k in self.case_kinds.values()}
        if kind.prefix in prefixes:
            raise RegistryError(f"reference prefix {kind.prefix!r} is already used")
        self._add(self.case_kinds, kind)

    def add_rule_kind(self, kind: RuleKind) -> None:
        self._add(self.rule_kinds, kind)

    def case_kind_for_reference(self, reference: str) -> CaseKind | None:
        prefix = reference.split("-", 1)[0].upper()
        return next((k for k in self.case_kinds.values() if k.prefix == prefix), None)

    def add_dashboard_provider(self, provider: DashboardProvider) -> None:
        self._add(self.dashboard_providers, provider)
        if provider.by_area is not None:
            # Every league table can be exported, under the provider's own EXPORT right.
            from .breakdowns import breakdown_export

            self.add_export_provider(breakdown_export(provider))

    def add_export_provider(self, provider: ExportProvider) -> None:
        self._add(self.export_providers, provider)

    def add_demo_loader(self, step: Step) -> None:
        self._add(self.demo_loaders, step)

    def add_load_generator(self, step: Step) -> None:
        self._add(self.load_generators, step)

    def add_hand_over_target(self, target: HandOverTarget) -> None:
        self._add(self.hand_over_targets, target)

    def add_nav_item(self, item: NavItem) -> None:
        self._add(self.nav_items, item)

    def add_user_assignments(self, item: UserAssignments) -> None:
        self._add(self.user_assignments, item)

    def assignments_in_order(self) -> list[UserAssignments]:
        return sorted(self.user_assignments.values(), key=lambda a: (a.order, a.name))

    def add_person_cases(self, name: str, finder: Callable[[Any], Iterable[int]]) -> None:
        if name in self.person_cases:
            raise RegistryError(f"{name!r} is registered twice")
        self.person_cases[name] = finder

    def add_personal_data(self, entry: PersonalData) -> None:
        self._add(self.personal_data, entry)

    def hand_over_target(self, name: str) -> HandOverTarget | None:
        """The target registered under `name`, or None when its app is not installed."""
        return self.hand_over_targets.get(name)

    def nav_for(self, user) -> list[NavItem]:
        items = (i for i in self.nav_items.values() if i.visible(user))
        return sorted(items, key=lambda i: (i.order, i.name))

    def dashboard_for(self) -> list[DashboardProvider]:
        return sorted(self.dashboard_providers.values(), key=lambda p: (p.order, p.name))


def in_dependency_order(steps: dict[str, Step]) -> list[Step]:
    """Steps sorted so each runs after those it depends on; ties keep name order."""
    sorter: TopologicalSorter = TopologicalSorter()
    for name in sorted(steps):
        missing = [d for d in steps[name].depends_on if d not in steps]
        if missing:
            raise RegistryError(f"{name!r} depends on unregistered {', '.join(missing)}")
        sorter.add(name, *steps[name].depends_on)
    try:
        sorter.prepare()
    except CycleError as exc:
        raise RegistryError(f"dependency cycle: {exc.args[1]}") from exc
    ordered: list[Step] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        ordered.extend(steps[n] for n in ready)
        sorter.done(*ready)
    return ordered


def run_steps(steps: dict[str, Step], **kwargs) -> Iterable[tuple[Step, Any]]:
    """Run every step in dependency order, yielding each with what it returned."""
    for step in in_dependency_order(steps):
        yield step, step.run(**kwargs)


registry = Registry()


def case_url(case) -> str:
    """The page of a case: its kind's own detail page, else the kit's case page."""
    from django.urls import reverse

    kind = registry.case_kinds.get(case.kind)
    return reverse(kind.detail_url_name if kind else "portal:case_detail", args=[case.pk])
