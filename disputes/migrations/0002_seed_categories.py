"""Seed the dispute-category dictionary; codes are stable, names editable later."""

from django.db import migrations


def seed(apps, schema_editor):
    from disputes.categories import SEED

    category = apps.get_model("disputes", "Category")
    for order, (code, name, name_en, panel) in enumerate(SEED):
        category.objects.update_or_create(
            code=code,
            defaults={"name": name, "name_en": name_en, "suggested_affiliations": panel,
                      "order": order * 10},
        )


class Migration(migrations.Migration):
    dependencies = [("disputes", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
