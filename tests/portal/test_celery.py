"""The Celery app reads Django's settings and keeps reminders apart from exports."""

from portal.celery import app


def test_reminders_and_exports_have_their_own_queues():
    router = app.amqp.router

    assert router.route({}, "eldercare.tasks.remind_visit")["queue"].name == "reminders"
    assert router.route({}, "portal.tasks.scan_due_follow_ups")["queue"].name == "reminders"
    assert router.route({}, "civility.tasks.export_findings")["queue"].name == "exports"
    assert router.route({}, "portal.tasks.other")["queue"].name == "default"


def test_the_timezone_is_shanghai():
    assert app.conf.timezone == "Asia/Shanghai"
