from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ElevatorsConfig(AppConfig):
    name = "elevators"
    verbose_name = _("Elevators")

    def ready(self):
        from portal.registry import CaseKind, RuleKind, registry
        from portal.rules import validate_case_rules

        from . import rules
        from .models import Project, Stage

        registry.add_rule_kind(
            RuleKind(
                "elevators.consent",
                _("Elevator consent rules"),
                rules.validate_consent,
                rules.DEFAULT_CONSENT,
            )
        )
        registry.add_rule_kind(
            RuleKind(
                "elevators.cost",
                _("Elevator cost coefficients"),
                rules.validate_cost,
                rules.DEFAULT_COST,
            )
        )
        registry.add_rule_kind(
            RuleKind(
                "elevators.project",
                _("Elevator project time limits"),
                validate_case_rules,
                rules.PROJECT_RULES,
            )
        )
        registry.add_case_kind(
            CaseKind(
                name="elevators.project",
                model=Project,
                prefix="DT",
                label=_("elevator project"),
                label_plural=_("elevator projects"),
                statuses=Stage,
                initial_status=Stage.INTENT,
                rule_kind="elevators.project",
                detail_url_name="elevators:project_detail",
                resident_visible=True,
            )
        )
        # providers, demo, load generator, navigation: below
        from portal.registry import Step

        from . import demo, load

        registry.add_demo_loader(
            Step("elevators.projects", demo.load, depends_on=("housing.estates",))
        )
        registry.add_load_generator(
            Step("elevators.projects", load.generate, depends_on=("housing.estates",))
        )
        from portal.registry import DashboardProvider, ExportProvider

        from . import dashboards, exports

        registry.add_dashboard_provider(
            DashboardProvider(
                "elevators",
                _("Elevators"),
                dashboards.tiles,
                order=30,
                by_area=dashboards.by_area,
                figures=dashboards.FIGURES,
            )
        )
        registry.add_export_provider(
            ExportProvider(
                "elevators.projects",
                _("Elevator projects"),
                exports.project_rows,
                exports.PROJECT_COLUMNS,
                kind="elevators.project",
            )
        )
        from portal.registry import NavItem
        from portal.roles import Action as _Action
        from portal.roles import Role
        from portal.scope import may, roles_of

        registry.add_nav_item(
            NavItem(
                "elevators.projects",
                _("Elevator projects"),
                "elevators:project_list",
                visible=lambda u: (
                    u.is_superuser
                    or bool(
                        roles_of(u) - {Role.RESIDENT} and may(u, _Action.VIEW, "elevators.project")
                    )
                ),
                order=300,
            )
        )
        registry.add_nav_item(
            NavItem(
                "elevators.start",
                _("Add an elevator"),
                "elevators:project_start",
                visible=lambda u: Role.RESIDENT in roles_of(u),
                order=18,
            )
        )
        # personal data: added here
        from . import personal_data

        personal_data.register()
