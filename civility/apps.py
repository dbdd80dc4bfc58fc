from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CivilityConfig(AppConfig):
    name = "civility"
    verbose_name = _("Civility")

    def ready(self):
        from portal.registry import CaseKind, RuleKind, registry
        from portal.rules import validate_case_rules

        from .models import Finding, FindingStatus, OrderStatus, SupervisionOrder

        # The case kit's time limits: a finding is settled within days; an order's own
        # deadline is set when it is issued.
        registry.add_rule_kind(
            RuleKind(
                "civility.finding",
                _("Inspection finding time limits"),
                validate_case_rules,
                {
                    "time_limit_days": 7,
                    "working_days": True,
                    "subdistrict_time_limit_days": 5,
                    "reminder_lead_hours": 24,
                },
            )
        )
        registry.add_rule_kind(
            RuleKind(
                "civility.order",
                _("Supervision order time limits"),
                validate_case_rules,
                {
                    "time_limit_days": 10,
                    "working_days": True,
                    "subdistrict_time_limit_days": 5,
                    "reminder_lead_hours": 48,
                },
            )
        )
        registry.add_case_kind(
            CaseKind(
                name="civility.finding",
                model=Finding,
                prefix="WT",
                label=_("inspection finding"),
                label_plural=_("inspection findings"),
                statuses=FindingStatus,
                initial_status=FindingStatus.OPEN,
                rule_kind="civility.finding",
                detail_url_name="civility:finding_detail",
                resident_visible=False,
            )
        )
        registry.add_case_kind(
            CaseKind(
                name="civility.order",
                model=SupervisionOrder,
                prefix="DB",
                label=_("supervision order"),
                label_plural=_("supervision orders"),
                statuses=OrderStatus,
                initial_status=OrderStatus.ISSUED,
                rule_kind="civility.order",
                detail_url_name="civility:order_detail",
                resident_visible=False,
            )
        )
        self.add_navigation()
        # Providers, demo and load generator: below.
        from portal.registry import DashboardProvider, ExportProvider, Step

        from . import dashboards, demo, exports, load

        registry.add_demo_loader(
            Step("civility.civility", demo.load, depends_on=("portal.accounts",))
        )
        registry.add_load_generator(
            Step("civility.civility", load.generate, depends_on=("housing.estates",))
        )
        registry.add_dashboard_provider(
            DashboardProvider(
                "civility",
                _("Civilized-city creation"),
                dashboards.tiles,
                order=60,
                by_area=dashboards.by_area,
                figures=dashboards.FIGURES,
                trend=dashboards.trend,
            )
        )
        for name, label, rows, columns, kind in [
            (
                "civility.findings",
                _("Inspection findings"),
                exports.finding_rows,
                exports.FINDING_COLUMNS,
                "civility.finding",
            ),
            (
                "civility.orders",
                _("Supervision orders"),
                exports.order_rows,
                exports.ORDER_COLUMNS,
                "civility.order",
            ),
            (
                "civility.events",
                _("Outreach events"),
                exports.event_rows,
                exports.EVENT_COLUMNS,
                "civility.event",
            ),
        ]:
            registry.add_export_provider(ExportProvider(name, label, rows, columns, kind=kind))
        # personal data: added here
        from . import personal_data

        personal_data.register()

        # audit and staff hand-over: an unfinished inspection moves with its inspectors.
        from django.db.models import Q

        from portal.services.handover import m2m_assignments

        from .models import Inspection

        registry.add_user_assignments(
            m2m_assignments(
                "civility.inspections",
                _("Unfinished inspections"),
                Inspection,
                "inspectors",
                Q(finished_at__isnull=True),
            )
        )

    def add_navigation(self):
        from portal.registry import NavItem, registry

        from .services.inspections import in_nav as inspections_in_nav
        from .services.orders import in_nav as orders_in_nav
        from .views.criteria import criteria_in_nav, sites_in_nav
        from .views.outreach import events_in_nav, measures_in_nav

        for name, label, url_name, visible, order in [
            ("civility.orders", _("Supervision orders"), "civility:order_list", orders_in_nav, 360),
            (
                "civility.inspections",
                _("Inspections"),
                "civility:inspection_list",
                inspections_in_nav,
                455,
            ),
            ("civility.findings", _("Findings"), "civility:finding_list", inspections_in_nav, 456),
            ("civility.events", _("Outreach events"), "civility:event_list", events_in_nav, 460),
            ("civility.measures", _("Measures"), "civility:measures", measures_in_nav, 470),
            ("civility.criteria", _("Criteria"), "civility:criteria_list", criteria_in_nav, 500),
            ("civility.sites", _("Inspection sites"), "civility:site_list", sites_in_nav, 505),
        ]:
            registry.add_nav_item(NavItem(name, label, url_name, visible=visible, order=order))
