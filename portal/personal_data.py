"""Where the portal itself keeps personal data: accounts and the case kit.

Each app declares its own in `<app>/personal_data.py`, registered from its AppConfig;
the retention task and the resident's download read only these declarations.
"""

from django.utils.translation import gettext_lazy as _

from .registry import PersonalData, registry


def own_cases(user):
    """The cases `user` filed or is a party to: theirs to download, whatever their roles."""
    from .models import Case

    return Case.objects.filter(Case.objects.owned_by(user))


def rows_of_own_cases(model, path: str = "case"):
    """`owner_rows` for a model whose rows hang off a case through `path`."""

    def owner_rows(user):
        return model._base_manager.filter(**{f"{path}__in": own_cases(user).values("pk")})

    return owner_rows


def register() -> None:
    from .models import Attachment, Case, CaseParty, Notification, TimelineEntry, User

    registry.add_personal_data(
        PersonalData(
            "portal.account",
            _("Account"),
            User,
            fields=("display_name", "first_name", "last_name", "email", "phone"),
            owner_rows=lambda user: User.objects.filter(pk=user.pk),
            download_fields=(
                "username",
                "display_name",
                "email",
                "phone",
                "date_joined",
                "last_login",
            ),
        )
    )
    registry.add_personal_data(
        PersonalData(
            "portal.case",
            _("Requests and cases"),
            Case,
            fields=("title", "filer_name", "filer_phone", "rating_comment", "filed_by"),
            case_path="pk",
            anonymise={"filer_phone": "", "rating_comment": ""},
            owner_rows=own_cases,
            download_fields=(
                "reference",
                "kind",
                "title",
                "status",
                "community__name",
                "created_at",
                "closed_at",
            ),
        )
    )
    # Who filed a case is the filer's data: a party to it is not given the filer's phone.
    registry.add_personal_data(
        PersonalData(
            "portal.case_filed",
            _("Requests you filed"),
            Case,
            fields=(),
            owner_rows=lambda user: Case.objects.filter(filed_by=user),
            download_fields=("reference", "filer_name", "filer_phone", "rating", "rating_comment"),
        )
    )
    registry.add_personal_data(
        PersonalData(
            "portal.case_party",
            _("Cases you are a party to"),
            CaseParty,
            fields=("user",),
            case_path="case",
            delete_rows=True,
            owner_rows=lambda user: CaseParty.objects.filter(user=user),
            download_fields=("case__reference",),
        )
    )
    registry.add_personal_data(
        PersonalData(
            "portal.timeline",
            _("Progress of your requests"),
            TimelineEntry,
            fields=("comment",),
            case_path="case",
            anonymise={"comment": ""},
            # Residents see the public entries of their cases, and so does their download.
            owner_rows=lambda user: rows_of_own_cases(TimelineEntry)(user).filter(is_public=True),
            download_fields=("case__reference", "verb", "status_after", "comment", "at"),
        )
    )
    registry.add_personal_data(
        PersonalData(
            "portal.attachment",
            _("Files attached to your requests"),
            Attachment,
            fields=("original_name", "file", "thumbnail"),
            case_path="case",
            files=("file", "thumbnail"),
            owner_rows=lambda user: rows_of_own_cases(Attachment)(user).filter(is_public=True),
            download_fields=("case__reference", "original_name", "content_type", "size"),
        )
    )
    registry.add_personal_data(
        PersonalData(
            "portal.notification",
            _("Notifications"),
            Notification,
            fields=("message",),
            case_path="case",
            owner_rows=lambda user: Notification.objects.filter(user=user),
            download_fields=("message", "created_at", "read_at"),
        )
    )
