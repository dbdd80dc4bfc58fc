from django.apps import AppConfig


class KitappConfig(AppConfig):
    name = "tests.kitapp"
    label = "kitapp"

    def ready(self):
        from portal.registry import CaseKind, ExportProvider, RuleKind, registry
        from portal.rules import DEFAULT_CASE_RULES, validate_case_rules

        from . import exports
        from .models import Ticket

        registry.add_rule_kind(
            RuleKind("kitapp.ticket", "Ticket time limits", validate_case_rules, DEFAULT_CASE_RULES)
        )
        registry.add_case_kind(
            CaseKind(
                name="kitapp.ticket",
                model=Ticket,
                prefix="TK",
                label="ticket",
                label_plural="tickets",
                statuses=Ticket.Status,
                initial_status=Ticket.Status.NEW,
                rule_kind="kitapp.ticket",
                detail_url_name="portal:case_detail",
                resident_visible=True,
            )
        )
        registry.add_export_provider(
            ExportProvider(
                "kitapp.tickets", "Tickets", exports.tickets, exports.COLUMNS, kind="kitapp.ticket"
            )
        )
