"""Retention: personal data of closed cases is anonymised once its time has passed.

The rule kind `portal.retention` says, per case kind, how many years after closing a
case keeps its personal data. What "personal data" means is read from the registry
(`PersonalData` declarations); the case row itself stays with its kind, status, dates,
community and figures, so every dashboard count is unchanged. A case is marked by
`anonymised_at`, so a second pass finds nothing left to do.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..models import Area, Case, RetentionRun, RuleSet, TimelineEntry
from ..personal import ANONYMISED
from ..registry import PersonalData, registry
from ..rules import ancestor_paths

log = logging.getLogger(__name__)

RULE_KIND = "portal.retention"
ANONYMISE = "anonymise"
KEEP = "keep"
CHUNK = 500

DEFAULT_RETENTION = {"kinds": {}, "default": {"years": 5, "action": ANONYMISE}}


# --- The rule kind ----------------------------------------------------------------


class RetentionForm(forms.Form):
    """How long one kind of closed case keeps its personal data."""

    years = forms.IntegerField(label=_("Years after closing"), min_value=1, max_value=100)
    action = forms.ChoiceField(
        label=_("Then"),
        choices=[(ANONYMISE, _("anonymise")), (KEEP, _("keep"))],
    )


def _valid_entry(entry, where: str) -> dict:
    if not isinstance(entry, dict):
        raise ValidationError(
            _("%(where)s: give years and action."), code="entry", params={"where": where}
        )
    form = RetentionForm(data=entry)
    if not form.is_valid():
        messages = [f"{where}: {m}" for errors in form.errors.values() for m in errors]
        raise ValidationError(messages, code="entry")
    return form.cleaned_data


def kind_keys() -> set[str]:
    """What a key of `kinds` may name: a case kind, its reference prefix or its app."""
    keys = set()
    for kind in registry.case_kinds.values():
        keys |= {kind.name, kind.prefix, kind.name.split(".", 1)[0]}
    return keys


def validate_retention(payload: dict) -> dict:
    """The payload with every entry checked; unknown kinds are refused."""
    unknown = set(payload) - {"kinds", "default"}
    if unknown:
        raise ValidationError(
            _("Unknown keys: %(keys)s."), code="keys", params={"keys": ", ".join(sorted(unknown))}
        )
    kinds = payload.get("kinds", {})
    if not isinstance(kinds, dict):
        raise ValidationError(_("“kinds” must map case kinds to entries."), code="kinds")
    known = kind_keys()
    cleaned = {}
    for key, entry in kinds.items():
        if key not in known:
            raise ValidationError(
                _("“%(key)s” is not a case kind, reference prefix or app."),
                code="kind",
                params={"key": key},
            )
        cleaned[key] = _valid_entry(entry, key)
    return {
        "kinds": cleaned,
        "default": _valid_entry(payload.get("default", DEFAULT_RETENTION["default"]), "default"),
    }


def entry_for(payload: dict, kind_name: str) -> dict:
    """The entry governing `kind_name`: its own name, then its prefix, its app, the default."""
    kind = registry.case_kinds[kind_name]
    kinds = payload.get("kinds", {})
    for key in (kind.name, kind.prefix, kind.name.split(".", 1)[0]):
        if key in kinds:
            return kinds[key]
    return payload.get("default", DEFAULT_RETENTION["default"])


# --- Which rule governs which community ---------------------------------------------


def _rules_in_force(now) -> dict:
    """{area path or None: the rule set in force there} for every area that has one."""
    best: dict = {}
    for rule_set in RuleSet.objects.filter(kind=RULE_KIND, valid_from__lte=now).select_related(
        "area"
    ):
        path = rule_set.area.path if rule_set.area_id else None
        current = best.get(path)
        if current is None or (rule_set.valid_from, rule_set.version) > (
            current.valid_from,
            current.version,
        ):
            best[path] = rule_set
    return best


def community_groups(community_ids, now) -> dict:
    """Communities grouped by the retention rule set in force for them (None: built-in).

    The same walk up the tree as `rule_in_force`, done for all communities at once.
    """
    in_force = _rules_in_force(now)
    groups: dict = {}
    for pk, path in Area.objects.filter(pk__in=community_ids).values_list("pk", "path"):
        area = Area(pk=pk, path=path)
        rule_set = next(
            (in_force[p] for p in reversed(ancestor_paths(area)) if p in in_force),
            in_force.get(None),
        )
        groups.setdefault(rule_set, []).append(pk)
    return groups


def years_before(moment: datetime, years: int) -> datetime:
    """The same wall-clock moment `years` earlier (29 February becomes the 28th)."""
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:
        return moment.replace(year=moment.year - years, day=28)


# --- Anonymising ----------------------------------------------------------------------


def replacement(entry: PersonalData, name: str):
    """What field `name` of `entry` holds once anonymised: declared, or its type's default."""
    if name in entry.anonymise:
        return entry.anonymise[name]
    field = entry.model._meta.get_field(name)
    if isinstance(field, models.FileField):
        return ""
    if field.is_relation:
        if not field.null:
            raise ValueError(f"{entry.name}: {name} cannot be emptied; declare a replacement")
        return None
    if isinstance(field, (models.CharField, models.TextField)):
        fits = field.max_length is None or field.max_length >= len(ANONYMISED)
        return ANONYMISED if fits else ""
    if isinstance(field, models.JSONField):
        return field.get_default()
    return None if field.null else field.get_default()


