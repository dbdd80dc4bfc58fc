"""The privacy notice and a resident's copy of their own data (PIPL Arts. 17, 45)."""

from __future__ import annotations

import json
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from ..models import ExportJob, PrivacyNotice
from ..registry import registry

MY_DATA_PROVIDER = "portal.my_data"


def privacy_notice_current() -> PrivacyNotice | None:
    """The newest notice; None until a superuser writes one (the built-in text is shown)."""
    return PrivacyNotice.objects.select_related("updated_by").first()


@transaction.atomic
def privacy_notice_publish(
    *, actor, controller: str, contact: str, body_zh: str, body_en: str = "", now=None
) -> PrivacyNotice:
    """A new version of the notice; earlier versions stay, so what was shown when is known."""
    if not actor.is_superuser:
        raise PermissionDenied
    return PrivacyNotice.objects.create(
        controller=controller.strip(),
        contact=contact.strip(),
        body_zh=body_zh.strip(),
        body_en=body_en.strip(),
        updated_by=actor,
        updated_at=now or timezone.now(),
    )


class _LocalTimeEncoder(DjangoJSONEncoder):
    """Times as the resident reads them: Asia/Shanghai, not UTC."""

    def default(self, o):
        if isinstance(o, datetime) and timezone.is_aware(o):
            o = timezone.localtime(o)
        return super().default(o)


def _label(model, lookup: str) -> str:
    """The verbose name at the end of `lookup` ("case__reference" → "reference number")."""
    field = None
    for part in lookup.split("__"):
        field = model._meta.get_field(part)
        if field.is_relation and field.related_model is not None:
            model = field.related_model
    return str(getattr(field, "verbose_name", lookup))


def my_data(*, user, now=None) -> dict:
    """Everything the registry's declarations say is `user`'s own: their account, their
    resident record, their requests and what each app keeps about them. Nothing else."""
    now = now or timezone.now()
    records = {}
    for name in sorted(registry.personal_data):
        entry = registry.personal_data[name]
        if entry.owner_rows is None:
            continue
        fields = entry.given_fields()
        rows = list(entry.owner_rows(user).values(*fields))
        if not rows:
            continue
        records[name] = {
            "label": str(entry.label),
            "fields": {f: _label(entry.model, f) for f in fields},
            "rows": rows,
        }
    return {"generated_at": now, "user": user.get_username(), "records": records}


def my_data_export(*, user, now=None) -> tuple[bytes, ExportJob]:
    """The resident's data as a UTF-8 JSON file, logged as an export like any other."""
    now = now or timezone.now()
    data = my_data(user=user, now=now)
    content = json.dumps(data, cls=_LocalTimeEncoder, ensure_ascii=False, indent=2).encode()
    rows = sum(len(r["rows"]) for r in data["records"].values())
    job = ExportJob.objects.create(
        requester=user,
        provider=MY_DATA_PROVIDER,
        format="json",
        params={},
        state=ExportJob.State.DONE,
        rows_total=rows,
        rows_done=rows,
        created_at=now,
        finished_at=now,
    )
    return content, job
