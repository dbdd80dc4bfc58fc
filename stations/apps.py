from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StationsConfig(AppConfig):
    name = "stations"
    verbose_name = _("Stations")

    def ready(self):
        self.add_navigation()
        # Providers, demo and load generator: below.
        from portal.registry import DashboardProvider, ExportProvider, Step, registry

        from . import dashboards, demo, exports, load

        registry.add_demo_loader(
            Step("stations.stations", demo.load, depends_on=("portal.accounts",))
        )
        registry.add_load_generator(
            Step("stations.stations", load.generate, depends_on=("housing.estates",))
        )
        registry.add_dashboard_provider(
            DashboardProvider(
                "stations",
                _("Stations"),
                dashboards.tiles,
                order=50,
                by_area=dashboards.by_area,
                figures=dashboards.FIGURES,
                trend=dashboards.trend,
            )
        )
        for name, label, rows, columns in [
            ("stations.stations", _("Stations"), exports.station_rows, exports.STATION_COLUMNS),
            (
                "stations.check_ins",
                _("Station check-ins"),
                exports.check_in_rows,
                exports.CHECK_IN_COLUMNS,
            ),
        ]:
            registry.add_export_provider(
                ExportProvider(name, label, rows, columns, kind="stations.station")
            )
        # personal data: added here
        from . import personal_data

        personal_data.register()

    def add_navigation(self):
        from portal.registry import NavItem, registry
        from portal.roles import Role
        from portal.scope import roles_of

        def is_resident(user) -> bool:
            return Role.RESIDENT in roles_of(user)

        from .services.registry import in_nav as stations_in_nav
        from .services.registry import may_moderate

        for name, label, url_name, visible, order in [
            ("stations.finder", _("Find a rest station"), "stations:finder", is_resident, 21),
            ("stations.stations", _("Stations"), "stations:station_list", stations_in_nav, 440),
            (
                "stations.feedback_queue",
                _("Feedback to review"),
                "stations:feedback_queue",
                may_moderate,
                445,
            ),
        ]:
            registry.add_nav_item(NavItem(name, label, url_name, visible=visible, order=order))
