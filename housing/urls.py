"""Housing pages under /housing/."""

from django.urls import path

from .views import desk, governance, importing, registry

app_name = "housing"

urlpatterns = [
    # registry pages
    path("estates/", registry.EstateListView.as_view(), name="estate_list"),
    path("estates/new/", registry.EstateCreateView.as_view(), name="estate_create"),
    path("estates/<int:pk>/", registry.EstateDetailView.as_view(), name="estate_detail"),
    path("households/<int:pk>/", registry.HouseholdDetailView.as_view(), name="household_detail"),
    path("households/<int:pk>/people/new/", registry.PersonAddView.as_view(), name="person_add"),
    path("people/<int:pk>/", registry.PersonDetailView.as_view(), name="person_detail"),
    path("people/<int:pk>/reveal/", registry.PersonRevealView.as_view(), name="person_reveal"),
    path("people/<int:pk>/link/", registry.PersonLinkView.as_view(), name="person_link"),
    path("my-household/", registry.ClaimView.as_view(), name="claim"),
    path("claims/", registry.ClaimQueueView.as_view(), name="claim_queue"),
    path("claims/<int:pk>/decide/", registry.ClaimDecideView.as_view(), name="claim_decide"),
    # governance pages
    path("estates/<int:pk>/mode/", governance.EstateModeView.as_view(), name="estate_mode"),
    path("estates/<int:pk>/roster/new/", governance.RosterAddView.as_view(), name="roster_add"),
    path("roster/<int:pk>/end/", governance.RosterEndView.as_view(), name="roster_end"),
    path("estates/<int:pk>/reviews/new/", governance.ReviewAddView.as_view(), name="review_add"),
    path("companies/", governance.CompanyListView.as_view(), name="company_list"),
    path("companies/<int:pk>/", governance.CompanyDetailView.as_view(), name="company_detail"),
    # desk visits and estate issues
    path("desk/", desk.DeskCalendarView.as_view(), name="desk_calendar"),
    path("estates/<int:pk>/desk/new/", desk.DeskVisitCreateView.as_view(), name="desk_visit_new"),
    path("desk/<int:pk>/", desk.DeskVisitDetailView.as_view(), name="desk_visit_detail"),
    path("desk/<int:pk>/record/", desk.DeskVisitRecordView.as_view(), name="desk_visit_record"),
    path("issues/", desk.IssueQueueView.as_view(), name="issue_queue"),
    path("issues/<int:pk>/dispute/", desk.IssueToDisputeView.as_view(), name="issue_to_dispute"),
    path("report/", desk.IssueReportView.as_view(), name="issue_report"),
    # import and export
    path("estates/<int:pk>/import/", importing.EstateImportView.as_view(), name="estate_import"),
    path("import/template.xlsx", importing.import_template, name="import_template"),
]
