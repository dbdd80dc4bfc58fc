"""Staff hand-over: move a leaving worker's open work to a colleague, then deactivate."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.utils.translation import ngettext
from django.views.generic import FormView

from ..forms import HandOverForm
from ..roles import Action
from ..scope import account_manageable
from ..services import handover as services
from .accounts import AccountAdminMixin, form_error_from


class HandOverView(AccountAdminMixin, FormView):
    """Counts of the account's open work, a colleague to take it, a confirmation."""

    action = Action.CHANGE
    template_name = "portal/account_handover.html"
    form_class = HandOverForm

    def get_leaving(self):
        if not hasattr(self, "_leaving"):
            leaving = self.get_account(Action.CHANGE)
            if not account_manageable(self.request.user, leaving):
                raise PermissionDenied
            self._leaving = leaving
        return self._leaving

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "actor": self.request.user,
            "leaving": self.get_leaving(),
        }

    def get_context_data(self, **kwargs):
        work = services.open_work(self.get_leaving())
        return super().get_context_data(
            account=self.get_leaving(),
            work=work,
            total=sum(w.count for w in work),
            **kwargs,
        )

    def form_valid(self, form):
        leaving = self.get_leaving()
        try:
            moved = services.hand_over_work(
                actor=self.request.user,
                leaving=leaving,
                successor=form.cleaned_data["successor"],
                deactivate=form.cleaned_data["deactivate"],
            )
        except ValidationError as error:
            form_error_from(form, error)
            return self.form_invalid(form)
        count = sum(w.count for w in moved)
        messages.success(
            self.request,
            ngettext(
                "%(count)d open item was handed to %(name)s.",
                "%(count)d open items were handed to %(name)s.",
                count,
            )
            % {"count": count, "name": form.cleaned_data["successor"]},
        )
        return redirect("portal:account_detail", pk=leaving.pk)
