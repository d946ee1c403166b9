from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0005_staff_groups'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='changerecord',
            name='catalog_changerecord_channel_valid',
        ),
        migrations.AlterField(
            model_name='changerecord',
            name='channel',
            field=models.CharField(choices=[('api', 'API'), ('admin', 'Admin'), ('loader', 'Seed loader'), ('restore', 'Backup restore'), ('other', 'Other (shell, scripts)'), ('import', 'Spreadsheet import')], max_length=10),
        ),
        migrations.AddField(
            model_name='changerecord',
            name='note',
            field=models.CharField(blank=True, help_text='For an import, the name of the file imported.', max_length=200),
        ),
        migrations.AddConstraint(
            model_name='changerecord',
            constraint=models.CheckConstraint(condition=models.Q(('channel__in', ['api', 'admin', 'loader', 'restore', 'other', 'import'])), name='catalog_changerecord_channel_valid'),
        ),
    ]
