"""What an uploaded listing photo really is, read from its bytes by Pillow, not from its name or declared type.

Only JPEG, PNG and WebP are taken, up to 5 MB and 40 million pixels: Pillow reads the header for the
format and size, then `verify()` walks the file's structure, so a renamed PDF or a truncated image is
refused before it is stored. Decompression bombs (a small file claiming a huge canvas) fail on the
pixel count, before any pixels are decoded.
"""

import io
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000
PER_LISTING = 6
MEDIA_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
KINDS = "JPEG, PNG or WebP"


class NotAPhoto(ValueError):
    """The bytes are empty, too big, or not a JPEG, PNG or WebP image; the message says which."""


@dataclass(frozen=True)
class Checked:
    media_type: str
    width: int
    height: int
    size: int


def check(data: bytes) -> Checked:
    """The photo's real type and size, or NotAPhoto saying what is wrong with it."""
    if not data:
        raise NotAPhoto("The file is empty.")
    if len(data) > MAX_BYTES:
        raise NotAPhoto(f"The photo is larger than {MAX_BYTES // (1024 * 1024)} MB; make it smaller.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                kind, (width, height) = image.format, image.size
                if kind not in MEDIA_TYPES:
                    raise NotAPhoto(f"The file is not a {KINDS} image, whatever its name says.")
                if width * height > MAX_PIXELS:
                    raise NotAPhoto("The photo has too many pixels; make it smaller.")
                image.verify()
    except NotAPhoto:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise NotAPhoto(f"The file is not a {KINDS} image, whatever its name says.") from None
    # What Pillow raises for a damaged or truncated image: not a photo we take.
    except (OSError, SyntaxError, ValueError, EOFError):
        raise NotAPhoto("The image is damaged or incomplete.") from None
    return Checked(MEDIA_TYPES[kind], width, height, len(data))
