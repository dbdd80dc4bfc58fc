from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EldercareConfig(AppConfig):
    name = "eldercare"
    verbose_name = _("Eldercare")

    def ready(self):
        from portal.registry import CaseKind, RuleKind, registry
        from portal.rules import validate_case_rules

        from . import rules
        from .models import Adaptation, AdaptationStage, Errand, ErrandStatus

        registry.add_rule_kind(
            RuleKind(
                "eldercare.subsidy",
                _("Home adaptation subsidy and eligibility"),
                rules.validate_subsidy,
                rules.DEFAULT_SUBSIDY,
            )
        )
        registry.add_rule_kind(
            RuleKind(
                "eldercare.catalogue",
                _("Home adaptation item catalogue"),
                rules.validate_catalogue,
                rules.DEFAULT_CATALOGUE,
            )
        )
        registry.add_rule_kind(
            RuleKind(
                "eldercare.adaptation",
                _("Home adaptation reminders"),
                validate_case_rules,
                rules.ADAPTATION_CASE_RULES,
            )
        )
        registry.add_rule_kind(
            RuleKind(
                "eldercare.errand",
                _("Errand time limits"),
                validate_case_rules,
                rules.ERRAND_CASE_RULES,
            )
        )
        registry.add_case_kind(
            CaseKind(
                name="eldercare.adaptation",
                model=Adaptation,
                prefix="SL",
                label=_("home adaptation"),
                label_plural=_("home adaptations"),
                statuses=AdaptationStage,
                initial_status=AdaptationStage.APPLIED,
                rule_kind="eldercare.adaptation",
                detail_url_name="eldercare:adaptation_detail",
                resident_visible=True,
            )
        )
        registry.add_case_kind(
            CaseKind(
                name="eldercare.errand",
                model=Errand,
                prefix="BB",
                label=_("errand"),
                label_plural=_("errands"),
                statuses=ErrandStatus,
                initial_status=ErrandStatus.REQUESTED,
                rule_kind="eldercare.errand",
                detail_url_name="eldercare:errand_detail",
                resident_visible=True,
            )
        )
        self.add_navigation()
        # Providers, demo and navigation: below, once their modules exist.
        from portal.registry import DashboardProvider, ExportProvider, Step

        from . import dashboards, demo, exports, load

        registry.add_demo_loader(Step("eldercare.care", demo.load, depends_on=("housing.estates",)))
        registry.add_load_generator(
            Step("eldercare.care", load.generate, depends_on=("housing.estates",))
        )
        registry.add_dashboard_provider(
            DashboardProvider(
                "eldercare",
                _("Eldercare"),
                dashboards.tiles,
                order=40,
                by_area=dashboards.by_area,
                figures=dashboards.FIGURES,
                trend=dashboards.trend,
            )
        )
        for name, label, rows, columns, kind in [
            (
                "eldercare.adaptations",
                _("Home adaptations"),
                exports.adaptation_rows,
                exports.ADAPTATION_COLUMNS,
                "eldercare.adaptation",
            ),
            (
                "eldercare.errands",
                _("Errands"),
                exports.errand_rows,
                exports.ERRAND_COLUMNS,
                "eldercare.errand",
            ),
            (
                "eldercare.facilities",
                _("Care facilities"),
                exports.facility_rows,
                exports.FACILITY_COLUMNS,
                "eldercare.facility",
            ),
        ]:
            registry.add_export_provider(ExportProvider(name, label, rows, columns, kind=kind))
        # personal data: added here
        from . import personal_data

        personal_data.register()

    def add_navigation(self):
        from portal.registry import NavItem, registry
        from portal.roles import Role
        from portal.scope import roles_of

        from .services.errands import (
            is_volunteer,
            person_errands,
            resident_community,
            works_errands,
        )
        from .views.facilities import in_nav as facilities_in_nav
        from .views.medical import agreements_in_nav, teams_in_nav

        def is_resident(user) -> bool:
            return Role.RESIDENT in roles_of(user)

        from .services.adaptations import elder_cases, works_the_queue

        registry.add_person_cases("eldercare.adaptations", elder_cases)
        for name, label, url_name, visible, order in [
            (
                "eldercare.adaptations",
                _("Home adaptations"),
                "eldercare:adaptation_list",
                works_the_queue,
                320,
            ),
            (
                "eldercare.adaptation_apply",
                _("Apply for home adaptation"),
                "eldercare:adaptation_apply",
                is_resident,
                20,
            ),
            ("eldercare.meal_points", _("Meal points"), "eldercare:meal_points", is_resident, 19),
            (
                "eldercare.facilities",
                _("Care facilities"),
                "eldercare:facility_list",
                facilities_in_nav,
                400,
            ),
            (
                "eldercare.agreements",
                _("Medical-care agreements"),
                "eldercare:agreement_list",
                agreements_in_nav,
                420,
            ),
            (
                "eldercare.teams",
                _("Family-doctor teams"),
                "eldercare:team_list",
                teams_in_nav,
                430,
            ),
        ]:
            registry.add_nav_item(NavItem(name, label, url_name, visible=visible, order=order))
        # A resident linked to a person record later follows the errands filed for them.
        registry.add_person_cases("eldercare.errands", person_errands)
        registry.add_nav_item(
            NavItem(
                "eldercare.errands",
                _("Errands"),
                "eldercare:errand_list",
                visible=works_errands,
                order=340,
            )
        )
        registry.add_nav_item(
            NavItem(
                "eldercare.my_errands",
                _("My errands"),
                "eldercare:my_errands",
                visible=is_volunteer,
                order=215,
            )
        )
        registry.add_nav_item(
            NavItem(
                "eldercare.errand_request",
                _("Request an errand"),
                "eldercare:errand_request",
                visible=lambda u: resident_community(u) is not None,
                order=19,
            )
        )
