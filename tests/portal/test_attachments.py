"""Attachments on a case: checked by content, stored under generated names, served by scope."""

import io

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from portal.models import Attachment
from portal.services import attachments as services
from tests.kitapp.services import ticket_open
from tests.scope import check_scope

pytestmark = pytest.mark.django_db

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64
ENGLISH = {"accept-language": "en"}


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def image_bytes(fmt="PNG", size=(800, 600), exif=None) -> bytes:
    out = io.BytesIO()
    options = {"exif": exif} if exif is not None else {}
    Image.new("RGB", size, (200, 30, 30)).save(out, fmt, **options)
    return out.getvalue()


def upload(name, content, content_type):
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture
def case(world):
    ticket = ticket_open(
        actor=world.users["own_staff"], community=world.areas["community_a"], title="Broken lamp"
    )
    return ticket.case


@pytest.fixture
def residents_case(world):
    resident = world.users["resident"]
    ticket = ticket_open(
        actor=resident,
        community=world.areas["community_a"],
        title="Water in the stairwell",
        filed_by=resident,
    )
    return ticket.case


def attach(case, actor, *, name="photo.png", content=None, content_type="image/png", **kw):
    content = image_bytes() if content is None else content
    return services.attachment_add(
        case=case, actor=actor, upload=upload(name, content, content_type), **kw
    )


def post_file(client, case, name, content, content_type, **data):
    return client.post(
        reverse("portal:attachment_add", args=[case.pk]),
        {"file": upload(name, content, content_type), **data},
        headers=ENGLISH,
    )


def test_a_photo_is_stored_under_a_generated_name_with_a_thumbnail(client, world, case):
    client.force_login(world.users["own_staff"])

    response = post_file(client, case, "张三家门口.png", image_bytes(), "image/png", is_public="on")

    assert response.status_code == 302
    assert response.url == reverse("portal:case_detail", args=[case.pk])
    attachment = case.attachments.get()
    assert attachment.original_name == "张三家门口.png"
    assert attachment.content_type == "image/png" and attachment.is_public
    assert attachment.uploaded_by == world.users["own_staff"]
    assert attachment.file.name.startswith("attachments/") and attachment.file.name.endswith(".png")
    assert "张三" not in attachment.file.name
    assert attachment.thumbnail.name.endswith(".jpg")
    with Image.open(attachment.thumbnail.path) as thumbnail:
        assert thumbnail.format == "JPEG" and max(thumbnail.size) == 320

    served = client.get(reverse("portal:attachment", args=[attachment.pk]))
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert served["Content-Disposition"].startswith("inline")
    assert "filename*=utf-8''" in served["Content-Disposition"]
    assert b"".join(served.streaming_content) == image_bytes()
    thumb = client.get(reverse("portal:attachment_thumbnail", args=[attachment.pk]))
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"

    page = client.get(reverse("portal:case_detail", args=[case.pk])).content.decode()
    assert reverse("portal:attachment_thumbnail", args=[attachment.pk]) in page
    assert 'alt="张三家门口.png"' in page
    assert 'enctype="multipart/form-data"' in page


def test_the_thumbnail_follows_the_exif_orientation(world, case):
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated 90°: stored landscape, shown portrait
    content = image_bytes("JPEG", size=(40, 20), exif=exif)

    attachment = attach(case, world.users["own_staff"], name="p.jpg", content=content)

    assert attachment.content_type == "image/jpeg"
    assert attachment.file.name.endswith(".jpg")
    with Image.open(attachment.thumbnail.path) as thumbnail:
        assert thumbnail.size == (20, 40)


def test_a_pdf_is_attached_without_a_thumbnail(client, world, case):
    client.force_login(world.users["own_staff"])

    response = post_file(client, case, "scan.pdf", PDF, "application/pdf")

    assert response.status_code == 302
    attachment = case.attachments.get()
    assert attachment.content_type == "application/pdf" and not attachment.is_public
    assert attachment.file.name.endswith(".pdf") and not attachment.thumbnail
    assert attachment.size == len(PDF)
    served = client.get(reverse("portal:attachment", args=[attachment.pk]))
    assert served["Content-Type"] == "application/pdf"
    assert served["Content-Disposition"] == 'inline; filename="scan.pdf"'
    assert (
        client.get(reverse("portal:attachment_thumbnail", args=[attachment.pk])).status_code == 404
    )
    page = client.get(reverse("portal:case_detail", args=[case.pk])).content.decode()
    assert ">scan.pdf</a>" in page


