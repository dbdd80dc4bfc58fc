"""Publishing rule sets: every edit is a new version; old versions stay for old cases."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from ..models import RuleSet
from ..registry import registry


@transaction.atomic
def rule_set_publish(*, kind: str, area, payload: dict, valid_from, actor=None, note: str = ""):
    """A new version of `kind`'s rules for `area` (None: nationwide), payload validated."""
    rule_kind = registry.rule_kinds.get(kind)
    if rule_kind is None:
        raise ValidationError({"kind": _("Unknown kind of rule.")}, code="kind")
    if not isinstance(payload, dict):
        raise ValidationError({"payload": _("The rules must be a JSON object.")}, code="payload")
    try:
        payload = rule_kind.validate(payload)
    except ValidationError as error:
        raise ValidationError({"payload": error.messages}, code="payload") from error
    # Lock the kind's rows for this area so two editors cannot take the same number.
    same = RuleSet.objects.select_for_update().filter(kind=kind, area=area)
    latest = same.aggregate(latest=Max("version"))["latest"] or 0
    return RuleSet.objects.create(
        kind=kind,
        area=area,
        version=latest + 1,
        valid_from=valid_from,
        payload=payload,
        created_by=actor,
        note=note,
    )
