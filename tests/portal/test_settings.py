"""Production settings pass Django's deployment checklist; DATABASE_URL is honoured everywhere."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args, **env):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=full_env,
        capture_output=True, text=True, timeout=120,
    )


def test_production_settings_pass_the_deployment_checklist():
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING",
        DJANGO_SETTINGS_MODULE="portal.settings.production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/dfd",
        DJANGO_ALLOWED_HOSTS="services.example.nhs.uk",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = run_manage(
        "check", DJANGO_SETTINGS_MODULE="portal.settings.production",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/dfd",
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


@pytest.mark.parametrize("module", ["dev", "test", "production"])
def test_database_url_chooses_the_database_in_every_settings_module(module):
    code = "from django.conf import settings; print(settings.DATABASES['default']['NAME'])"
    result = run_manage(
        "shell", "-c", code,
        DJANGO_SETTINGS_MODULE=f"portal.settings.{module}",
        DJANGO_SECRET_KEY="k" * 50,
        DATABASE_URL="postgres://someone@127.0.0.1:5432/scratch_db",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "scratch_db"


def test_production_static_files_collect_with_the_production_storage(tmp_path):
    result = run_manage(
        "collectstatic", "--noinput", "-v", "0",
        DJANGO_SETTINGS_MODULE="portal.settings.production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/dfd",
        DJANGO_STATIC_ROOT=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "staticfiles.json").exists()
    assert list(tmp_path.glob("wagtailnhsukfrontend/css/nhsuk-frontend-10.4.2.min.*.css"))
