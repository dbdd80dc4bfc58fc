"""The concerns register (急难愁盼): the list with its record form, and the page where a
concern is answered or turned into a dispute or an estate issue."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from django_filters.views import FilterView

from portal.forms import PhoneField
from portal.models import Area
from portal.querysets import area_labels
from portal.registry import case_url, registry
from portal.roles import Action, AreaLevel
from portal.scope import get_visible_or_404, may, reach, under_paths_q
from portal.views.accounts import form_error_from

from ..filters import ConcernFilter
from ..models import Concern
from ..services import concerns as services

CONCERN = "disputes.concern"


def works_on_concerns(user) -> bool:
    """Community staff and those above them (areas); residents see their own concerns on
    "My requests", organisations have no part in the register."""
    r = reach(user, CONCERN, Action.VIEW)
    return r.everything or bool(r.area_paths)


def recording_communities(user):
    """The communities where the user may record a concern."""
    r = reach(user, CONCERN, Action.CREATE)
    communities = Area.objects.filter(level=AreaLevel.COMMUNITY).order_by("path")
    return communities if r.everything else communities.filter(under_paths_q(r.area_paths))


# --- Forms ----------------------------------------------------------------------------


class ConcernRecordForm(forms.Form):
    community = forms.TypedChoiceField(label=gettext_lazy("Community"), coerce=int)
    raised_at_event = forms.CharField(
        label=gettext_lazy("Raised at"),
        max_length=100,
        required=False,
        help_text=gettext_lazy("The tea talk or mini-forum, e.g. “Qingyi courtyard tea talk”."),
    )
    description = forms.CharField(
        label=gettext_lazy("The concern"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    filer_name = forms.CharField(
        label=gettext_lazy("Raised by (name)"), max_length=100, required=False
    )
    filer_phone = PhoneField(
        required=False,
        help_text=gettext_lazy(
            "Optional. A resident with an account and this phone follows the concern "
            "on “My requests”; anyone can check it with the reference number."
        ),
    )

    def __init__(self, *args, communities: list[Area], **kwargs):
        super().__init__(*args, **kwargs)
        self.communities = {c.pk: c for c in communities}
        labels = area_labels(communities)
        field = self.fields["community"]
        field.choices = [(c.pk, labels.get(c.pk, c.name)) for c in communities]
        if len(communities) == 1:
            field.initial = communities[0].pk

    def clean_community(self):
        return self.communities[self.cleaned_data["community"]]


class ConcernAnswerForm(forms.Form):
    answer = forms.CharField(
        label=gettext_lazy("Answer"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("The resident reads this answer; the concern is then closed."),
    )


class ConcernTurnForm(forms.Form):
    into = forms.ChoiceField(label=gettext_lazy("Turn into"), widget=forms.RadioSelect)
    estate = forms.ModelChoiceField(
        label=gettext_lazy("Estate"),
        queryset=None,
        required=False,
        help_text=gettext_lazy("For an estate issue."),
    )
    category = forms.ChoiceField(label=gettext_lazy("Issue category"), required=False)

    def __init__(self, *args, concern: Concern, user, **kwargs):
        from housing.models import Estate, IssueCategory

        super().__init__(*args, **kwargs)
        choices = [(services.INTO_ISSUE, _("an estate issue"))]
        if registry.hand_over_target("dispute_from") is not None:
            choices.insert(0, (services.INTO_DISPUTE, _("a dispute for mediation")))
        self.fields["into"].choices = choices
        self.fields["estate"].queryset = (
            Estate.objects.visible_to(user)
            .filter(community_id=concern.case.community_id)
            .order_by("name")
        )
        self.fields["category"].choices = [("", _("Choose")), *IssueCategory.choices]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("into") == services.INTO_ISSUE:
            if not cleaned.get("estate"):
                self.add_error("estate", _("Choose the estate."))
            if not cleaned.get("category"):
                self.add_error("category", _("Choose a category."))
        return cleaned

    def details(self) -> dict:
        if self.cleaned_data["into"] == services.INTO_ISSUE:
            return {
                "estate": self.cleaned_data["estate"],
                "category": self.cleaned_data["category"],
            }
        return {}


# --- The register ---------------------------------------------------------------------


class ConcernListView(FilterView):
    """The concerns in scope, newest open first; staff who may record see the form."""

    template_name = "disputes/concerns/concern_list.html"
    filterset_class = ConcernFilter
    paginate_by = 25

    def dispatch(self, request, *args, **kwargs):
        if not works_on_concerns(request.user):
            raise PermissionDenied
        self.communities = list(recording_communities(request.user))
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return (
            Concern.objects.visible_to(self.request.user)
            .select_related("case__community", "turned_into")
            .order_by(F("case__closed_at").desc(nulls_first=True), "-case__created_at", "-pk")
        )

    def get_record_form(self, data=None):
        if not self.communities:
            return None
        return ConcernRecordForm(data, communities=self.communities)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = [c.pk for c in context["object_list"] if c.case.closed_at is None]
        context["closable_ids"] = (
            set(
                Concern.objects.visible_to(self.request.user, Action.CLOSE)
                .filter(pk__in=page)
                .values_list("pk", flat=True)
            )
            if page
            else set()
        )
        context.setdefault("record_form", self.get_record_form())
        context["may_export"] = may(self.request.user, Action.EXPORT, CONCERN)
        return context

    def post(self, request, *args, **kwargs):
        form = self.get_record_form(request.POST)
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                concern = services.concern_record(
                    actor=request.user,
                    filed_by=services.resident_with_phone(
                        community=data["community"], phone=data["filer_phone"]
                    ),
                    **data,
                )
            except ValidationError as error:
                form_error_from(form, error)
            else:
                messages.success(
                    request,
                    _("Concern %(reference)s is recorded.") % {"reference": concern.case.reference},
                )
                return redirect("disputes:concerns")
        self.object_list = self.get_queryset()
        self.filterset = self.get_filterset(self.get_filterset_class())
        self.object_list = self.filterset.qs
        return self.render_to_response(self.get_context_data(record_form=form))


class ConcernActionView(TemplateView):
    """A concern with the forms to answer it or turn it into a case; each form POSTs to
    its own URL and, on an error, this page comes back with what was typed."""

    template_name = "disputes/concerns/concern_action.html"

    def dispatch(self, request, *args, **kwargs):
        self.concern = get_visible_or_404(
            Concern.objects.select_related("case__community", "turned_into"),
            request.user,
            pk=kwargs["pk"],
        )
        if (
            not Concern.objects.visible_to(request.user, Action.CLOSE)
            .filter(pk=self.concern.pk)
            .exists()
        ):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def forms(self, data=None, which=""):
        concern, user = self.concern, self.request.user
        return {
            "answer_form": ConcernAnswerForm(data if which == "answer" else None),
            "turn_form": ConcernTurnForm(
                data if which == "turn" else None, concern=concern, user=user
            ),
        }

    def get_context_data(self, **kwargs):
        context = {"concern": self.concern, "case": self.concern.case}
        if self.concern.case.closed_at is None:
            context.update(self.forms())
        context.update(kwargs)
        return super().get_context_data(**context)


class ConcernAnswerView(ConcernActionView):
    """POST: answer the concern (it closes, the answer public)."""

    def post(self, request, *args, **kwargs):
        forms_ = self.forms(request.POST, "answer")
        form = forms_["answer_form"]
        if form.is_valid():
            try:
                services.concern_answer(
                    actor=request.user, concern=self.concern, answer=form.cleaned_data["answer"]
                )
            except ValidationError as error:
                form_error_from(form, error)
            else:
                messages.success(
                    request,
                    _("Concern %(reference)s is answered.")
                    % {"reference": self.concern.case.reference},
                )
                return redirect("disputes:concerns")
        return self.render_to_response(self.get_context_data(**forms_))


class ConcernTurnView(ConcernActionView):
    """POST: turn the concern into a dispute or an estate issue, then open that case."""

    def post(self, request, *args, **kwargs):
        forms_ = self.forms(request.POST, "turn")
        form = forms_["turn_form"]
        if form.is_valid():
            try:
                concern = services.concern_turn(
                    actor=request.user,
                    concern=self.concern,
                    into=form.cleaned_data["into"],
                    **form.details(),
                )
            except ValidationError as error:
                form_error_from(form, error)
            else:
                turned = concern.turned_into
                messages.success(
                    request,
                    _("Concern %(reference)s is now %(turned)s.")
                    % {"reference": concern.case.reference, "turned": turned.reference},
                )
                return redirect(case_url(turned))
        return self.render_to_response(self.get_context_data(**forms_))


__all__ = [
    "ConcernAnswerView",
    "ConcernListView",
    "ConcernTurnView",
    "recording_communities",
    "works_on_concerns",
]
