"""Seed the dispute-category dictionary; codes are stable, names editable later."""

from django.db import migrations


def seed(apps, schema_editor):
    from disputes.categories import seed as seed_categories

    seed_categories(apps.get_model("disputes", "Category"))


class Migration(migrations.Migration):
    dependencies = [("disputes", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
