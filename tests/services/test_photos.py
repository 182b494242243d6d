"""Evidence photos: a decompression bomb is refused from its header, before any pixel is
decoded; a big phone photo is shrunk without decoding it at full size."""

import io
from pathlib import Path

import pytest
from PIL import Image, ImageFile

from lms.errors import ValidationError
from lms.services import practice_photos

BOMB = Path(__file__).resolve().parent.parent / "data" / "bomb.png"  # 13300×13300, 21 KB


def test_a_decompression_bomb_is_refused_before_any_pixel_is_decoded(ctx, monkeypatch):
    data = BOMB.read_bytes()
    assert len(data) < 30_000
    with pytest.warns(Image.DecompressionBombWarning), Image.open(io.BytesIO(data)) as image:
        assert image.size == (13300, 13300)

    def no_decoding(self):
        raise AssertionError("pixel data was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    with pytest.raises(ValidationError) as refused:
        practice_photos.check_photo(data)
    assert refused.value.errors == {"photo": "这张照片的像素太多了，请换一张，或用手机拍小一点。"}


def test_a_large_jpeg_is_decoded_at_a_reduced_scale(ctx):
    out = io.BytesIO()
    Image.new("RGB", (6000, 4000), "green").save(out, "JPEG", quality=30)
    jpeg = practice_photos.check_photo(out.getvalue())
    with Image.open(io.BytesIO(jpeg)) as shrunk:
        assert max(shrunk.size) == 1280 and shrunk.format == "JPEG"
