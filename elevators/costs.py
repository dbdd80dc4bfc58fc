"""Cost sharing arithmetic: floor coefficient × area, normalised to the fen (pure, no ORM).

The rounding rule, stated once and printed on every schedule: each household's exact
share is rounded DOWN to the fen; the fen left over (the amount less the rounded shares)
go one each to the households with the largest dropped fractions of a fen, ties to the
higher floor, then to the household registered first (the lower household id). So the
shares always add up to the amount exactly, and the same households give the same lines
whatever order they come in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

FEN = Decimal("0.01")


@dataclass(frozen=True)
class Line:
    """One household's share of a schedule, with the numbers that make it."""

    household_id: int
    floor: int
    area: Decimal
    coefficient: Decimal
    weight: Decimal
    share: Fraction
    amount: Decimal
    formula: str


def _decimal(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _fen(amount: Decimal) -> int:
    """The amount in whole fen; refuses negative amounts and fractions of a fen."""
    fen = _decimal(amount) * 100
    if fen < 0:
        raise ValueError(f"The amount to share cannot be negative ({amount}).")
    if fen != fen.to_integral_value():
        raise ValueError(f"The amount {amount} is not a whole number of fen.")
    return int(fen)


def _plain(value: Decimal) -> str:
    """A coefficient as people write it: 0.9, 1, 0 (no trailing zeros, no exponent)."""
    return f"{value.normalize():f}"


def _money(value: Decimal, places: int = 2) -> str:
    """400,000.00; more places only when the value has them (a weight like 42.385)."""
    value = value.normalize()
    exponent = value.as_tuple().exponent
    places = max(places, -exponent) if isinstance(exponent, int) else places
    return f"{value:,.{places}f}"


def _from_fen(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(FEN)


def shares(
    households: Iterable[tuple[int, int, Decimal]],
    amount: Decimal,
    coefficients: Mapping[int, Decimal],
) -> list[Line]:
    """Split `amount` between `households` ((household_id, floor, area) triples) by
    weight = coefficient(floor) × area: share = weight ÷ Σweight × amount, exact.

    Each share is rounded down to the fen; the remaining fen go one each to the largest
    fractional remainders, ties to the higher floor, then to the lower household id.
    Households whose coefficient is 0 pay 0. Lines come ordered by floor, then id.
    Raises ValueError when a floor has no coefficient, a coefficient is negative, a
    household appears twice, or no household has a positive weight.
    """
    rows = sorted(
        ((int(h), int(f), _decimal(a)) for h, f, a in households), key=lambda r: (r[1], r[0])
    )
    if len({r[0] for r in rows}) != len(rows):
        raise ValueError("A household appears twice.")
    amount_fen = _fen(amount)
    weighed = []
    for household_id, floor, area in rows:
        if floor not in coefficients:
            raise ValueError(f"Floor {floor} has no coefficient.")
        coefficient = _decimal(coefficients[floor])
        if coefficient < 0:
            raise ValueError(f"The coefficient of floor {floor} is negative.")
        weight = Fraction(coefficient) * Fraction(area)
        weighed.append((household_id, floor, area, coefficient, weight))
    total = sum((w for *_rest, w in weighed), Fraction(0))
    if total <= 0:
        raise ValueError("No household has a positive weight: nobody would pay.")

    exact = {h: w / total * amount_fen for h, _f, _a, _c, w in weighed}  # in fen
    rounded = {h: share.numerator // share.denominator for h, share in exact.items()}
    left_over = amount_fen - sum(rounded.values())
    # Largest dropped fraction first; ties to the higher floor, then the lower id.
    order = sorted(
        ((h, f) for h, f, _a, _c, w in weighed if w > 0),
        key=lambda hf: (-(exact[hf[0]] - rounded[hf[0]]), -hf[1], hf[0]),
    )
    for household_id, _floor in order[:left_over]:
        rounded[household_id] += 1

    total_text = _money(sum((c * a for _h, _f, a, c, _w in weighed), Decimal(0)))
    amount_text = _money(_decimal(amount), 2)
    return [
        Line(
            household_id=h,
            floor=f,
            area=a,
            coefficient=c,
            weight=c * a,
            share=exact[h] / 100,
            amount=_from_fen(rounded[h]),
            formula=f"{_plain(c)} × {_money(a)} ÷ {total_text} × {amount_text}",
        )
        for h, f, a, c, _w in weighed
    ]


def amount_to_share(cost: Decimal, subsidy: Decimal, compensations: Iterable[Decimal]) -> Decimal:
    """What the paying households share of a construction schedule: cost − subsidy +
    Σ agreed compensation to (low-floor) households. Never negative (ValueError)."""
    cost, subsidy = _decimal(cost), _decimal(subsidy or 0)
    result = cost - subsidy + sum((_decimal(c) for c in compensations), Decimal(0))
    if result < 0:
        raise ValueError(
            f"The subsidy ({subsidy:,.2f}) is larger than the cost ({cost:,.2f}) plus "
            "compensation: there is nothing to share."
        )
    return result.quantize(FEN)


__all__ = ["FEN", "Line", "amount_to_share", "shares"]
