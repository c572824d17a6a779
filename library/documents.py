"""What an uploaded policy document really is, read from its bytes, not its name.

A PDF starts with `%PDF-`; a DOCX is a zip holding `[Content_Types].xml` and `word/document.xml`;
an ODT is a zip whose `mimetype` entry says `application/vnd.oasis.opendocument.text`. Only the
zip's directory and that one small entry are read, so a zip bomb is never inflated.
"""

import io
import zipfile
from dataclasses import dataclass

MAX_BYTES = 10 * 1024 * 1024
PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT = "application/vnd.oasis.opendocument.text"
EXTENSIONS = {PDF: "pdf", DOCX: "docx", ODT: "odt"}
KINDS = "PDF, Word (DOCX) or OpenDocument text (ODT)"


class NotAPolicyDocument(ValueError):
    """The bytes are too big, empty, or not a PDF, DOCX or ODT; the message says which."""


@dataclass(frozen=True)
class Checked:
    media_type: str
    extension: str
    size: int


def check(data: bytes, max_bytes: int = MAX_BYTES) -> Checked:
    """The document's real type and size, or NotAPolicyDocument saying what is wrong with it."""
    if not data:
        raise NotAPolicyDocument("The file is empty.")
    if len(data) > max_bytes:
        raise NotAPolicyDocument(f"The file is larger than {max_bytes // (1024 * 1024)} MB.")
    media_type = _sniff(data)
    if media_type is None:
        raise NotAPolicyDocument(f"The file is not a {KINDS} document, whatever its name says.")
    return Checked(media_type, EXTENSIONS[media_type], len(data))


def _sniff(data: bytes) -> str | None:
    if data.startswith(b"%PDF-"):
        return PDF
    if not data.startswith(b"PK\x03\x04"):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "[Content_Types].xml" in names and "word/document.xml" in names:
                return DOCX
            small = "mimetype" in names and archive.getinfo("mimetype").file_size < 100
            if small and "content.xml" in names and archive.read("mimetype").strip() == ODT.encode():
                return ODT
    # What zipfile raises for a damaged, truncated, encrypted or oddly compressed archive: not a document we take.
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError):
        return None
    return None
