"""A pick list may be assigned to a picker (the user's name)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("despatch", "0035_saved_views_notes"),
    ]

    operations = [
        migrations.AddField(
            model_name="picklist",
            name="picker",
            field=models.CharField(
                blank=True, default="", help_text="the user the list is assigned to", max_length=150
            ),
        ),
    ]
