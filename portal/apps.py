from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal")

    def ready(self):
        from . import demo
        from .registry import NavItem, Step, registry
        from .roles import Action
        from .scope import ACCOUNT, may

        registry.add_demo_loader(Step("portal.places", demo.load_places))
        registry.add_demo_loader(
            Step("portal.accounts", demo.load_accounts, depends_on=("portal.places",))
        )
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
