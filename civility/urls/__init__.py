"""Civility URLs, one module per part."""

from . import criteria, inspections, orders, outreach

app_name = "civility"
urlpatterns = [
    *criteria.urlpatterns,
    *inspections.urlpatterns,
    *orders.urlpatterns,
    *outreach.urlpatterns,
]
