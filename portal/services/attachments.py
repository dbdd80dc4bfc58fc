"""Photos and scans on a case: checked by their content, stored under generated names."""

from __future__ import annotations

import io

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

from ..models import Attachment, Case
from ..roles import Action
from ..scope import can

ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
THUMBNAIL_SIZE = (320, 320)
IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
PDF = "application/pdf"


def _filer_may_attach(user, case: Case) -> bool:
    return (
        getattr(user, "is_authenticated", False)
        and case.filed_by_id == user.pk
        and case.closed_at is None
        and can(user, Action.VIEW, case)
    )


def may_attach(user, case: Case) -> bool:
    """Those who work on the case; and the resident who filed it, while it is open."""
    return can(user, Action.CHANGE, case) or _filer_may_attach(user, case)


def _refuse(message: str, code: str) -> ValidationError:
    return ValidationError({"file": ValidationError(message, code=code)})


def _sniff(upload) -> str:
    """The content type the bytes show; the name and the browser's claim are not trusted."""
    upload.seek(0)
    if upload.read(5) == b"%PDF-":
        return PDF
    upload.seek(0)
    try:
        with Image.open(upload) as image:
            image_format = image.format
            image.verify()
    # Pillow reports broken or hostile files with many exception types.
    except Exception:
        image_format = None
    if image_format not in IMAGE_TYPES:
        raise _refuse(_("This file is not a photo or PDF."), "file_type")
    return IMAGE_TYPES[image_format]


def _thumbnail(upload) -> bytes:
    upload.seek(0)
    try:
        with Image.open(upload) as image:
            # Phones store portrait photos sideways with an orientation tag.
            small = ImageOps.exif_transpose(image).convert("RGB")
            small.thumbnail(THUMBNAIL_SIZE)
            out = io.BytesIO()
            small.save(out, "JPEG", quality=85)
    # verify() does not decode the pixels; a file can still fail here.
    except Exception:
        raise _refuse(_("This file is not a photo or PDF."), "file_type") from None
    return out.getvalue()


def _original_name(upload) -> str:
    name = (upload.name or "").replace("\\", "/").rsplit("/", 1)[-1]
    # The name goes into a Content-Disposition header later.
    return "".join(c for c in name if c.isprintable())[:200]


def attachment_add(*, case: Case, actor, upload, is_public: bool = False) -> Attachment:
    """Attach a JPEG, PNG, WEBP or PDF of at most ATTACHMENT_MAX_BYTES to the case."""
    if not can(actor, Action.CHANGE, case):
        if not _filer_may_attach(actor, case):
            raise PermissionDenied
        # A resident's own upload is always shown back to them.
        is_public = True
    return _store(case=case, upload=upload, is_public=is_public, uploaded_by=actor)


def attachment_add_to_public_filing(*, case: Case, upload) -> Attachment:
    """The photo a visitor sends with a report filed without an account (see
    `case_open(public_filing=True)`): public, with no uploader. Call it only in the
    transaction that opened the case."""
    return _store(case=case, upload=upload, is_public=True, uploaded_by=None)


def _store(*, case: Case, upload, is_public: bool, uploaded_by) -> Attachment:
    if upload.size > ATTACHMENT_MAX_BYTES:
        raise _refuse(
            _("The file is larger than %(limit)s MB.")
            % {"limit": f"{ATTACHMENT_MAX_BYTES / 1024 / 1024:g}"},
            "file_size",
        )
    content_type = _sniff(upload)
    thumbnail = _thumbnail(upload) if content_type != PDF else None

    attachment = Attachment(
        case=case,
        original_name=_original_name(upload),
        content_type=content_type,
        size=upload.size,
        is_public=is_public,
        uploaded_by=uploaded_by,
    )
    upload.seek(0)
    try:
        with transaction.atomic():
            attachment.file.save(upload.name or "upload", upload, save=False)
            if thumbnail is not None:
                # upload_to takes the suffix from content_type; the thumbnail is a JPEG.
                attachment.content_type = "image/jpeg"
                attachment.thumbnail.save("thumbnail.jpg", ContentFile(thumbnail), save=False)
                attachment.content_type = content_type
            attachment.save()
    except Exception:
        # Files are not part of the transaction: do not leave orphans behind.
        for field_file in (attachment.file, attachment.thumbnail):
            if field_file:
                field_file.delete(save=False)
        raise
    return attachment


__all__ = [
    "ATTACHMENT_MAX_BYTES",
    "attachment_add",
    "attachment_add_to_public_filing",
    "may_attach",
]
