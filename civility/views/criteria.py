"""Criteria sets (list, a set's page, importing a new version) and inspection sites
(list, page, registering and editing)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, TemplateView
from django_filters.views import FilterView

from portal.models import Area, Organisation
from portal.querysets import area_labels
from portal.roles import Action, AreaLevel
from portal.scope import can, get_visible_or_404, reach
from portal.views.accounts import form_error_from

from ..forms.criteria import CriteriaImportForm, CriteriaSetFilter, SiteFilter, SiteForm
from ..models import Category, CriteriaSet, Criterion, Finding, Inspection, Site
from ..services import criteria as criteria_services
from ..services import sites as site_services

RECENT_INSPECTIONS = 10


def may_list_criteria(user) -> bool:
    """Area staff, officers and officials; no query beyond the loaded memberships."""
    r = reach(user, criteria_services.KIND, Action.VIEW)
    return r.everything or bool(r.area_paths)


criteria_in_nav = may_list_criteria
sites_in_nav = site_services.in_nav


# --- Criteria sets --------------------------------------------------------------------


class CriteriaSetListView(FilterView):
    """The sets in scope by area, newest first, with their item counts; the one in force
    at each area marked."""

    template_name = "civility/criteria/set_list.html"
    filterset_class = CriteriaSetFilter
    paginate_by = 25

    def dispatch(self, request, *args, **kwargs):
        if not may_list_criteria(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        sets = (
            CriteriaSet.objects.visible_to(self.request.user)
            .select_related("area", "previous")
            .annotate(criteria_count=Count("criteria"))
            .order_by("area__path", "-valid_from", "-pk")
        )
        return criteria_services.with_in_force(sets, timezone.localdate())

    def get_filterset_kwargs(self, filterset_class):
        visible = CriteriaSet.objects.visible_to(self.request.user)
        areas = Area.objects.filter(pk__in=visible.values("area_id")).order_by("path")
        return {**super().get_filterset_kwargs(filterset_class), "areas": areas}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = list(context["object_list"])
        labels = area_labels({s.area for s in page})
        for criteria_set in page:
            criteria_set.area_label = labels.get(criteria_set.area_id)
        context["object_list"] = page
        context["today"] = timezone.localdate()
        context["may_import"] = criteria_services.may_import_somewhere(self.request.user)
        return context


def category_groups(criteria) -> list[tuple[str, list]]:
    """Criteria grouped by category in the vocabulary's order, codes ascending."""
    by_category: dict[str, list] = {}
    for criterion in criteria:
        by_category.setdefault(criterion.category, []).append(criterion)
    return [
        (label, by_category[value]) for value, label in Category.choices if value in by_category
    ]


class CriteriaSetDetailView(TemplateView):
    """A set: its criteria by category, the site types each applies to and the items of
    the previous set it replaces."""

    template_name = "civility/criteria/set_detail.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        today = timezone.localdate()
        sets = criteria_services.with_in_force(
            CriteriaSet.objects.select_related("area", "previous__area"), today
        )
        criteria_set = get_visible_or_404(sets, user, pk=self.kwargs["pk"])
        criteria = list(
            criteria_set.criteria.order_by("code").prefetch_related(
                Prefetch("replaces", queryset=Criterion.objects.only("pk", "code").order_by("code"))
            )
        )
        for criterion in criteria:
            criterion.type_labels = criteria_services.site_type_labels(criterion.site_types)
        previous = criteria_set.previous
        return super().get_context_data(
            criteria_set=criteria_set,
            area_label=area_labels([criteria_set.area]).get(criteria_set.area_id),
            groups=category_groups(criteria),
            criteria_count=len(criteria),
            previous=previous,
            previous_count=previous.criteria.count() if previous else None,
            previous_visible=previous is not None and can(user, Action.VIEW, previous),
            may_import=criteria_services.may_import_at(user, criteria_set.area),
            today=today,
            **kwargs,
        )


