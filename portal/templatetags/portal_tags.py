"""Template helpers of the shell."""

from django import forms, template
from django.forms.models import ModelChoiceIterator
from django.forms.utils import flatatt
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

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


@register.simple_tag
def case_mark(case):
    """The red (supervised) or yellow (overdue, escalated) badge of a case. A plain tag,
    not a template: lists render it on every row."""
    mark = case.mark
    if mark == "red":
        return format_html(
            '<span class="badge text-bg-danger">{}</span>', _("red: under supervision")
        )
    if mark == "yellow":
        return format_html(
            '<span class="badge text-bg-warning">{}</span>', _("yellow: overdue or escalated")
        )
    return ""


@register.filter
def case_url(case) -> str:
    from portal.registry import case_url as url_of

    return url_of(case)


@register.inclusion_tag("portal/audit/_case_history_link.html", takes_context=True)
def case_history_link(context, case):
    """A link to the case's full change history, for auditors whose area holds the case
    (decided from the loaded memberships: no query)."""
    from portal.views.audit import may_audit_case

    user = context.get("user")
    shown = bool(user and user.is_authenticated and case and may_audit_case(user, case))
    return {"case": case, "shown": shown}


def _choices(widget) -> list:
    """The widget's (value, label) pairs. A model field's are read with a plain query:
    Django's own iteration uses iterator(), a server-side cursor on PostgreSQL, which
    costs three round trips for a few rows."""
    choices = widget.choices
    if not isinstance(choices, ModelChoiceIterator):
        return list(choices)
    field = choices.field
    head = [("", field.empty_label)] if field.empty_label is not None else []
    if getattr(field, "null_label", None) is not None:  # django-filter's "none" choice
        head.append((field.null_value, field.null_label))
    return head + [choices.choice(obj) for obj in choices.queryset.all()]


def _fast_select(field, attrs):
    """A plain single select drawn in Python: Django draws each option through a template,
    which on a list page's filters costs more than the rows. None for anything else."""
    widget = field.field.widget
    if type(widget) is not forms.Select:
        return None
    choices = _choices(widget)
    if any(isinstance(label, list | tuple) for _value, label in choices):
        return None  # option groups: leave them to Django
    selected = set(widget.format_value(field.value()))
    attrs = field.build_widget_attrs({**widget.attrs, **attrs, "id": field.auto_id})
    esc = conditional_escape
    options = "".join(
        f'<option value="{esc(value)}"{" selected" if str(value) in selected else ""}>'
        f"{esc(label)}</option>"
        for value, label in choices
    )
    options = mark_safe(options)  # noqa: S308 - every value and label is escaped above
    return format_html('<select name="{}"{}>{}</select>', field.html_name, flatatt(attrs), options)


@register.simple_tag
def filter_field(field):
    """A list filter's field with Bootstrap's classes and its errors. Filters render on
    every list page; crispy's nested templates cost tens of milliseconds there."""
    widget = field.field.widget
    if isinstance(widget, forms.CheckboxInput):
        css = "form-check-input"
    elif isinstance(widget, forms.Select | forms.SelectMultiple):
        css = "form-select"
    else:
        css = "form-control"
    attrs = {"class": f"{css} is-invalid" if field.errors else css}
    if field.errors:
        attrs["aria-invalid"] = "true"
        attrs["aria-describedby"] = f"{field.auto_id}_errors"
    errors = format_html_join("", "<div>{}</div>", ((error,) for error in field.errors))
    return format_html(
        '<div class="mb-3"><label class="form-label" for="{}">{}</label>{}{}{}</div>',
        field.id_for_label,
        field.label,
        _fast_select(field, attrs) or field.as_widget(attrs=attrs),
        format_html('<div class="form-text">{}</div>', field.help_text) if field.help_text else "",
        format_html(
            '<div class="invalid-feedback d-block" id="{}_errors">{}</div>', field.auto_id, errors
        )
        if field.errors
        else "",
    )
