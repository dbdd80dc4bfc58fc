"""Counting owners' consent to an elevator retrofit: pure functions over plain data.

No database here. `tally` counts ballots by household, by area and by owner (headcount);
`evaluate` applies one consent rule (see `elevators.rules`) to a tally. All arithmetic is
exact: integers and Decimals compared by cross-multiplication, never floats.

Headcount rule (Civil Code Art. 278 and the SPC interpretation: several flats of one owner
count as one): an owner of several flats is counted once. The owner has VOTED when any of
their flats has a ballot (agree, disagree or abstain); the owner AGREES when they voted and
every one of their flats that has a ballot says "agree". A flat of the same owner left
without a ballot does not turn the owner's agreement into disagreement: reading "all their
flats agree" as "all their flats, voted or not" would let one more "agree" lower the result
(the owner would start to count as voting but not agreeing), which no owner could foresee.
A flat with no known owner counts as an owner of its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .rules import CIVIL_CODE_278, HOUSEHOLD_SHARE, RULE_KINDS

AGREE = "agree"
DISAGREE = "disagree"
ABSTAIN = "abstain"
NOT_VOTED = "not_voted"
CHOICES = (AGREE, DISAGREE, ABSTAIN)
ZERO = Decimal(0)
TENTH = Decimal("0.1")

HEADCOUNT_RULE = gettext_lazy(
    "An owner of several flats counts once in the headcount: as voting when any of their "
    "flats voted, and as agreeing when every one of their flats that voted agrees."
)


@dataclass(frozen=True)
class Count:
    """Households and their registered area."""

    households: int = 0
    area: Decimal = ZERO

    def plus(self, area: Decimal) -> Count:
        return Count(self.households + 1, self.area + area)


@dataclass(frozen=True)
class Tally:
    """Ballots counted by household, by area, and by owner."""

    by_choice: Mapping[str, Count]
    owners: int
    owners_voting: int
    owners_agreeing: int

    @property
    def agree(self) -> Count:
        return self.by_choice[AGREE]

    @property
    def disagree(self) -> Count:
        return self.by_choice[DISAGREE]

    @property
    def abstain(self) -> Count:
        return self.by_choice[ABSTAIN]

    @property
    def not_voted(self) -> Count:
        return self.by_choice[NOT_VOTED]

    @property
    def voting(self) -> Count:
        counts = [self.by_choice[c] for c in CHOICES]
        return Count(sum(c.households for c in counts), sum((c.area for c in counts), ZERO))

    @property
    def total(self) -> Count:
        return Count(
            self.voting.households + self.not_voted.households,
            self.voting.area + self.not_voted.area,
        )

    def as_dict(self) -> dict:
        return {
            "by_choice": {
                k: {"households": v.households, "area": str(v.area)}
                for k, v in self.by_choice.items()
            },
            "owners": self.owners,
            "owners_voting": self.owners_voting,
            "owners_agreeing": self.owners_agreeing,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Tally:
        return cls(
            by_choice={
                k: Count(v["households"], Decimal(v["area"])) for k, v in data["by_choice"].items()
            },
            owners=data["owners"],
            owners_voting=data["owners_voting"],
            owners_agreeing=data["owners_agreeing"],
        )


def tally(households: Iterable[tuple], ballots: Mapping) -> Tally:
    """Count `ballots` ({household_id: "agree" | "disagree" | "abstain"}; a household not
    in it has not voted) over `households`, an iterable of (household_id, owner_key,
    area). Ballots of households not listed are not counted. See the module docstring for
    how an owner of several flats counts in the headcount."""
    by_choice = {c: Count() for c in (*CHOICES, NOT_VOTED)}
    # owner_key -> (voted any flat, every voted flat agrees)
    owners: dict = {}
    for household_id, owner_key, area in households:
        choice = ballots.get(household_id, NOT_VOTED)
        if choice not in by_choice:
            raise ValueError(f"unknown ballot choice {choice!r}")
        by_choice[choice] = by_choice[choice].plus(Decimal(area))
        voted, all_agree = owners.get(owner_key, (False, True))
        if choice != NOT_VOTED:
            voted, all_agree = True, all_agree and choice == AGREE
        owners[owner_key] = (voted, all_agree)
    return Tally(
        by_choice=by_choice,
        owners=len(owners),
        owners_voting=sum(1 for voted, _agree in owners.values() if voted),
        owners_agreeing=sum(1 for voted, agree in owners.values() if voted and agree),
    )


def percent(numerator, denominator) -> Decimal | None:
    """`numerator / denominator` in per cent to one decimal, for display only."""
    if not denominator:
        return None
    return (Decimal(numerator) * 100 / Decimal(denominator)).quantize(TENTH)


def plain(number: Decimal) -> str:
    """`80` for Decimal("80.00"), `66.5` for Decimal("66.50"): no exponent, no trailing 0."""
    return f"{number.normalize():f}"


def reaches(numerator, denominator, required_numerator, required_denominator) -> bool:
    """numerator / denominator ≥ required_numerator / required_denominator, exactly; an
    empty denominator never reaches a positive requirement."""
    if not denominator:
        return False
    return numerator * required_denominator >= required_numerator * denominator


CONDITION_TEXT = {
    "share": gettext_lazy(
        "%(numerator)s of %(denominator)s households agree (%(percent)s%%); "
        "%(required)s must agree."
    ),
    "turnout_area": gettext_lazy(
        "Owners of %(numerator)s of %(denominator)s m² voted (%(percent)s%%); "
        "%(required)s of the area must vote."
    ),
    "turnout_headcount": gettext_lazy(
        "%(numerator)s of %(denominator)s owners voted (%(percent)s%%); "
        "%(required)s of the owners must vote."
    ),
    "approval_area": gettext_lazy(
        "Owners agreeing hold %(numerator)s of the %(denominator)s m² that voted "
        "(%(percent)s%%); %(required)s of it must agree."
    ),
    "approval_headcount": gettext_lazy(
        "%(numerator)s of the %(denominator)s owners who voted agree (%(percent)s%%); "
        "%(required)s of them must agree."
    ),
}


@dataclass(frozen=True)
class Condition:
    """One requirement of a rule, with the numbers it was decided on."""

    code: str
    numerator: int | Decimal
    denominator: int | Decimal
    required: str  # for display: "80%", "2/3", "3/4"
    met: bool

    @property
    def percent(self) -> Decimal | None:
        return percent(self.numerator, self.denominator)

    @property
    def text(self) -> str:
        return CONDITION_TEXT[self.code] % {
            "numerator": self.numerator,
            "denominator": self.denominator,
            "percent": self.percent if self.percent is not None else "—",
            "required": self.required,
        }

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "numerator": str(self.numerator),
            "denominator": str(self.denominator),
            "required": self.required,
            "met": self.met,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Condition:
        def number(text: str):
            return Decimal(text) if "." in text else int(text)

        return cls(
            code=data["code"],
            numerator=number(data["numerator"]),
            denominator=number(data["denominator"]),
            required=data["required"],
            met=data["met"],
        )


@dataclass(frozen=True)
class Result:
    """A rule applied to a tally: passed or not, and each condition with its numbers."""

    kind: str
    conditions: tuple[Condition, ...] = field(default_factory=tuple)
    threshold_percent: Decimal | None = None

    @property
    def passed(self) -> bool:
        return bool(self.conditions) and all(c.met for c in self.conditions)

    @property
    def label(self) -> str:
        name = str(RULE_KINDS.get(self.kind, self.kind))
        if self.threshold_percent is not None:
            return _("%(rule)s, %(threshold)s%%") % {
                "rule": name,
                "threshold": plain(self.threshold_percent),
            }
        return name

    @property
    def explanation(self) -> str:
        verdict = (
            _("Passed: every condition is met.")
            if self.passed
            else _("Not passed: %(count)s of %(total)s conditions are not met.")
            % {
                "count": sum(1 for c in self.conditions if not c.met),
                "total": len(self.conditions),
            }
        )
        return " ".join([verdict, *(c.text for c in self.conditions)])

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "passed": self.passed,
            "threshold_percent": (
                None if self.threshold_percent is None else str(self.threshold_percent)
            ),
            "conditions": [c.as_dict() for c in self.conditions],
        }

    @classmethod
    def from_dict(cls, data: dict) -> Result:
        threshold = data.get("threshold_percent")
        return cls(
            kind=data["kind"],
            conditions=tuple(Condition.from_dict(c) for c in data["conditions"]),
            threshold_percent=None if threshold is None else Decimal(threshold),
        )


def evaluate(rule: dict, counted: Tally) -> Result:
    """Apply one consent rule ({"kind": ..., ...}, see `elevators.rules`) to a tally.

    household_share: agreeing households ÷ all the unit's households ≥ threshold_percent;
    abstention and silence do not agree. civil_code_278: the area and the headcount that
    voted are each ≥ 2/3 of the whole, and the area and the headcount agreeing are each
    ≥ 3/4 of those that voted.
    """
    kind = rule.get("kind")
    if kind == HOUSEHOLD_SHARE:
        threshold = Decimal(str(rule["threshold_percent"]))
        agree, total = counted.agree.households, counted.total.households
        return Result(
            kind=kind,
            threshold_percent=threshold,
            conditions=(
                Condition(
                    code="share",
                    numerator=agree,
                    denominator=total,
                    required=f"{plain(threshold)}%",
                    met=reaches(agree, total, threshold, 100),
                ),
            ),
        )
    if kind == CIVIL_CODE_278:
        voting, total = counted.voting, counted.total
        pairs = (
            ("turnout_area", voting.area, total.area, 2, 3),
            ("turnout_headcount", counted.owners_voting, counted.owners, 2, 3),
            ("approval_area", counted.agree.area, voting.area, 3, 4),
            ("approval_headcount", counted.owners_agreeing, counted.owners_voting, 3, 4),
        )
        return Result(
            kind=kind,
            conditions=tuple(
                Condition(
                    code=code,
                    numerator=numerator,
                    denominator=denominator,
                    required=f"{need}/{of}",
                    met=reaches(numerator, denominator, need, of),
                )
                for code, numerator, denominator, need, of in pairs
            ),
        )
    raise ValueError(f"unknown consent rule {kind!r}")


def evaluate_all(payload: dict, counted: Tally) -> list[tuple[dict, Result]]:
    """Every rule of a consent payload ({"rules": [...], "governing": i}) applied."""
    return [(rule, evaluate(rule, counted)) for rule in payload["rules"]]


def mask_room(room_number: str, floor: int) -> str:
    """A room number with only its floor shown (`301` → `3**`), for residents' eyes."""
    shown = str(floor) if room_number.startswith(str(floor)) else room_number[:1]
    return shown + "*" * (len(room_number) - len(shown))
