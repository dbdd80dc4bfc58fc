"""Inspections (DOMAIN.md Part 1 §4, Part 3 §5): "at most one visit" is one inspection of
a site by one team and several departments, with one checklist of the criteria that
apply to the site's type. Every answer is saved as it is given; a failed criterion opens
a finding (case kind "civility.finding"), and turning it back to pass before the
inspection is finished withdraws that finding.

Withdrawing closes the finding's case with the status "withdrawn" and a timeline entry
saying why (measures leave these out, see `withdrawn_q` in findings.py). Answering
"fail" again reopens the same finding, as an inspection holds one finding per criterion.
Once a finding has a resolution or is in an order it is being worked on, and the answer
can no longer be turned to pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.errors import field_error
from portal.models import Area, Membership, Organisation, User
from portal.roles import Action, AreaLevel, OrganisationType, Programme, Role
from portal.rules import ancestor_paths
from portal.scope import active_memberships, may_at, paths_above, reach, require, under_paths_q
from portal.services import cases as kit
from portal.services.attachments import attachment_add

from ..models import (
    Answer,
    Category,
    CriteriaSet,
    Criterion,
    Finding,
    FindingStatus,
    Inspection,
    Mode,
    Result,
    Site,
)
from .criteria import applicable_criteria, criteria_in_force

KIND = "civility.inspection"
FINDING_KIND = "civility.finding"
NOTE_MAX = 500


def _applicable(inspection: Inspection) -> list[Criterion]:
    """The checklist's criteria, by category and code."""
    return list(
        applicable_criteria(inspection.criteria_set, inspection.site.type).order_by(
            "category", "code"
        )
    )


# --- Who ---------------------------------------------------------------------------------


def works_inspections(user) -> bool:
    """Staff and officers who reach inspections by area (organisation members never do)."""
    r = reach(user, KIND, Action.VIEW)
    return r.everything or bool(r.area_paths)


def may_start(user) -> bool:
    r = reach(user, KIND, Action.CREATE)
    return r.everything or bool(r.area_paths)


def in_nav(user) -> bool:
    """The menu shows inspections and findings to civility programme officers (and
    superusers); from the memberships already loaded, no query."""
    if getattr(user, "is_superuser", False):
        return True
    return any(
        m.role == Role.PROGRAMME_OFFICER and m.programme == Programme.CIVILITY
        for m in active_memberships(user)
    )


def may_work_on(user, inspection: Inspection) -> bool:
    return may_at(user, Action.CHANGE, KIND, inspection.site.area)


def sites_for(user):
    """Sites the user may start an inspection at."""
    r = reach(user, KIND, Action.CREATE)
    sites = Site.objects.visible_to(user).select_related("area", "responsible_unit")
    if r.everything:
        return sites
    return sites.filter(under_paths_q(r.area_paths, "area__path"))


def inspectors_for(user):
    """Colleagues who may be on the team: civility officers and area staff within the
    user's reach, and the user."""
    r = reach(user, KIND, Action.CREATE)
    members = Membership.objects.active().filter(
        Q(role=Role.PROGRAMME_OFFICER, programme=Programme.CIVILITY)
        | Q(role__in=[Role.COMMUNITY_STAFF, Role.PARTY_SECRETARY, Role.SUBDISTRICT_STAFF])
    )
    if not r.everything:
        members = members.filter(under_paths_q(r.area_paths, "area__path"))
    return (
        User.objects.filter(is_active=True)
        .filter(Q(pk__in=members.values("user_id")) | Q(pk=user.pk))
        .order_by("display_name", "username")
    )


def departments_for(user):
    """Departments (market supervision, law enforcement, fire, …) placed in or above the
    user's reach."""
    r = reach(user, KIND, Action.CREATE)
    departments = Organisation.objects.filter(type=OrganisationType.DEPARTMENT)
    if r.everything:
        return departments.order_by("name")
    above = set(r.area_paths) | paths_above(r.area_paths)
    return departments.filter(
        under_paths_q(r.area_paths, "area__path") | Q(area__path__in=sorted(above))
    ).order_by("name")


# --- Starting -----------------------------------------------------------------------------


