"""Where uploaded documents live: outside the web root, never served by the static files."""

from django.conf import settings
from django.core.files.storage import FileSystemStorage


def private_documents() -> FileSystemStorage:
    """Signed consent forms; read only through a view that asks the policy module."""
    return FileSystemStorage(location=settings.PRIVATE_MEDIA_ROOT, base_url=None)
