"""Template helpers of the shell."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def query_with(context, **changes):
    """The current query string with `changes` applied, e.g. for pagination links."""
    query = context["request"].GET.copy()
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    return query.urlencode()


@register.filter
def case_kind(case) -> str:
    """The label of a case's kind, from the registry."""
    from portal.registry import registry

    kind = registry.case_kinds.get(case.kind)
    return str(kind.label) if kind else case.kind


@register.filter
def case_status(case) -> str:
    """The label of a case's status in its kind's workflow."""
    from portal.registry import registry

    kind = registry.case_kinds.get(case.kind)
    return str(kind.status_label(case.status)) if kind else case.status


@register.inclusion_tag("portal/_case_mark.html")
def case_mark(case):
    return {"mark": case.mark}


@register.filter
def case_url(case) -> str:
    from portal.registry import case_url as url_of

    return url_of(case)
