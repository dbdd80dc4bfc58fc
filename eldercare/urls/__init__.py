"""Eldercare URLs, one module per part so each part's routes sit beside nothing else."""

from . import adaptations, errands, facilities, medical

app_name = "eldercare"
urlpatterns = [
    *facilities.urlpatterns,
    *adaptations.urlpatterns,
    *medical.urlpatterns,
    *errands.urlpatterns,
]
