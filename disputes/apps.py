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
            RuleKind("disputes.dispute", _("Mediation time limits"),
                     form_validator(DisputeRulesForm), DISPUTE_RULES)
        )
        registry.add_rule_kind(
            RuleKind("disputes.concern", _("Concern time limits"),
                     form_validator(CaseRulesForm), CONCERN_RULES)
        )
        registry.add_case_kind(
            CaseKind(
                name="disputes.dispute", model=Dispute, prefix="JF", label=_("dispute"),
                label_plural=_("disputes"), statuses=Dispute.Status,
                initial_status=Dispute.Status.RECEIVED, rule_kind="disputes.dispute",
                detail_url_name="disputes:dispute_detail", resident_visible=True,
            )
        )
        registry.add_case_kind(
            CaseKind(
                name="disputes.concern", model=Concern, prefix="JP", label=_("concern"),
                label_plural=_("concerns"), statuses=Concern.Status,
                initial_status=Concern.Status.RECORDED, rule_kind="disputes.concern",
                detail_url_name="portal:case_detail", resident_visible=True,
            )
        )
        # hand-over target, exports, dashboards, demo, load generator, navigation: below