def _remove_files(entry: PersonalData, rows) -> None:
    """Empty the entry's file fields; the files go once the transaction has committed."""
    for name in entry.files:
        storage = entry.model._meta.get_field(name).storage
        paths = [p for p in rows.exclude(**{name: ""}).values_list(name, flat=True) if p]
        if not paths:
            continue
        rows.update(**{name: ""})

        def delete(storage=storage, paths=paths):
            for path in paths:
                try:
                    storage.delete(path)
                except OSError:
                    log.warning("retention: could not delete a file", exc_info=True)

        transaction.on_commit(delete)


def _anonymise_rows(entry: PersonalData, rows) -> int:
    """Apply `entry` to `rows`; returns how many rows were deleted (link rows only)."""
    if entry.delete_rows:
        return rows.delete()[0]
    _remove_files(entry, rows)
    values = {n: replacement(entry, n) for n in entry.fields if n not in entry.files}
    fixed = {n: v for n, v in values.items() if not callable(v)}
    computed = {n: v for n, v in values.items() if callable(v)}
    texts = {n: v for n, v in fixed.items() if isinstance(v, str) and v}
    others = {n: v for n, v in fixed.items() if n not in texts}
    # An empty text stays empty: "(anonymised)" would claim something had been written.
    for name, value in texts.items():
        rows.exclude(**{name: ""}).update(**{name: value})
    if others:
        rows.update(**others)
    if computed:
        changed = list(rows)
        for row in changed:
            for name, make in computed.items():
                setattr(row, name, make(row))
        entry.model._base_manager.bulk_update(changed, list(computed), batch_size=CHUNK)
    return 0


@transaction.atomic
def cases_anonymise(*, case_ids, kind: str, note: str, now=None) -> tuple[list[int], int]:
    """Anonymise the personal data of these cases of `kind` through every declaration.

    Returns (the cases anonymised now, rows deleted). Cases already anonymised (by a
    concurrent or earlier pass) are skipped: the rows are locked first.
    """
    now = now or timezone.now()
    ids = list(
        Case.objects.select_for_update()
        .filter(pk__in=list(case_ids), kind=kind, closed_at__isnull=False)
        .filter(anonymised_at__isnull=True)
        .values_list("pk", flat=True)
    )
    if not ids:
        return [], 0
    deleted = 0
    for entry in registry.personal_data.values():
        if entry.case_path is None or entry.case_kind not in (None, kind):
            continue
        rows = entry.model._base_manager.filter(**{f"{entry.case_path}__in": ids})
        deleted += _anonymise_rows(entry, rows)
    Case.objects.filter(pk__in=ids).update(anonymised_at=now)
    # Written after the timeline's comments were emptied, so it stays.
    TimelineEntry.objects.bulk_create(
        TimelineEntry(case_id=pk, verb=TimelineEntry.Verb.COMMENTED, comment=note, at=now)
        for pk in ids
    )
    return ids, deleted


def retention_scan(*, now=None) -> list[RetentionRun]:
    """One pass over every case kind: anonymise what has passed its time, log each group.

    Expired cases are found per kind and per group of communities sharing a rule set,
    one query each; they are anonymised in chunks, one transaction per chunk.
    """
    now = now or timezone.now()
    candidates = (
        Case.objects.filter(closed_at__isnull=False)
        .filter(anonymised_at__isnull=True)
        .values_list("community_id", flat=True)
        .distinct()
    )
    groups = community_groups(set(candidates), now)
    runs = []
    for kind_name in sorted(registry.case_kinds):
        for rule_set, communities in groups.items():
            payload = rule_set.payload if rule_set else DEFAULT_RETENTION
            entry = entry_for(payload, kind_name)
            if entry["action"] != ANONYMISE:
                continue
            cutoff = years_before(now, int(entry["years"]))
            expired = list(
                Case.objects.filter(
                    kind=kind_name, community_id__in=communities, closed_at__lt=cutoff
                )
                .filter(anonymised_at__isnull=True)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            version = rule_set.version if rule_set else None
            with translation.override(settings.LANGUAGE_CODE):
                note = gettext(
                    "Personal data removed: the retention time had passed "
                    "(rule version %(version)s)."
                ) % {"version": version or "—"}
            anonymised = deleted = 0
            for start in range(0, len(expired), CHUNK):
                done, gone = cases_anonymise(
                    case_ids=expired[start : start + CHUNK], kind=kind_name, note=note, now=now
                )
                anonymised += len(done)
                deleted += gone
            runs.append(
                RetentionRun.objects.create(
                    case_kind=kind_name,
                    rule_version=version,
                    cutoff=cutoff,
                    anonymised=anonymised,
                    deleted=deleted,
                    at=now,
                )
            )
    return runs
