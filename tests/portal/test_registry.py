"""The registry: apps contribute by name; demo loaders run in dependency order."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from portal.registry import (
    CaseKind,
    NavItem,
    Registry,
    RegistryError,
    Step,
    in_dependency_order,
    registry,
)


def step(name, *depends_on):
    return Step(name, run=lambda **kw: name, depends_on=depends_on)


def test_steps_run_after_their_dependencies():
    steps = {s.name: s for s in [step("cases", "people"), step("people", "places"), step("places")]}

    assert [s.name for s in in_dependency_order(steps)] == ["places", "people", "cases"]


def test_a_dependency_cycle_is_refused():
    steps = {s.name: s for s in [step("a", "b"), step("b", "a")]}

    with pytest.raises(RegistryError, match="cycle"):
        in_dependency_order(steps)


def test_an_unregistered_dependency_is_refused():
    with pytest.raises(RegistryError, match="unregistered"):
        in_dependency_order({"a": step("a", "missing")})


def test_names_and_reference_prefixes_are_unique():
    reg = Registry()
    reg.add_demo_loader(step("a"))
    with pytest.raises(RegistryError, match="twice"):
        reg.add_demo_loader(step("a"))

    def kind(name):
        return CaseKind(
            name,
            model=object,
            prefix="JF",
            label=name,
            label_plural=name,
            statuses=None,
            initial_status="",
            rule_kind="",
            detail_url_name="",
        )

    reg.add_case_kind(kind("x"))
    with pytest.raises(RegistryError, match="prefix"):
        reg.add_case_kind(kind("y"))


def test_navigation_shows_only_items_visible_to_the_user():
    reg = Registry()
    reg.add_nav_item(NavItem("staff", "Staff", "portal:home", visible=lambda u: u.is_staff))
    reg.add_nav_item(NavItem("all", "All", "portal:home", visible=lambda u: True, order=1))

    class Someone:
        is_staff = False

    assert [i.name for i in reg.nav_for(Someone())] == ["all"]


def test_a_missing_hand_over_target_is_none_not_an_error():
    assert Registry().hand_over_target("dispute_from") is None


def test_the_portal_registers_its_demo_accounts():
    assert "portal.accounts" in registry.demo_loaders


def test_load_demo_is_idempotent_and_prints_the_accounts(demo_data):

    users_before = get_user_model().objects.count()
    call_command("load_demo", stdout=io.StringIO())

    assert get_user_model().objects.count() == users_before
    assert "admin" in demo_data and "portal-demo" in demo_data
    assert get_user_model().objects.get(username="admin").check_password("portal-demo")
