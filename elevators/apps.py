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