@transaction.atomic
def inspection_start(
    *,
    actor,
    site: Site,
    mode: str,
    inspected_on: date,
    inspectors=(),
    departments=(),
    criteria_set: CriteriaSet | None = None,
    now=None,
) -> Inspection:
    """An inspection of `site` on `inspected_on` under the criteria set in force there
    (or the one chosen); the actor is on the team."""
    now = now or timezone.now()
    if actor is None or not may_at(actor, Action.CREATE, KIND, site.area):
        raise PermissionDenied
    if mode not in Mode.values:
        raise field_error("mode", _("Choose how the site is inspected."), "mode")
    if inspected_on is None:
        raise field_error("inspected_on", _("Give the date of the inspection."), "required")
    if criteria_set is None:
        criteria_set = criteria_in_force(site.area, inspected_on)
        if criteria_set is None:
            raise field_error(
                "criteria_set",
                _("No criteria set is in force for this site's area on %(date)s.")
                % {"date": inspected_on.isoformat()},
                "no_criteria",
            )
    else:
        if criteria_set.area.path not in ancestor_paths(site.area):
            raise field_error(
                "criteria_set",
                _("This criteria set does not cover the site's area."),
                "other_area",
            )
        if criteria_set.valid_from > inspected_on:
            raise field_error(
                "criteria_set",
                _("This criteria set is only in force from %(date)s.")
                % {"date": criteria_set.valid_from.isoformat()},
                "not_yet",
            )
    team = {u.pk: u for u in inspectors}
    team[actor.pk] = actor
    for user in team.values():
        if not user.is_active or not may_at(user, Action.VIEW, KIND, site.area):
            raise field_error(
                "inspectors",
                _("%(name)s cannot work on inspections at this site.") % {"name": user},
                "inspector_scope",
            )
    departments = list(departments)
    if any(d.type != OrganisationType.DEPARTMENT for d in departments):
        raise field_error("departments", _("Choose government departments."), "not_department")
    inspection = Inspection.objects.create(
        site=site,
        criteria_set=criteria_set,
        mode=mode,
        inspected_on=inspected_on,
        started_by=actor,
        started_at=now,
    )
    inspection.inspectors.set(team.values())
    inspection.departments.set(departments)
    return inspection


# --- The checklist ------------------------------------------------------------------------


@dataclass
class Item:
    criterion: Criterion
    answer: Answer | None
    finding: Finding | None
    # The posted form with its errors, when the page comes back after a refusal.
    form: object = None


def checklist(inspection: Inspection) -> list[dict]:
    """The applicable criteria grouped by category, each with its answer and finding:
    three queries whatever the length."""
    criteria = _applicable(inspection)
    answers = {a.criterion_id: a for a in inspection.answers.all()}
    findings = {
        f.criterion_id: f for f in inspection.findings.select_related("case").order_by("pk")
    }
    groups: dict[str, list[Item]] = {}
    for criterion in criteria:
        groups.setdefault(criterion.category, []).append(
            Item(criterion, answers.get(criterion.pk), findings.get(criterion.pk))
        )
    labels = dict(Category.choices)
    return [
        {"category": category, "label": labels.get(category, category), "items": items}
        for category, items in sorted(
            groups.items(),
            key=lambda kv: (
                list(Category.values).index(kv[0])
                if kv[0] in Category.values
                else len(Category.values)
            ),
        )
    ]


def finding_community(area: Area) -> Area:
    """The community a finding's case is placed in. The case kit places every case in a
    community: a site in a community (or a grid of it) uses that community; a site
    placed higher up (a subdistrict's street, a city's market) uses the first community
    under its area, so the city's and subdistrict's staff reach it as before."""
    if area.level == AreaLevel.COMMUNITY:
        return area
    if area.level == AreaLevel.GRID:
        community = Area.objects.filter(
            path__in=ancestor_paths(area), level=AreaLevel.COMMUNITY
        ).first()
        if community is not None:
            return community
    community = (
        Area.objects.filter(path__startswith=area.path, level=AreaLevel.COMMUNITY)
        .order_by("path")
        .first()
    )
    if community is None:
        raise ValidationError(
            _("The site's area has no community to place the finding in."), code="no_community"
        )
    return community


@dataclass
class Saved:
    """What saving an answer did."""

    answer: Answer
    finding: Finding | None
    changed: bool


def _lock(inspection: Inspection) -> Inspection:
    locked = Inspection.objects.select_for_update().get(pk=inspection.pk)
    inspection.finished_at = locked.finished_at
    return inspection


def _check_criterion(inspection: Inspection, criterion: Criterion) -> None:
    if criterion.criteria_set_id != inspection.criteria_set_id or inspection.site.type not in (
        criterion.site_types or []
    ):
        raise field_error(
            "criterion",
            _("This criterion is not on this site's checklist."),
            "not_applicable",
        )


