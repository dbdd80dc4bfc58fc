from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal")

    def ready(self):
        from . import demo, security  # noqa: F401  (security connects the login signal)
        from .registry import NavItem, Step, registry
        from .roles import Action, Role
        from .scope import ACCOUNT, may, roles_of
        from .views.dashboards import may_see_dashboard

        def is_resident(user):
            return Role.RESIDENT in roles_of(user)

        def works_cases(user):
            return user.is_superuser or bool(roles_of(user) - {Role.RESIDENT})

        registry.add_demo_loader(Step("portal.places", demo.load_places))
        registry.add_demo_loader(
            Step("portal.accounts", demo.load_accounts, depends_on=("portal.places",))
        )
        registry.add_demo_loader(
            Step("portal.follow_ups", demo.load_follow_ups, depends_on=("portal.accounts",))
        )
        for name, label, url_name, visible, order in [
            ("portal.my_requests", _("My requests"), "portal:my_requests", is_resident, 10),
            ("portal.my_open_cases", _("My open cases"), "portal:my_open_cases", works_cases, 20),
            ("portal.my_follow_ups", _("My follow-ups"), "portal:my_follow_ups", works_cases, 30),
            ("portal.search", _("Search"), "portal:search", works_cases, 700),
            ("portal.dashboard", _("Dashboard"), "portal:dashboard", may_see_dashboard, 5),
        ]:
            registry.add_nav_item(NavItem(name, label, url_name, visible=visible, order=order))
        registry.add_nav_item(
            NavItem(
                "portal.accounts",
                _("Accounts"),
                "portal:account_list",
                visible=lambda user: may(user, Action.VIEW, ACCOUNT),
                order=800,
            )
        )
        # privacy and retention: added here
        from . import personal_data
        from .registry import RuleKind
        from .services.retention import DEFAULT_RETENTION, RULE_KIND, validate_retention

        personal_data.register()
        registry.add_rule_kind(
            RuleKind(
                RULE_KIND, _("Retention of personal data"), validate_retention, DEFAULT_RETENTION
            )
        )
        # audit and staff hand-over: added here
        from . import audit, checks  # noqa: F401  (checks registers the retention check)
        from .registry import UserAssignments
        from .scope import AUDIT
        from .services import handover

        audit.register_exports()
        registry.add_nav_item(
            NavItem(
                "portal.audit",
                _("Audit"),
                "portal:audit",
                visible=lambda user: may(user, Action.VIEW, AUDIT),
                order=850,
            )
        )
        registry.add_user_assignments(
            UserAssignments(
                "portal.cases",
                _("Open cases they handle"),
                counts=handover.open_case_counts,
                move=handover.open_cases_move,
                order=10,
            )
        )
        registry.add_user_assignments(
            UserAssignments(
                "portal.follow_ups",
                _("Follow-ups for them"),
                counts=handover.pending_follow_up_counts,
                move=handover.pending_follow_ups_move,
                order=20,
            )
        )
        registry.add_nav_item(
            NavItem(
                "portal.admin",
                _("Administration"),
                "admin:index",
                visible=lambda user: user.is_staff,
                order=900,
            )
        )
