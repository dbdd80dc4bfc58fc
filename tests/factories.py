"""Factories for the core models: areas, organisations, users, memberships."""

import factory
from django.contrib.auth import get_user_model

from portal.models import Area, Membership, Organisation
from portal.roles import AreaLevel, OrganisationType

PASSWORD = "correct-horse-9"


def area(name: str, level: str, parent: Area | None = None, **fields) -> Area:
    values = {"name": name, "level": level, **fields}
    if parent is None:
        return Area.objects.add_root(values)
    return Area.objects.add_child(Area.objects.get(pk=parent.pk), values)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"User {n}")
    phone = factory.Sequence(lambda n: f"139{n:08d}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    type = OrganisationType.POLICE_STATION


def member(user, role, *, area=None, organisation=None, programme="") -> Membership:
    return Membership.objects.create(
        user=user, role=role, area=area, organisation=organisation, programme=programme
    )


__all__ = ["AreaLevel", "OrganisationFactory", "UserFactory", "area", "member"]
