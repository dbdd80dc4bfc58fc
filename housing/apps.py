from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HousingConfig(AppConfig):
    name = "housing"
    verbose_name = _("Housing")

    def ready(self):
        from portal.registry import CaseKind, RuleKind, registry
        from portal.rules import DEFAULT_CASE_RULES, validate_case_rules

        from .models import EstateIssue

        registry.add_rule_kind(
            RuleKind(
                "housing.issue",
                _("Estate issue time limits"),
                validate_case_rules,
                DEFAULT_CASE_RULES,
            )
        )
        registry.add_case_kind(
            CaseKind(
                name="housing.issue",
                model=EstateIssue,
                prefix="WY",
                label=_("estate issue"),
                label_plural=_("estate issues"),
                statuses=EstateIssue.Status,
                initial_status=EstateIssue.Status.REPORTED,
                rule_kind="housing.issue",
                detail_url_name="portal:case_detail",
                resident_visible=True,
            )
        )
        # export providers: registered below
        # dashboard providers, demo loader and load generator: registered below
