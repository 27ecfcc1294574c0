"""Draw the brand images in custom_components/sms_credit/brand/.

An original, simple design: a speech bubble (an SMS) holding a three-step
credit gauge. Run inside the project environment:

    source scripts/lib.sh; select_python; in_env python scripts/make_brand.py
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

BRAND = Path(__file__).resolve().parent.parent / "custom_components/sms_credit/brand"
BLUE = (3, 169, 244, 255)
DARK_BLUE = (1, 87, 155, 255)
GREEN = (76, 175, 80, 255)
AMBER = (255, 193, 7, 255)
RED = (244, 67, 54, 255)


def draw_icon(size: int, *, dark: bool = False) -> Image.Image:
    """Return the square icon at ``size`` pixels, transparent outside."""
    scale = size / 256
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)

    def box(x0: float, y0: float, x1: float, y1: float) -> tuple[int, ...]:
        return tuple(round(v * scale) for v in (x0, y0, x1, y1))

    bubble = (255, 255, 255, 255) if not dark else (236, 239, 241, 255)
    draw.rounded_rectangle(box(8, 8, 248, 248), radius=round(48 * scale), fill=BLUE)
    draw.rounded_rectangle(box(40, 52, 216, 172), radius=round(28 * scale), fill=bubble)
    tail = [(72, 168), (72, 212), (116, 168)]
    draw.polygon([(round(x * scale), round(y * scale)) for x, y in tail], fill=bubble)
    # The gauge: three bars, rising, coloured from low to full credit.
    for index, colour in enumerate((RED, AMBER, GREEN)):
        left = 68 + index * 44
        top = 124 - index * 28
        draw.rounded_rectangle(
            box(left, top, left + 32, 152), radius=round(6 * scale), fill=colour
        )
    return img


def draw_logo(height: int, *, dark: bool = False) -> Image.Image:
    """Return the landscape logo: the icon and the name beside it."""
    icon = draw_icon(height, dark=dark)
    font = ImageFont.load_default(size=round(height * 0.42))
    text = "SMS Credit"
    probe = ImageDraw.Draw(Image.new("RGBA", (1, 1)))
    left, top, right, bottom = probe.textbbox((0, 0), text, font=font)
    gap = round(height * 0.12)
    width = height + gap + (right - left) + gap
    img = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    img.alpha_composite(icon)
    colour = (255, 255, 255, 255) if dark else DARK_BLUE
    y = (height - (bottom - top)) // 2 - top
    ImageDraw.Draw(img).text((height + gap - left, y), text, font=font, fill=colour)
    return img


def main() -> None:
    """Write every brand image."""
    BRAND.mkdir(parents=True, exist_ok=True)
    for dark, prefix in ((False, ""), (True, "dark_")):
        draw_icon(256, dark=dark).save(BRAND / f"{prefix}icon.png", optimize=True)
        draw_icon(512, dark=dark).save(BRAND / f"{prefix}icon@2x.png", optimize=True)
        draw_logo(128, dark=dark).save(BRAND / f"{prefix}logo.png", optimize=True)
        draw_logo(256, dark=dark).save(BRAND / f"{prefix}logo@2x.png", optimize=True)


if __name__ == "__main__":
    main()