def test_an_oversized_file_is_refused_with_the_limit(client, world, case, monkeypatch):
    monkeypatch.setattr(services, "ATTACHMENT_MAX_BYTES", 1024 * 1024)
    client.force_login(world.users["own_staff"])

    response = post_file(client, case, "big.pdf", PDF + b"0" * 1024 * 1024, "application/pdf")

    assert response.status_code == 200
    error = response.context["form"].errors.as_data()["file"][0]
    assert error.code == "file_size"
    assert "larger than 1 MB" in response.content.decode()
    assert not Attachment.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("photo.jpg", EXE, "image/jpeg"),
        ("doc.pdf", b"Just some text, not a PDF.\n", "application/pdf"),
        ("photo.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "image/gif"),
        ("half.png", image_bytes()[:200], "image/png"),
    ],
)
def test_a_disguised_or_broken_file_is_refused(
    client, world, case, media_root, name, content, content_type
):
    client.force_login(world.users["own_staff"])

    response = post_file(client, case, name, content, content_type)

    assert response.status_code == 200
    assert response.context["form"].errors.as_data()["file"][0].code == "file_type"
    assert "not a photo or PDF" in response.content.decode()
    assert not Attachment.objects.exists()
    assert not [path for path in media_root.rglob("*") if path.is_file()]


def test_the_form_page_and_an_empty_post(client, world, case):
    client.force_login(world.users["own_staff"])
    url = reverse("portal:attachment_add", args=[case.pk])

    page = client.get(url).content.decode()
    assert 'enctype="multipart/form-data"' in page and 'accept="image/jpeg,' in page

    response = client.post(url, {})
    assert response.status_code == 200 and response.context["form"].errors["file"]


def test_scope_of_an_internal_attachment(client, world, case):
    attachment = attach(case, world.users["own_staff"])
    expected = {
        "anonymous": 302,
        "resident": 404,
        "other_staff": 404,
        "own_staff": 200,
        "programme_officer": 404,
        # Officials read everything below them, internal files included; residents do not.
        "official": 200,
        "org_member": 404,
    }
    for name in ("portal:attachment", "portal:attachment_thumbnail"):
        check_scope(client, world, reverse(name, args=[attachment.pk]), expected)


def test_scope_of_a_public_attachment(client, world, case):
    attachment = attach(case, world.users["own_staff"], is_public=True)
    expected = {
        "anonymous": 302,
        "resident": 404,  # not the resident's case
        "other_staff": 404,
        "own_staff": 200,
        "programme_officer": 404,
        "official": 200,
        "org_member": 404,
    }
    check_scope(client, world, reverse("portal:attachment", args=[attachment.pk]), expected)


def test_scope_of_the_upload_url(client, world, case):
    url = reverse("portal:attachment_add", args=[case.pk])
    expected = {
        "anonymous": 302,
        "resident": 404,
        "other_staff": 404,
        "own_staff": 200,  # the empty form comes back with its error
        "programme_officer": 404,
        "official": 403,  # sees the case, may not change it
        "org_member": 404,
    }
    check_scope(client, world, url, expected, method="post")
    assert not Attachment.objects.exists()


def test_staff_of_another_community_get_404_for_the_file_and_the_upload(client, world, case):
    attachment = attach(case, world.users["own_staff"], is_public=True)
    client.force_login(world.users["other_staff"])

    assert client.get(reverse("portal:attachment", args=[attachment.pk])).status_code == 404
    response = post_file(client, case, "photo.png", image_bytes(), "image/png")
    assert response.status_code == 404
    assert case.attachments.count() == 1


def test_the_filer_gets_public_attachments_but_not_internal_ones(client, world, residents_case):
    staff = world.users["own_staff"]
    public = attach(residents_case, staff, name="reply.png", is_public=True)
    internal = attach(residents_case, staff, name="notes.pdf", content=PDF, content_type="x")
    client.force_login(world.users["resident"])

    assert client.get(reverse("portal:attachment", args=[public.pk])).status_code == 200
    assert client.get(reverse("portal:attachment", args=[internal.pk])).status_code == 404
    assert client.get(reverse("portal:attachment_thumbnail", args=[public.pk])).status_code == 200
    page = client.get(reverse("portal:case_detail", args=[residents_case.pk])).content.decode()
    assert "reply.png" in page and "notes.pdf" not in page


def test_the_filer_may_add_to_their_open_case_and_sees_it(client, world, residents_case):
    client.force_login(world.users["resident"])
    page = client.get(reverse("portal:case_detail", args=[residents_case.pk])).content.decode()
    assert reverse("portal:attachment_add", args=[residents_case.pk]) in page
    assert 'name="is_public"' not in page

    response = post_file(client, residents_case, "leak.jpg", image_bytes("JPEG"), "image/jpeg")

    assert response.status_code == 302
    attachment = residents_case.attachments.get()
    assert attachment.is_public and attachment.uploaded_by == world.users["resident"]
    assert client.get(reverse("portal:attachment", args=[attachment.pk])).status_code == 200


def test_the_filer_may_not_add_to_a_closed_case(world, residents_case):
    residents_case.closed_at = residents_case.created_at
    residents_case.save(update_fields=["closed_at"])

    with pytest.raises(PermissionDenied):
        attach(residents_case, world.users["resident"])
    assert services.may_attach(world.users["own_staff"], residents_case)
