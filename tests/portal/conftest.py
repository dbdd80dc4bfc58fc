"""Fixtures shared by the core's tests: a frozen clock and a resident owner."""

from datetime import UTC, datetime

import pytest
import time_machine

from housing.models import Relation
from housing.services import registry as housing_registry
from tests.housing.helpers import estate_with_households, id_number

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    """Frozen time at START, moved on by hand (each TOTP code is accepted once per 30 s
    step; session limits are measured from the last request)."""
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def owner(world):
    """An owner on record in community A, with an ID number and a phone."""
    flats = estate_with_households(world.areas["community_a"])[1]
    return housing_registry.person_create(
        actor=world.users["own_staff"],
        community=world.areas["community_a"],
        name="王鹏",
        id_number=id_number(),
        phone="13800000011",
        household=flats[0],
        relation=Relation.OWNER,
    )
