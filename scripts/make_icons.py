"""The app's icons (home screen, favicon), drawn once with Pillow and committed to static/icons/.

Run: .venv/bin/python scripts/make_icons.py   (needs Debian's fonts-noto-cjk for the glyph)
"""

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

BRAND = "#2f7d32"  # --brand in static/css/app.css
FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"
OUT = Path(__file__).resolve().parent.parent / "static" / "icons"


def icon(size: int, *, maskable: bool = False) -> Image.Image:
    image = Image.new("RGB", (size, size), BRAND)
    draw = ImageDraw.Draw(image)
    if not maskable:  # a rounded tile; maskable icons fill the square and the phone cuts it
        image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
        draw = ImageDraw.Draw(image)
        draw.rounded_rectangle((0, 0, size - 1, size - 1), radius=size // 6, fill=BRAND)
    font = ImageFont.truetype(FONT, int(size * (0.5 if maskable else 0.62)), index=2)  # SC
    draw.text((size / 2, size / 2), "学", font=font, fill="white", anchor="mm")
    return image


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        icon(size).save(OUT / f"icon-{size}.png", optimize=True)
    icon(512, maskable=True).save(OUT / "icon-maskable-512.png", optimize=True)
    icon(180, maskable=True).save(OUT / "apple-touch-icon.png", optimize=True)
    icon(64).save(OUT / "favicon.ico", sizes=[(16, 16), (32, 32), (48, 48)])


if __name__ == "__main__":
    main()
