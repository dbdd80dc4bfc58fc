"""The pages anyone may open without logging in; everything else requires login.

LoginRequiredMiddleware guards every view; each view named here is marked with
`login_not_required`, and a test checks this list against the URL patterns.
"""

PUBLIC_URL_NAMES = frozenset(
    {
        "login",
        "password_reset",
        "password_reset_done",
        "password_reset_confirm",
        "password_reset_complete",
        "set_language",
        "portal:text_size",
        "portal:health",
        "portal:privacy",
        "portal:register",
        "portal:status",
        "admin:login",
        "housing:issue_report",
        "eldercare:meal_points",
        "stations:finder",
        "stations:station",
        "stations:check_in",
        "stations:feedback",
    }
)
