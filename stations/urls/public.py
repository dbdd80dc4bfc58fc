"""Routes for the public pages (no login): the finder, a station's page, check-in and
feedback; and the QR poster, which staff print (login required)."""

from django.urls import path

from ..views import public

urlpatterns = [
    path("find/", public.FinderView.as_view(), name="finder"),
    path("find/<int:pk>/", public.StationView.as_view(), name="station"),
    path("find/<int:pk>/check-in/", public.CheckInView.as_view(), name="check_in"),
    path("find/<int:pk>/feedback/", public.FeedbackView.as_view(), name="feedback"),
    path("find/<int:pk>/poster/", public.PosterView.as_view(), name="poster"),
]
