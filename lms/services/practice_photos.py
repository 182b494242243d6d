"""Evidence photos of practice records: checked and re-encoded before they are kept, and sent
privately. Bad photos raise ValidationError on the field "photo"."""

import io
import warnings

from flask import send_from_directory
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from lms.errors import ValidationError
from lms.models import PracticeRecord
from lms.services import files

MAX_PHOTO_BYTES = 2 * 1024 * 1024
PHOTO_MAX_SIDE = 1280
MAX_PHOTO_PIXELS = 50_000_000  # a 50-megapixel phone camera; decoding it takes ~150 MB
PHOTO_FORMATS = {"JPEG", "PNG", "WEBP"}


def check_photo(data: bytes) -> bytes:
    """Validate an evidence photo and return it re-encoded: JPEG, at most 1280 px, no metadata.

    The pixel count is checked from the header, before any pixel is decoded: a small file
    can describe a huge image (a 21 KB PNG of 13300×13300 would take a worker past 1 GB).
    JPEGs are decoded straight at a reduced scale (draft mode)."""
    if len(data) > MAX_PHOTO_BYTES:
        raise ValidationError({"photo": _("照片太大了（最大 2 MB）。请换一张，或用手机拍小一点。")})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # checked below
            image = Image.open(io.BytesIO(data))
        with image:
            if image.format not in PHOTO_FORMATS:
                raise UnidentifiedImageError
            if image.width * image.height > MAX_PHOTO_PIXELS:
                raise ValidationError(
                    {"photo": _("这张照片的像素太多了，请换一张，或用手机拍小一点。")}
                )
            if image.format == "JPEG":
                image.draft("RGB", (2 * PHOTO_MAX_SIDE, 2 * PHOTO_MAX_SIDE))
            image.load()
            image = ImageOps.exif_transpose(image)
            image = image.convert("RGB")
            image.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))
            out = io.BytesIO()
            image.save(out, "JPEG", quality=80, optimize=True)  # no exif: metadata stripped
            return out.getvalue()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise ValidationError({"photo": _("只能上传照片（JPG、PNG 或 WebP 格式）。")}) from None


def send_photo(record: PracticeRecord):
    """The evidence photo, private: kept by the browser but checked again before each use, so
    access ends when permission does (callers check permission)."""
    response = send_from_directory(files.folder("practice"), record.photo, max_age=0)
    response.headers["Cache-Control"] = "private, no-cache"
    return response
