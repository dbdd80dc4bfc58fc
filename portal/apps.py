from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal")

    def ready(self):
        from . import demo
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
        registry.add_nav_item(
            NavItem(
                "portal.admin",
                _("Administration"),
                "admin:index",
                visible=lambda user: user.is_staff,
                order=900,
            )
        )
