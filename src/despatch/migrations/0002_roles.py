"""Role groups: users get what they may do through these groups."""

from django.db import migrations

ROLES = ("ops_manager", "order_ops", "picker", "packer", "shipping", "support", "integrator")


def create_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for role in ROLES:
        Group.objects.get_or_create(name=role)


class Migration(migrations.Migration):
    dependencies = [("despatch", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
