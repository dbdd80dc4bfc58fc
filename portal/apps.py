from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal")

    def ready(self):
        from . import demo
        from .registry import NavItem, Step, registry

        registry.add_demo_loader(Step("portal.accounts", demo.load_accounts))
        registry.add_nav_item(
            NavItem(
                "portal.admin",
                _("Administration"),
                "admin:index",
                visible=lambda user: user.is_staff,
                order=900,
            )
        )