class CriteriaImportView(View):
    """GET: the form. POST: check the file (dry run) and show its report, or, with the
    checked file's digest, import it."""

    form_template = "civility/criteria/import_form.html"
    report_template = "civility/criteria/import_report.html"

    def dispatch(self, request, *args, **kwargs):
        if not criteria_services.may_import_somewhere(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def make_form(self, *args, **kwargs):
        user = self.request.user
        return CriteriaImportForm(
            *args,
            areas=criteria_services.import_areas(user),
            previous_sets=criteria_services.previous_candidates(user),
            **kwargs,
        )

    def render_form(self, form):
        return render(
            self.request,
            self.form_template,
            {"form": form, "columns": criteria_services.COLUMNS},
        )

    def get(self, request, *args, **kwargs):
        initial = {}
        for name in ("area", "previous"):
            value = request.GET.get(name, "")
            if value.isdigit():
                initial[name] = int(value)
        return self.render_form(self.make_form(initial=initial))

    def post(self, request, *args, **kwargs):
        form = self.make_form(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_form(form)
        data = form.cleaned_data
        confirming = form.confirming()
        try:
            report = criteria_services.criteria_import(
                actor=request.user,
                area=data["area"],
                name=data["name"],
                valid_from=data["valid_from"],
                previous=data["previous"],
                file=data["file"],
                dry_run=not confirming,
                checked_digest=data["checked"] if confirming else None,
            )
        except PermissionDenied:
            form.add_error("area", _("You may not import a set for this area."))
            return self.render_form(form)
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                form_error_from(form, error)
            else:
                form.add_error("file", error)
            return self.render_form(form)
        if confirming:
            messages.success(
                request,
                _("The set %(name)s is imported with %(count)d criteria.")
                % {"name": report.criteria_set.name, "count": report.criteria_count},
            )
            return redirect("civility:criteria_detail", pk=report.criteria_set.pk)
        confirm = self.make_form(
            initial={
                "name": data["name"],
                "area": data["area"].pk,
                "valid_from": data["valid_from"].isoformat(),
                "previous": data["previous"].pk if data["previous"] else None,
                "checked": report.digest,
            }
        ).as_confirmation()
        return render(
            request,
            self.report_template,
            {
                "form": confirm,
                "report": report,
                "area": data["area"],
                "name": data["name"],
                "valid_from": data["valid_from"],
                "previous": data["previous"],
            },
        )


# --- Inspection sites -----------------------------------------------------------------


class SiteListView(FilterView):
    """Sites in scope with their open findings and last inspection."""

    template_name = "civility/criteria/site_list.html"
    filterset_class = SiteFilter
    paginate_by = 25

    def dispatch(self, request, *args, **kwargs):
        if not site_services.may_list(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        user = self.request.user
        open_findings = (
            Finding.objects.visible_to(user)
            .open()
            .filter(site=OuterRef("pk"))
            .order_by()
            .values("site")
            .annotate(n=Count("pk"))
            .values("n")
        )
        last_inspection = (
            Inspection.objects.visible_to(user)
            .filter(site=OuterRef("pk"))
            .order_by("-inspected_on")
            .values("inspected_on")[:1]
        )
        return (
            Site.objects.visible_to(user)
            .select_related("area", "responsible_unit")
            .annotate(
                open_findings=Coalesce(Subquery(open_findings, output_field=IntegerField()), 0),
                last_inspected_on=Subquery(last_inspection),
            )
            .order_by("area__path", "name", "pk")
        )

    def get_filterset_kwargs(self, filterset_class):
        visible = Site.objects.visible_to(self.request.user)
        paths = set(visible.order_by().values_list("area__path", flat=True).distinct())
        step = Area.steplen
        wanted = paths | {p[:end] for p in paths for end in range(step, len(p), step)}
        areas = (
            Area.objects.filter(path__in=wanted).exclude(level=AreaLevel.PROVINCE).order_by("path")
        )
        units = Organisation.objects.filter(pk__in=visible.values("responsible_unit_id"))
        return {
            **super().get_filterset_kwargs(filterset_class),
            "areas": areas,
            "units": units.order_by("name"),
        }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["may_create"] = site_services.may_create_somewhere(self.request.user)
        return context


def visible_site(user, pk):
    return get_visible_or_404(
        Site.objects.select_related("area", "responsible_unit__area"), user, pk=pk
    )


class SiteDetailView(TemplateView):
    """A site: its details, the checklist in force for it, recent inspections and the
    number of open findings."""

    template_name = "civility/criteria/site_detail.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        site = visible_site(user, self.kwargs["pk"])
        inspections = list(
            Inspection.objects.visible_to(user)
            .filter(site=site)
            .select_related("criteria_set")
            .annotate(finding_count=Count("findings"))
            .order_by("-inspected_on", "-pk")[:RECENT_INSPECTIONS]
        )
        in_force = criteria_services.criteria_in_force(site.area)
        return super().get_context_data(
            site=site,
            area_label=area_labels([site.area]).get(site.area_id),
            inspections=inspections,
            open_findings=Finding.objects.visible_to(user).open().filter(site=site).count(),
            criteria_set=in_force,
            checklist_count=(
                criteria_services.applicable_criteria(in_force, site.type).count()
                if in_force
                else 0
            ),
            may_edit=site_services.may_manage(user, site),
            **kwargs,
        )


class SiteCreateView(FormView):
    template_name = "civility/criteria/site_form.html"
    form_class = SiteForm

    def dispatch(self, request, *args, **kwargs):
        if not site_services.may_create_somewhere(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        user = self.request.user
        return {
            **super().get_form_kwargs(),
            "areas": site_services.site_areas(user),
            "units": site_services.responsible_units(user),
        }

    def form_valid(self, form):
        try:
            site = site_services.site_create(actor=self.request.user, **form.cleaned_data)
        except ValidationError as error:
            form_error_from(form, error)
            return self.form_invalid(form)
        except PermissionDenied:
            form.add_error("area", _("You may not register a site in this area."))
            return self.form_invalid(form)
        messages.success(self.request, _("The site is registered."))
        return redirect("civility:site_detail", pk=site.pk)


class SiteEditView(SiteCreateView):
    def dispatch(self, request, *args, **kwargs):
        self.site = visible_site(request.user, kwargs["pk"])
        if not site_services.may_manage(request.user, self.site):
            raise PermissionDenied
        return FormView.dispatch(self, request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.site}

    def get_context_data(self, **kwargs):
        return super().get_context_data(site=self.site, **kwargs)

    def form_valid(self, form):
        try:
            site = site_services.site_update(
                actor=self.request.user, site=self.site, **form.cleaned_data
            )
        except ValidationError as error:
            form_error_from(form, error)
            return self.form_invalid(form)
        except PermissionDenied:
            form.add_error("area", _("You may not move the site to this area."))
            return self.form_invalid(form)
        messages.success(self.request, _("The site is saved."))
        return redirect("civility:site_detail", pk=site.pk)
