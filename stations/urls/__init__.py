"""Stations URLs: the public finder, check-in and feedback pages (no login) in
`public.py`; the staff pages in `staff.py`."""

from . import public, staff

app_name = "stations"
urlpatterns = [*public.urlpatterns, *staff.urlpatterns]
