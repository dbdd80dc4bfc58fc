"""Home adaptation pages under /eldercare/adaptations/."""

from django.urls import path

from ..views import adaptations as views

urlpatterns = [
    path("adaptations/", views.AdaptationListView.as_view(), name="adaptation_list"),
    path("adaptations/apply/", views.AdaptationApplyView.as_view(), name="adaptation_apply"),
    path("adaptations/<int:pk>/", views.AdaptationDetailView.as_view(), name="adaptation_detail"),
    path("adaptations/<int:pk>/assess/", views.AssessView.as_view(), name="adaptation_assess"),
    path("adaptations/<int:pk>/plan/", views.PlanView.as_view(), name="adaptation_plan"),
    path("adaptations/<int:pk>/approve/", views.ApproveView.as_view(), name="adaptation_approve"),
    path("adaptations/<int:pk>/works/", views.WorksView.as_view(), name="adaptation_works"),
    path("adaptations/<int:pk>/accept/", views.AcceptView.as_view(), name="adaptation_accept"),
    path("adaptations/<int:pk>/pay/", views.PayView.as_view(), name="adaptation_pay"),
    path("adaptations/<int:pk>/reject/", views.RejectView.as_view(), name="adaptation_reject"),
    path("adaptations/<int:pk>/survey/", views.SurveyView.as_view(), name="adaptation_survey"),
]
