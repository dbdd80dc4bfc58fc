"""Elevator retrofit pages under /elevators/."""

from django.urls import path

from .views import consent, costs, projects, stages

app_name = "elevators"

urlpatterns = [
    # projects
    path("", projects.ProjectListView.as_view(), name="project_list"),
    path("new/", projects.ProjectStartView.as_view(), name="project_start"),
    path("<int:pk>/", projects.ProjectDetailView.as_view(), name="project_detail"),
    # consent
    path("<int:pk>/consent/", consent.ConsentView.as_view(), name="consent"),
    path("<int:pk>/vote/", consent.VoteView.as_view(), name="vote"),
    path("<int:pk>/paper-ballot/", consent.PaperBallotView.as_view(), name="paper_ballot"),
    path("<int:pk>/close-vote/", consent.CloseVoteView.as_view(), name="close_vote"),
    # stages, objections and meetings
    path("<int:pk>/stage/", stages.StageMoveView.as_view(), name="stage_move"),
    path("<int:pk>/checklist/", stages.ChecklistView.as_view(), name="checklist"),
    path("<int:pk>/object/", stages.ObjectView.as_view(), name="object"),
    path("<int:pk>/meetings/new/", stages.MeetingNewView.as_view(), name="meeting_new"),
    path(
        "objections/<int:pk>/resolve/",
        stages.ObjectionResolveView.as_view(),
        name="objection_resolve",
    ),
    path(
        "objections/<int:pk>/dispute/",
        stages.ObjectionDisputeView.as_view(),
        name="objection_dispute",
    ),
    # cost sharing
    path("<int:pk>/costs/<str:kind>/", costs.ScheduleSetView.as_view(), name="schedule_set"),
    path(
        "<int:pk>/costs/<str:kind>/agree/",
        costs.ScheduleAgreeView.as_view(),
        name="schedule_agree",
    ),
    path(
        "<int:pk>/costs/<str:kind>/print/",
        costs.SchedulePrintView.as_view(),
        name="schedule_print",
    ),
    path(
        "<int:pk>/compensations/new/",
        costs.CompensationSetView.as_view(),
        name="compensation_set",
    ),
]
