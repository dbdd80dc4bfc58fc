"""The stages of an elevator project: their order, the moves allowed between them, and
the checklist each stage needs (DOMAIN.md Part 3 §1.2). Data only; the rules that use
it live in `services/stages.py`."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .models import IN_PREPARATION, IN_USE, UNDER_CONSTRUCTION, Stage

# The stages a project goes through, in order.
ORDER: tuple[str, ...] = (
    Stage.INTENT,
    Stage.VOTING,
    Stage.CONSENT_REACHED,
    Stage.PUBLIC_NOTICE,
    Stage.APPROVAL,
    Stage.CONSTRUCTION,
    Stage.ACCEPTANCE,
    Stage.IN_USE,
)
# Stages a project may be suspended or cancelled from: the elevator in use is finished.
LIVE: tuple[str, ...] = ORDER[:-1]

# The public notice lasts at least this many full days before approval is sought.
NOTICE_DAYS = 20
# Use registration is due within this many days of starting use; staff are reminded
# this many days after the elevator is in use.
USE_REGISTRATION_DAYS = 30
USE_REGISTRATION_REMINDER_DAYS = 25

SITE_SURVEY = "site_survey"
SAFETY_APPRAISAL = "safety_appraisal"
PLANNING_PERMIT = "planning_permit"
ACCEPTANCE_INSPECTION = "acceptance_inspection"
USE_REGISTRATION = "use_registration"


@dataclass(frozen=True)
class ChecklistRequirement:
    """A document or step: `before` is the stage it must be present to enter; `after`
    the stage once in which it is due (it then never blocks a move)."""

    code: str
    label: object
    before: str = ""
    after: str = ""

    @property
    def stage(self) -> str:
        return self.before or self.after


CHECKLIST: tuple[ChecklistRequirement, ...] = (
    ChecklistRequirement(SITE_SURVEY, _("Joint site survey (联合踏勘)"), before=Stage.APPROVAL),
    ChecklistRequirement(SAFETY_APPRAISAL, _("House safety appraisal"), before=Stage.APPROVAL),
    ChecklistRequirement(
        PLANNING_PERMIT, _("Planning permit or filing (规划许可或备案)"), before=Stage.CONSTRUCTION
    ),
    ChecklistRequirement(
        ACCEPTANCE_INSPECTION,
        _("Acceptance inspection (监督检验/竣工验收)"),
        before=Stage.IN_USE,
    ),
    ChecklistRequirement(
        USE_REGISTRATION, _("Use registration (within 30 days of use)"), after=Stage.IN_USE
    ),
)
CHECKLIST_BY_CODE = {item.code: item for item in CHECKLIST}


def required_to_enter(stage: str) -> list[ChecklistRequirement]:
    """The checklist items that must be recorded before a project enters `stage`."""
    return [item for item in CHECKLIST if item.before == stage]


def next_stage(stage: str) -> str | None:
    """The stage after `stage` in order; None at the end or off the order."""
    if stage not in ORDER:
        return None
    index = ORDER.index(stage)
    return ORDER[index + 1] if index + 1 < len(ORDER) else None


def allowed_moves(stage: str, resume_to: str | None = None) -> list[str]:
    """Where a project in `stage` may go: the next stage, or suspended / cancelled from a
    live stage; a suspended project back to `resume_to` (the stage it left) or cancelled."""
    if stage == Stage.SUSPENDED:
        return [s for s in (resume_to, Stage.CANCELLED) if s]
    if stage not in LIVE:
        return []
    return [next_stage(stage), Stage.SUSPENDED, Stage.CANCELLED]


def counting_group(stage: str):
    """The group the source counts a stage in, as a label; None for suspended/cancelled."""
    if stage in IN_PREPARATION:
        return _("in preparation")
    if stage in UNDER_CONSTRUCTION:
        return _("under construction")
    if stage in IN_USE:
        return _("in use")
    return None


__all__ = [
    "CHECKLIST",
    "CHECKLIST_BY_CODE",
    "LIVE",
    "NOTICE_DAYS",
    "ORDER",
    "USE_REGISTRATION_DAYS",
    "USE_REGISTRATION_REMINDER_DAYS",
    "ChecklistRequirement",
    "allowed_moves",
    "counting_group",
    "next_stage",
    "required_to_enter",
]
