"""Where uploaded documents live: outside the web root, never served by the static files."""

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class PrivateDocumentStorage(FileSystemStorage):
    """Files under ``settings.PRIVATE_MEDIA_ROOT``, read at each use (a changed setting, such as
    a test's temporary directory, is followed), with no URL: a document leaves only through a
    view that asks the policy module."""

    @property
    def base_location(self) -> str:
        return str(settings.PRIVATE_MEDIA_ROOT)

    @property
    def location(self) -> str:
        return os.path.abspath(self.base_location)

    @property
    def file_permissions_mode(self) -> int:
        return 0o600

    def url(self, name: str | None) -> str:
        raise ValueError("Private documents have no URL; a view serves them to staff only.")


def private_documents() -> FileSystemStorage:
    """Signed consent forms; read only through a view that asks the policy module."""
    return PrivateDocumentStorage()
