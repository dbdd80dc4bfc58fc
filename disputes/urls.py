"""Clinic pages under /disputes/."""

from django.urls import path  # noqa: F401 - the sections below add their paths

from .views import clinic, concerns, intake, mediation

app_name = "disputes"

urlpatterns = [
    # intake pages
    path("new/", intake.WalkInView.as_view(), name="walk_in"),
    path("refer/", intake.GridReferralView.as_view(), name="grid_referral"),
    path("ask/", intake.AskView.as_view(), name="ask"),
    path("slots/", intake.ClinicSlotsView.as_view(), name="slots"),
    path("<int:pk>/parties/new/", intake.PartyAddView.as_view(), name="party_add"),
    path(
        "parties/<int:pk>/willingness/",
        intake.PartyWillingnessView.as_view(),
        name="party_willingness",
    ),
    path("<int:pk>/accept/", intake.AcceptView.as_view(), name="accept"),
    # mediation pages
    path("<int:pk>/panel/", mediation.PanelView.as_view(), name="panel"),
    path("<int:pk>/mediators/new/", mediation.MediatorAddView.as_view(), name="mediator_add"),
    path("<int:pk>/sessions/new/", mediation.SessionCreateView.as_view(), name="session_new"),
    path(
        "sessions/<int:pk>/minutes/",
        mediation.SessionMinutesView.as_view(),
        name="session_minutes",
    ),
    path("<int:pk>/agreement/new/", mediation.AgreementCreateView.as_view(), name="agreement_new"),
    path(
        "<int:pk>/agreement/print/",
        mediation.AgreementPrintView.as_view(),
        name="agreement_print",
    ),
    path("<int:pk>/fail/", mediation.FailView.as_view(), name="fail"),
    path("<int:pk>/close/", mediation.CloseView.as_view(), name="close"),
    path("<int:pk>/extend/", mediation.ExtendView.as_view(), name="extend"),
    path("return-visits/<int:pk>/", mediation.ReturnVisitView.as_view(), name="return_visit"),
    path("<int:pk>/confirmation/", mediation.ConfirmationView.as_view(), name="confirmation"),
    path(
        "<int:pk>/confirmation/result/",
        mediation.ConfirmationResultView.as_view(),
        name="confirmation_result",
    ),
    path("<int:pk>/referrals/new/", mediation.ReferralCreateView.as_view(), name="referral_new"),
    path(
        "referrals/<int:pk>/outcome/",
        mediation.ReferralOutcomeView.as_view(),
        name="referral_outcome",
    ),
    # queue, detail and concerns
    path("", clinic.QueueView.as_view(), name="queue"),
    path("<int:pk>/", clinic.DisputeDetailView.as_view(), name="dispute_detail"),
    path("mine/", clinic.MyCasesView.as_view(), name="my_cases"),
    path("concerns/", concerns.ConcernListView.as_view(), name="concerns"),
    path("concerns/<int:pk>/answer/", concerns.ConcernAnswerView.as_view(), name="concern_answer"),
    path("concerns/<int:pk>/turn/", concerns.ConcernTurnView.as_view(), name="concern_turn"),
]