@transaction.atomic
def answer_save(
    *,
    actor,
    inspection: Inspection,
    criterion: Criterion,
    result: str,
    note: str = "",
    photo=None,
    now=None,
) -> Saved:
    """Save one criterion's answer as it is given (an upsert: the same answer twice
    changes nothing). Fail opens the finding (or reopens a withdrawn one); pass or not
    applicable withdraws a finding nobody has worked on yet."""
    require(actor, Action.CHANGE, inspection)
    now = now or timezone.now()
    _lock(inspection)
    if inspection.finished_at:
        raise ValidationError(
            _("The inspection is finished; its answers can no longer change."), code="finished"
        )
    if result not in Result.values:
        raise field_error("result", _("Choose pass, fail or not applicable."), "result")
    _check_criterion(inspection, criterion)
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise field_error(
            "note",
            _("Keep the note to %(max)s characters.") % {"max": NOTE_MAX},
            "note_length",
        )
    if photo and result != Result.FAIL:
        raise field_error("photo", _("Photos are kept with a failed item."), "photo_not_fail")
    answer = Answer.objects.filter(inspection=inspection, criterion=criterion).first()
    finding = (
        Finding.objects.select_related("case")
        .filter(inspection=inspection, criterion=criterion)
        .first()
    )
    if answer and answer.result == result and answer.note == note and not photo:
        return Saved(answer, finding, changed=False)
    if result != Result.FAIL and finding is not None and not finding.case.closed_at:
        if finding.resolution or finding.order_id or finding.case.status != FindingStatus.OPEN:
            raise field_error(
                "result",
                _("Finding %(reference)s is already being dealt with; it stays a failure.")
                % {"reference": finding.case.reference},
                "finding_in_hand",
            )
    if answer is None:
        answer = Answer.objects.create(
            inspection=inspection,
            criterion=criterion,
            result=result,
            note=note,
            answered_by=actor,
            answered_at=now,
        )
    else:
        answer.result, answer.note, answer.answered_by, answer.answered_at = (
            result,
            note,
            actor,
            now,
        )
        answer.save(update_fields=["result", "note", "answered_by", "answered_at"])
    if result == Result.FAIL:
        finding = _finding_for_failure(actor, inspection, criterion, finding, note, now)
        if photo:
            attachment_add(case=finding.case, actor=actor, upload=photo, is_public=False)
    elif finding is not None and not finding.case.closed_at:
        kit.case_close(
            case=finding.case,
            actor=actor,
            status=FindingStatus.WITHDRAWN,
            comment=_("Withdrawn: the answer was changed to “%(result)s” during the inspection.")
            % {"result": Result(result).label},
            now=now,
        )
    return Saved(answer, finding, changed=True)


def finding_title(criterion: Criterion, site: Site) -> str:
    title = _("%(code)s %(criterion)s — %(site)s") % {
        "code": criterion.code,
        "criterion": criterion.text.strip()[:120],
        "site": site.name,
    }
    return title[:200]


def _finding_for_failure(actor, inspection, criterion, finding, note, now) -> Finding:
    if finding is not None:
        if finding.case.closed_at and not finding.resolution:
            kit.case_reopen(
                case=finding.case,
                actor=actor,
                reason=_("The item was answered “fail” again during the inspection."),
                now=now,
            )
        return finding
    site = inspection.site
    case = kit.case_open(
        kind=FINDING_KIND,
        actor=actor,
        community=finding_community(site.area),
        title=finding_title(criterion, site),
        comment=note,
        now=now,
    )
    # The inspector follows it up; the responsible unit sees and answers for it.
    kit.case_assign(
        case=case,
        actor=actor,
        handler=actor,
        organisation=site.responsible_unit,
        comment=_("Found at %(site)s during the inspection of %(date)s.")
        % {"site": site.name, "date": inspection.inspected_on.isoformat()},
        now=now,
    )
    return Finding.objects.create(case=case, inspection=inspection, criterion=criterion, site=site)


# --- Finishing --------------------------------------------------------------------------


@transaction.atomic
def inspection_finish(*, actor, inspection: Inspection, now=None) -> Inspection:
    """Close the checklist once every applicable item is answered (idempotent)."""
    require(actor, Action.CHANGE, inspection)
    now = now or timezone.now()
    _lock(inspection)
    if inspection.finished_at:
        return inspection
    applicable = {c.pk for c in _applicable(inspection)}
    answered = set(inspection.answers.values_list("criterion_id", flat=True))
    left = len(applicable - answered)
    if left:
        raise ValidationError(
            _(
                "%(count)s items are not answered yet: answer each, or mark it "
                "not applicable, before finishing."
            )
            % {"count": left},
            code="unanswered",
        )
    inspection.finished_at = now
    inspection.save(update_fields=["finished_at"])
    return inspection


__all__ = [
    "answer_save",
    "checklist",
    "finding_community",
    "inspection_finish",
    "inspection_start",
]
