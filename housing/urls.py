"""Housing pages under /housing/."""

app_name = "housing"

urlpatterns = [
    # registry pages
    # governance pages
    # desk visits and estate issues
    # import and export
]
