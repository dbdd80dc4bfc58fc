"""The page shell: home, language, text size, error pages, pagination, health."""

import pytest
from django.core.paginator import Paginator
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation
from django.views.defaults import server_error

pytestmark = pytest.mark.django_db


def test_the_login_page_is_chinese_by_default(client):
    response = client.get(reverse("login"))

    assert response.status_code == 200
    assert '<html lang="zh-hans"' in response.content.decode()
    assert "登录" in response.content.decode()


def test_accept_language_english_gets_english(client):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en")

    assert '<html lang="en"' in response.content.decode()
    assert "Log in" in response.content.decode()


def test_accept_language_zh_cn_gets_simplified_chinese(client):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")

    assert '<html lang="zh-hans"' in response.content.decode()


def test_an_anonymous_visitor_can_switch_language(client):
    response = client.post(
        reverse("set_language"), {"language": "en", "next": reverse("login")}, follow=True
    )

    assert response.redirect_chain[-1][0] == reverse("login")
    assert "Log in" in response.content.decode()


def test_login_form_labels_are_tied_to_their_fields(client):
    html = client.get(reverse("login")).content.decode()

    assert 'for="id_username"' in html and 'id="id_username"' in html
    assert 'for="id_password"' in html and 'id="id_password"' in html
    assert 'id="main"' in html and "<main" in html


def test_a_demo_account_logs_in_and_sees_home(client, demo_admin):
    response = client.post(
        reverse("login"), {"username": "admin", "password": "portal-demo"}, follow=True
    )

    assert response.redirect_chain[-1][0] == reverse("portal:home")
    assert response.context["user"] == demo_admin
    assert reverse("admin:index") in response.content.decode()  # the staff-only nav slot


def test_a_wrong_password_is_a_translated_form_error_and_keeps_the_username(client, demo_admin):
    response = client.post(reverse("login"), {"username": "admin", "password": "wrong"})

    assert response.status_code == 200
    assert response.context["form"].errors
    assert 'value="admin"' in response.content.decode()
    assert "请输入一个正确的" in response.content.decode()


def test_logout_is_by_post(client, demo_admin):
    client.force_login(demo_admin)

    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("portal:home")).status_code == 302


def test_large_text_is_remembered_for_anonymous_visitors(client):
    response = client.post(
        reverse("portal:text_size"), {"size": "large", "next": "/accounts/login/"}
    )

    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert 'class="large-text"' in client.get(reverse("login")).content.decode()

    client.post(reverse("portal:text_size"), {"size": "normal"})
    assert 'class="large-text"' not in client.get(reverse("login")).content.decode()


def test_text_size_never_redirects_off_site(client):
    response = client.post(
        reverse("portal:text_size"), {"size": "large", "next": "https://evil.example/"}
    )

    assert response["Location"] == "/"


def test_an_unknown_page_is_a_translated_404(client, demo_admin):
    client.force_login(demo_admin)

    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()

    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Page not found" in response.content.decode()


@pytest.mark.parametrize(
    ("language", "text"), [("zh-hans", "出错了"), ("en", "Something went wrong")]
)
def test_the_500_page_renders_in_both_languages(language, text):
    request = RequestFactory().get("/")
    with translation.override(language):
        response = server_error(request)

    assert response.status_code == 500
    assert text in response.content.decode()


def test_pagination_keeps_the_other_query_parameters():
    request = RequestFactory().get("/cases/", {"status": "open", "page": "2"})
    page = Paginator(list(range(60)), 20).page(2)
    with translation.override("en"):
        html = render_to_string("includes/_pagination.html", {"page_obj": page, "request": request})

    assert "status=open&amp;page=3" in html
    assert "status=open&amp;page=1" in html
    assert "Page 2 of 3" in html


def test_health_answers_without_login(client):
    response = client.get(reverse("portal:health"))

    assert response.status_code == 200
    assert response.content == b"ok"


def test_static_assets_are_local_not_from_a_cdn(client):
    html = client.get(reverse("login")).content.decode()

    assert "/static/bootstrap/css/bootstrap.min.css" in html
    assert "//cdn" not in html and "https://" not in html


@pytest.mark.django_db
def test_every_page_names_an_icon_that_is_served(client):
    # Without one, browsers ask for /favicon.ico on every page: a 404 that the audit's
    # refused-access log would record for each logged-in visit.
    html = client.get(reverse("login")).content.decode()
    icon = html.split('rel="icon" href="', 1)[1].split('"', 1)[0]
    response = client.get(icon)
    assert response.status_code == 200
    assert b"<svg" in b"".join(response.streaming_content)
