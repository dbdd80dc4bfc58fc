"""The estate registry: people with encrypted IDs, household binding, masking, reveal."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse

from housing.models import HouseholdClaim, Person, Relation
from housing.services import registry
from portal.models import PersonalDataAccess
from portal.personal import mask_id_number, validate_id_number
from portal.roles import Programme, Role
from tests.factories import UserFactory, member
from tests.housing.helpers import estate_with_households, id_number
from tests.kitapp.services import ticket_open
from tests.scope import check_scope

pytestmark = pytest.mark.django_db


@pytest.fixture
def flats(world):
    return estate_with_households(world.areas["community_a"])[1]


@pytest.fixture
def owner(world, flats):
    return registry.person_create(
        actor=world.users["own_staff"],
        community=world.areas["community_a"],
        name="王鹏",
        id_number=id_number(),
        phone="13800000011",
        household=flats[0],
        relation=Relation.OWNER,
        care_tags=["elderly_alone"],
        care_tags_reason="居家适老化改造申请",
        ethnicity="回族",
        ethnicity_reason="少数民族补贴",
    )


class TestIdNumbers:
    def test_a_valid_number_passes_and_a_wrong_check_character_is_refused(self):
        good = id_number()
        validate_id_number(good)
        wrong = good[:17] + ("0" if good[17] != "0" else "1")

        with pytest.raises(ValidationError) as error:
            validate_id_number(wrong)
        assert error.value.code == "invalid_id_check"

    @pytest.mark.parametrize("bad", ["12345", "11010519561332123X", "ABCDEFGHIJKLMNOPQR"])
    def test_malformed_numbers_are_refused(self, bad):
        with pytest.raises(ValidationError):
            validate_id_number(bad)

    def test_masking_keeps_the_region_and_the_last_four(self):
        assert mask_id_number("110105195603121234") == "110105********1234"

    def test_the_id_is_never_stored_in_clear(self, owner):
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM housing_person WHERE id = %s", [owner.pk])
            row = " ".join(str(value) for value in cursor.fetchone())

        assert id_number() not in row
        assert owner.id_number_masked == mask_id_number(id_number())
        assert owner.birth_date.isoformat() == "1956-03-12" and owner.gender == "male"

    def test_the_same_id_is_one_person(self, world, owner, flats):
        with pytest.raises(ValidationError) as error:
            registry.person_create(
                actor=world.users["own_staff"],
                community=world.areas["community_a"],
                name="王鹏",
                id_number=id_number(),
                household=flats[1],
            )
        assert "id_number" in error.value.message_dict
        assert registry.find_person_by_id(id_number()) == owner

    def test_staff_cannot_add_people_outside_their_community(self, world):
        with pytest.raises(PermissionDenied):
            registry.person_create(
                actor=world.users["other_staff"], community=world.areas["community_a"], name="x"
            )


class TestBinding:
    def claim(self, world, flats, **kwargs):
        fields = {
            "relation": Relation.OWNER,
            "owner_name": "王鹏",
            "owner_id_last4": id_number()[-4:],
        }
        return registry.household_claim(
            user=world.users["resident"], household=flats[0], **{**fields, **kwargs}
        )

    def test_an_approved_owner_claim_verifies_and_links_the_owner(self, world, flats, owner):
        resident = world.users["resident"]
        claim = self.claim(world, flats)
        assert not registry.is_verified_owner(resident, flats[0])

        registry.household_claim_decide(actor=world.users["own_staff"], claim=claim, approve=True)

        assert registry.is_verified_owner(resident, flats[0])
        owner.refresh_from_db()
        assert owner.user == resident

    def test_a_claim_that_matches_no_owner_cannot_be_approved(self, world, flats, owner):
        claim = self.claim(world, flats, owner_id_last4="0000")

        with pytest.raises(ValidationError):
            registry.household_claim_decide(
                actor=world.users["own_staff"], claim=claim, approve=True
            )
        assert not registry.is_verified_owner(world.users["resident"], flats[0])

    def test_a_rejected_or_tenant_claim_never_makes_an_owner(self, world, flats, owner):
        rejected = self.claim(world, flats)
        registry.household_claim_decide(
            actor=world.users["own_staff"], claim=rejected, approve=False, note="not the owner"
        )
        tenant = self.claim(world, flats, relation=Relation.TENANT)
        registry.household_claim_decide(actor=world.users["own_staff"], claim=tenant, approve=True)

        assert not registry.is_verified_owner(world.users["resident"], flats[0])

    def test_only_staff_of_that_community_decide(self, world, flats, owner):
        claim = self.claim(world, flats)

        with pytest.raises(PermissionDenied):
            registry.household_claim_decide(
                actor=world.users["other_staff"], claim=claim, approve=True
            )

    def test_the_resident_asks_through_the_page(self, client, world, flats, owner):
        client.force_login(world.users["resident"])

        response = client.post(
            reverse("housing:claim"),
            {
                "estate": flats[0].unit.building.estate_id,
                "building": "1",
                "unit": "1",
                "room": flats[0].room_number,
                "relation": "owner",
                "owner_name": "王鹏",
                "owner_id_last4": id_number()[-4:],
            },
        )
        assert response.status_code == 302
        bad_room = client.post(
            reverse("housing:claim"),
            {
                "estate": flats[0].unit.building.estate_id,
                "building": "1",
                "unit": "1",
                "room": "999",
                "relation": "owner",
                "owner_name": "王鹏",
                "owner_id_last4": "12",
            },
        )
        assert bad_room.status_code == 200 and bad_room.context["form"].errors
        assert HouseholdClaim.objects.count() == 1

    def test_staff_decide_from_the_queue(self, client, world, flats, owner):
        claim = self.claim(world, flats)
        client.force_login(world.users["own_staff"])

        assert claim in client.get(reverse("housing:claim_queue")).context["object_list"]
        client.post(reverse("housing:claim_decide", args=[claim.pk]), {"approve": "yes"})

        claim.refresh_from_db()
        assert claim.state == HouseholdClaim.State.APPROVED


class TestPersonalData:
    def test_only_community_staff_reveal_the_id_and_each_reveal_is_recorded(self, world, owner):
        with pytest.raises(ValidationError):
            registry.person_reveal_id(actor=world.users["own_staff"], person=owner, reason=" ")
        with pytest.raises(PermissionDenied):
            registry.person_reveal_id(actor=world.users["official"], person=owner, reason="audit")

        full = registry.person_reveal_id(
            actor=world.users["own_staff"], person=owner, reason="subsidy application"
        )

        assert full == id_number()
        log = PersonalDataAccess.objects.get(kind="reveal")
        assert log.user == world.users["own_staff"] and log.reason == "subsidy application"
        assert log.target == f"housing.person:{owner.pk}"

    def test_the_reveal_page_shows_the_number_once_and_records_it(self, client, world, owner):
        client.force_login(world.users["own_staff"])
        page = client.get(reverse("housing:person_detail", args=[owner.pk])).content.decode()
        assert id_number() not in page and owner.id_number_masked in page

        response = client.post(
            reverse("housing:person_reveal", args=[owner.pk]),
            {"reason": "checking a subsidy claim"},
        )

        assert id_number() in response.content.decode()
        assert response["Cache-Control"] == "no-store"
        assert PersonalDataAccess.objects.filter(kind="reveal").count() == 1

    def test_care_needs_are_shown_to_the_community_and_eldercare_and_logged(
        self, client, world, owner
    ):
        eldercare = UserFactory()
        member(
            eldercare,
            Role.PROGRAMME_OFFICER,
            area=world.areas["district"],
            programme=Programme.ELDERCARE,
        )

        for user, sees in [
            (world.users["own_staff"], True),
            (eldercare, True),
            (world.users["official"], False),
        ]:
            client.force_login(user)
            html = client.get(
                reverse("housing:person_detail", args=[owner.pk]), HTTP_ACCEPT_LANGUAGE="en"
            ).content.decode()
            assert ("elderly, living alone" in html) is sees, user
        assert PersonalDataAccess.objects.filter(kind="sensitive").count() == 2

    def test_a_resident_linked_to_a_person_sees_that_persons_cases_only(self, world, owner):
        from housing.models import EstateIssue
        from portal.models import Case

        resident = world.users["resident"]
        mine = ticket_open(
            actor=world.users["own_staff"],
            community=world.areas["community_a"],
            title="reported by Wang",
        ).case
        other = ticket_open(
            actor=world.users["own_staff"],
            community=world.areas["community_a"],
            title="someone else's",
        ).case
        estate = owner.residences.get().household.unit.building.estate
        EstateIssue.objects.create(
            case=mine, estate=estate, category="parking", description="x", reporter=owner
        )

        registry.person_link_user(actor=world.users["own_staff"], person=owner, user=resident)

        visible = set(Case.objects.visible_to(resident).values_list("pk", flat=True))
        assert mine.pk in visible and other.pk not in visible


class TestScope:
    def test_scope_of_the_person_and_household_pages(self, client, world, owner, flats):
        expected = {
            "anonymous": 302,
            "resident": 404,
            "other_staff": 404,
            "own_staff": 200,
            "programme_officer": 200,
            "official": 200,
            "org_member": 404,
        }
        check_scope(client, world, reverse("housing:person_detail", args=[owner.pk]), expected)
        check_scope(
            client, world, reverse("housing:household_detail", args=[flats[0].pk]), expected
        )

    def test_scope_of_reveal_link_and_add_person(self, client, world, owner, flats):
        post_only = {
            "anonymous": 302,
            "resident": 404,
            "other_staff": 404,
            "own_staff": 200,
            "programme_officer": 200,
            "official": 200,
            "org_member": 404,
        }
        # Reveal with no reason: a form error for those who may see the record.
        check_scope(
            client,
            world,
            reverse("housing:person_reveal", args=[owner.pk]),
            post_only,
            method="post",
        )
        check_scope(
            client,
            world,
            reverse("housing:person_add", args=[flats[0].pk]),
            {**post_only, "programme_officer": 200, "official": 404},
            method="post",
        )
        check_scope(
            client,
            world,
            reverse("housing:person_link", args=[owner.pk]),
            {**post_only, "own_staff": 302, "programme_officer": 302, "official": 404},
            method="post",
        )

    def test_scope_of_the_binding_pages(self, client, world):
        everyone = {
            p: 200
            for p in (
                "resident",
                "other_staff",
                "own_staff",
                "programme_officer",
                "official",
                "org_member",
            )
        }
        check_scope(client, world, reverse("housing:claim"), {"anonymous": 302, **everyone})
        check_scope(
            client,
            world,
            reverse("housing:claim_queue"),
            {
                "anonymous": 302,
                "resident": 403,
                "other_staff": 200,
                "own_staff": 200,
                "programme_officer": 200,
                "official": 403,
                "org_member": 403,
            },
        )


def test_a_person_record_is_one_per_id_in_the_database(world, owner):
    assert Person.objects.filter(id_number_hash=owner.id_number_hash).count() == 1


def test_staff_create_a_person_and_an_account_together(client, world, flats):
    from portal.models import User

    client.force_login(world.users["own_staff"])

    response = client.post(
        reverse("housing:person_add", args=[flats[1].pk]),
        {
            "name": "赵花",
            "id_number": id_number(sequence="456"),
            "phone": "13800000012",
            "relation": "owner",
            "with_account": "on",
        },
    )

    assert response.status_code == 200 and "password" in response.context
    account = User.objects.get(username="13800000012")
    person = Person.objects.get(name="赵花")
    assert person.user == account and account.must_change_password
    assert account.memberships.get().role == Role.RESIDENT


def test_an_account_needs_a_phone(client, world, flats):
    client.force_login(world.users["own_staff"])

    response = client.post(
        reverse("housing:person_add", args=[flats[1].pk]),
        {"name": "无电话", "relation": "owner", "with_account": "on"},
    )

    assert response.status_code == 200 and response.context["form"].errors
    assert not Person.objects.filter(name="无电话").exists()
