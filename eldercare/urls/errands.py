"""Routes of the red-vest errand pages, under /eldercare/errands/."""

from django.urls import path

from ..views import errands

urlpatterns = [
    path("errands/", errands.ErrandQueueView.as_view(), name="errand_list"),
    path("errands/mine/", errands.MyErrandsView.as_view(), name="my_errands"),
    path("errands/request/", errands.ErrandRequestView.as_view(), name="errand_request"),
    path("errands/request-for/", errands.ErrandRequestForView.as_view(), name="errand_request_for"),
    path("errands/<int:pk>/", errands.ErrandDetailView.as_view(), name="errand_detail"),
    path("errands/<int:pk>/assign/", errands.ErrandAssignView.as_view(), name="errand_assign"),
    path("errands/<int:pk>/done/", errands.ErrandDoneView.as_view(), name="errand_done"),
    path("errands/<int:pk>/cancel/", errands.ErrandCancelView.as_view(), name="errand_cancel"),
    path("errands/<int:pk>/rate/", errands.ErrandRateView.as_view(), name="errand_rate"),
]
