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
