"""Log in to a running portal as the demo admin over plain HTTP and open the home page."""

import http.cookiejar
import re
import sys
import urllib.parse
import urllib.request

base = sys.argv[1].rstrip("/")
jar = http.cookiejar.CookieJar()
opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

login_page = opener.open(f"{base}/accounts/login/").read().decode()
assert "登录" in login_page, "the login page is not in Chinese"
token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page).group(1)
form = urllib.parse.urlencode(
    {"csrfmiddlewaretoken": token, "username": "admin", "password": "portal-demo", "next": "/"}
).encode()
request = urllib.request.Request(  # noqa: S310 (the CI-given http URL)
    f"{base}/accounts/login/", data=form, headers={"Referer": f"{base}/accounts/login/"}
)
home = opener.open(request)
html = home.read().decode()
assert home.geturl() == f"{base}/", f"login did not land on home but on {home.geturl()}"
assert "欢迎您" in html, "the home page did not greet the logged-in user"
css = opener.open(f"{base}/static/bootstrap/css/bootstrap.min.css")
assert css.status == 200, "static files are not served"
print("logged in as admin over HTTP; home page and static files served")


def wait_for_demo_reminder(timeout: int = 180) -> None:
    """The beat scan and the worker deliver the demo follow-up due at load to the bell."""
    import time

    staff = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    page = staff.open(f"{base}/accounts/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    staff.open(
        urllib.request.Request(  # noqa: S310 (the CI-given http URL)
            f"{base}/accounts/login/",
            data=urllib.parse.urlencode(
                {
                    "csrfmiddlewaretoken": token,
                    "username": "secretary.tuanjie",
                    "password": "portal-demo",
                    "next": "/",
                }
            ).encode(),
            headers={"Referer": f"{base}/accounts/login/"},
        )
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if "独居老人" in staff.open(f"{base}/notifications/").read().decode():
            print("the demo follow-up reached secretary.tuanjie's notifications")
            return
        time.sleep(5)
    raise SystemExit("the demo follow-up was not delivered by beat and the worker in time")


wait_for_demo_reminder()
