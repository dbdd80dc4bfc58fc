from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HousingConfig(AppConfig):
    name = "housing"
    verbose_name = _("Housing")

    def ready(self):
        from portal.registry import (
            CaseKind,
            DashboardProvider,
            ExportProvider,
            NavItem,
            RuleKind,
            Step,
            registry,
        )
        from portal.roles import Action, Role
        from portal.rules import DEFAULT_CASE_RULES, validate_case_rules
        from portal.scope import may, roles_of

        from . import dashboards, demo, exports, load
        from .models import EstateIssue

        registry.add_rule_kind(
            RuleKind(
                "housing.issue",
                _("Estate issue time limits"),
                validate_case_rules,
                DEFAULT_CASE_RULES,
            )
        )
        registry.add_case_kind(
            CaseKind(
                name="housing.issue",
                model=EstateIssue,
                prefix="WY",
                label=_("estate issue"),
                label_plural=_("estate issues"),
                statuses=EstateIssue.Status,
                initial_status=EstateIssue.Status.REPORTED,
                rule_kind="housing.issue",
                detail_url_name="portal:case_detail",
                resident_visible=True,
            )
        )
        registry.add_export_provider(
            ExportProvider(
                "housing.registry",
                _("Housing registry"),
                exports.registry_rows,
                exports.REGISTRY_COLUMNS,
                kind="housing.household",
            )
        )
        registry.add_export_provider(
            ExportProvider(
                "housing.issues",
                _("Estate issues"),
                exports.issue_rows,
                exports.ISSUE_COLUMNS,
                kind="housing.issue",
            )
        )
        registry.add_dashboard_provider(
            DashboardProvider(
                "housing",
                _("Estates"),
                dashboards.tiles,
                order=10,
                by_area=dashboards.by_area,
                figures=dashboards.FIGURES,
            )
        )
        registry.add_demo_loader(
            Step("housing.estates", demo.load, depends_on=("portal.accounts",))
        )
        registry.add_load_generator(Step("housing.estates", load.generate))
        from .services.registry import reported_issues

        registry.add_person_cases("housing.issues", reported_issues)

        def staff_may(action, kind):
            return lambda user: (
                user.is_superuser
                or (bool(roles_of(user) - {Role.RESIDENT}) and may(user, action, kind))
            )

        def is_resident(user):
            return Role.RESIDENT in roles_of(user)

        for name, label, url_name, visible, order in [
            (
                "housing.estates",
                _("Estates"),
                "housing:estate_list",
                staff_may(Action.VIEW, "housing.estate"),
                100,
            ),
            (
                "housing.issues",
                _("Estate issues"),
                "housing:issue_queue",
                staff_may(Action.VIEW, "housing.issue"),
                110,
            ),
            (
                "housing.desk",
                _("Mobile office desk"),
                "housing:desk_calendar",
                staff_may(Action.VIEW, "housing.desk_visit"),
                120,
            ),
            (
                "housing.claims",
                _("Binding requests"),
                "housing:claim_queue",
                staff_may(Action.CHANGE, "housing.household"),
                130,
            ),
            ("housing.claim", _("My household"), "housing:claim", is_resident, 15),
            ("housing.report", _("Report a problem"), "housing:issue_report", is_resident, 16),
        ]:
            registry.add_nav_item(NavItem(name, label, url_name, visible=visible, order=order))
        # personal data: added here
        from . import personal_data

        personal_data.register()

        # audit and staff hand-over: desk visits still to come move with their staff.
        from django.db.models import Q

        from portal.services.handover import m2m_assignments

        from .models import DeskVisit

        registry.add_user_assignments(
            m2m_assignments(
                "housing.desk_visits", _("Desk visits to come"), DeskVisit, "staff", Q(held=False)
            )
        )
