"""Files staff upload that must never be published: uptake files hold exact, practice-level
counts, which only leave the site through disclosure control.

Wagtail documents (and anything under MEDIA_ROOT) are served to anyone who guesses the
address, in development by Django and in most deployments by the web server or a bucket.
These files live under ``PRIVATE_FILES_ROOT`` instead, which no URL maps to, and have no
URL at all: they are only ever read by the code that imports them.
"""

from __future__ import annotations

import os

from django import forms
from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.utils.deconstruct import deconstructible


@deconstructible
class PrivateStorage(FileSystemStorage):
    """A file system storage under ``settings.PRIVATE_FILES_ROOT`` (read when used, so tests
    can point it at a temporary folder) whose files have no URL."""

    def __init__(self):
        super().__init__()

    @property
    def base_location(self):
        return str(settings.PRIVATE_FILES_ROOT)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    @property
    def base_url(self):
        return None

    def url(self, name):
        raise ValueError("Private files have no URL: they are never served.")


private_storage = PrivateStorage()


def private_upload_path(instance, filename: str) -> str:
    return f"uptake/{instance.__class__.__name__.lower()}/{filename}"


class PrivateFileInput(forms.ClearableFileInput):
    """Django's file input names the current file as a link to its URL; a private file has
    none, so this one names it as text."""

    # in the app (services_catalogue/templates/): Django's form renderer reads widget
    # templates from apps, not from the project's templates/ folder
    template_name = "services_catalogue/widgets/private_file_input.html"

    def is_initial(self, value) -> bool:
        # Django's asks for the file's URL, which a private file refuses to give
        return bool(value and getattr(value, "name", None))
