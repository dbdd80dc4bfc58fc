from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DisputesConfig(AppConfig):
    name = "disputes"
    verbose_name = _("Disputes")

    def ready(self):
        from portal.registry import CaseKind, RuleKind, registry
        from portal.rules import CaseRulesForm, form_validator

        from .models import Concern, Dispute
        from .rules import CONCERN_RULES, DISPUTE_RULES, DisputeRulesForm

        registry.add_rule_kind(
            RuleKind(
                "disputes.dispute",
                _("Mediation time limits"),
                form_validator(DisputeRulesForm),
                DISPUTE_RULES,
            )
        )
        registry.add_rule_kind(
            RuleKind(
                "disputes.concern",
                _("Concern time limits"),
                form_validator(CaseRulesForm),
                CONCERN_RULES,
            )
        )
        registry.add_case_kind(
            CaseKind(
                name="disputes.dispute",
                model=Dispute,
                prefix="JF",
                label=_("dispute"),
                label_plural=_("disputes"),
                statuses=Dispute.Status,
                initial_status=Dispute.Status.RECEIVED,
                rule_kind="disputes.dispute",
                detail_url_name="disputes:dispute_detail",
                resident_visible=True,
            )
        )
        registry.add_case_kind(
            CaseKind(
                name="disputes.concern",
                model=Concern,
                prefix="JP",
                label=_("concern"),
                label_plural=_("concerns"),
                statuses=Concern.Status,
                initial_status=Concern.Status.RECORDED,
                rule_kind="disputes.concern",
                detail_url_name="portal:case_detail",
                resident_visible=True,
            )
        )
        # hand-over target, exports, dashboards, demo, load generator, navigation: below
        # -- hand-over target: a dispute from another case (estate issue, elevator objection)
        from portal.registry import HandOverTarget

        from .services.intake import dispute_from_case

        registry.add_hand_over_target(
            HandOverTarget("dispute_from", _("Turn into a dispute"), dispute_from_case)
        )
        # -- end of hand-over target
        # -- exports, dashboard and navigation of the queue, "My cases" and concerns
        from portal.registry import DashboardProvider, ExportProvider, NavItem

        from . import dashboards, exports
        from .views.clinic import may_have_cases, works_in_clinic
        from .views.concerns import works_on_concerns

        registry.add_export_provider(
            ExportProvider(
                "disputes.disputes",
                _("Disputes"),
                exports.dispute_rows,
                exports.DISPUTE_COLUMNS,
                kind="disputes.dispute",
            )
        )
        registry.add_export_provider(
            ExportProvider(
                "disputes.concerns",
                _("Concerns"),
                exports.concern_rows,
                exports.CONCERN_COLUMNS,
                kind="disputes.concern",
            )
        )
        registry.add_dashboard_provider(
            DashboardProvider(
                "disputes",
                _("Disputes"),
                dashboards.tiles,
                order=20,
                by_area=dashboards.by_area,
                figures=dashboards.FIGURES,
                trend=dashboards.trend,
            )
        )
        for name, label, url_name, visible, order in [
            ("disputes.queue", _("Clinic"), "disputes:queue", works_in_clinic, 200),
            ("disputes.my_cases", _("My cases"), "disputes:my_cases", may_have_cases, 210),
            ("disputes.concerns", _("Concerns"), "disputes:concerns", works_on_concerns, 220),
        ]:
            registry.add_nav_item(NavItem(name, label, url_name, visible=visible, order=order))
        # -- end of exports, dashboard and navigation
        from portal.registry import Step
        from portal.roles import Role
        from portal.scope import roles_of

        from . import demo, load
        from .querysets import party_disputes

        registry.add_demo_loader(
            Step("disputes.clinic", demo.load, depends_on=("housing.estates",))
        )
        registry.add_person_cases("disputes.parties", party_disputes)
        registry.add_load_generator(
            Step("disputes.clinic", load.generate, depends_on=("housing.estates",))
        )
        for name, label, url_name, visible, order in [
            (
                "disputes.walk_in",
                _("New dispute"),
                "disputes:walk_in",
                lambda u: bool(roles_of(u) & {Role.COMMUNITY_STAFF, Role.PARTY_SECRETARY}),
                205,
            ),
            (
                "disputes.refer",
                _("Refer a dispute"),
                "disputes:grid_referral",
                lambda u: Role.GRID_WORKER in roles_of(u),
                206,
            ),
            (
                "disputes.ask",
                _("Ask for mediation"),
                "disputes:ask",
                lambda u: Role.RESIDENT in roles_of(u),
                17,
            ),
            (
                "disputes.slots",
                _("Clinic hours"),
                "disputes:slots",
                lambda u: bool(roles_of(u) & {Role.COMMUNITY_STAFF, Role.PARTY_SECRETARY}),
                215,
            ),
        ]:
            registry.add_nav_item(NavItem(name, label, url_name, visible=visible, order=order))
        # personal data: added here
        from . import personal_data

        personal_data.register()
