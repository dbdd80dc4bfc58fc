"""Routes for medical-care integration: agreements, family-doctor teams, contracts, visits."""

from django.urls import path

from ..views import medical

urlpatterns = [
    path("agreements/", medical.AgreementListView.as_view(), name="agreement_list"),
    path("agreements/new/", medical.AgreementCreateView.as_view(), name="agreement_create"),
    path("agreements/<int:pk>/", medical.AgreementDetailView.as_view(), name="agreement_detail"),
    path("agreements/<int:pk>/edit/", medical.AgreementEditView.as_view(), name="agreement_edit"),
    path("teams/", medical.TeamListView.as_view(), name="team_list"),
    path("teams/new/", medical.TeamCreateView.as_view(), name="team_create"),
    path("teams/<int:pk>/", medical.TeamDetailView.as_view(), name="team_detail"),
    path(
        "teams/<int:pk>/contracts/new/",
        medical.TeamContractAddView.as_view(),
        name="team_contract_add",
    ),
    path("contracts/<int:pk>/", medical.ContractDetailView.as_view(), name="contract_detail"),
    path("contracts/<int:pk>/end/", medical.ContractEndView.as_view(), name="contract_end"),
    path("contracts/<int:pk>/visits/new/", medical.VisitRecordView.as_view(), name="visit_record"),
]
