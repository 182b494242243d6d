"""Lesson figures drawn as SVG: only shapes, text and references inside the file.

An SVG can carry script, load other files or embed HTML, so a figure is allowed the drawing
elements below and nothing else: no <script>, <style>, <foreignObject>, <image> or animation, no
`on…` attributes, no link out of the file (`href` only as `#id`), no `url(…)` but `url(#id)`.
It must say what it shows in a <title>, read out by screen readers when the figure is opened on
its own (the lesson's `![…]` text is its alternative on the page).
"""

import re
import xml.etree.ElementTree as ET

SVG_NS = "{http://www.w3.org/2000/svg}"
ALLOWED_ELEMENTS = {
    "svg", "g", "defs", "title", "desc", "rect", "circle", "ellipse", "line", "polyline",
    "polygon", "path", "text", "tspan", "marker", "use", "symbol", "linearGradient",
    "radialGradient", "stop", "clipPath",
}  # fmt: skip
LOCAL_URL = re.compile(r"url\(\s*#[A-Za-z0-9_-]+\s*\)")


def problems(data: bytes) -> list[str]:
    """What makes this SVG unfit for a lesson (an empty list when it is fit)."""
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        return ["SVG must not declare a DOCTYPE or entities"]
    try:
        root = ET.fromstring(data)
    except ET.ParseError as error:
        return [f"SVG is not well-formed XML ({error})"]
    if root.tag != f"{SVG_NS}svg":
        return ['SVG must have <svg xmlns="http://www.w3.org/2000/svg"> as its root']
    found: list[str] = []
    for element in root.iter():
        name = element.tag.removeprefix(SVG_NS)
        if name not in ALLOWED_ELEMENTS:
            found.append(f"SVG element <{name}> is not allowed (shapes and text only)")
            continue
        for attribute, value in element.attrib.items():
            local = attribute.rsplit("}", 1)[-1]
            if local.lower().startswith("on"):
                found.append(f"SVG attribute {local}= is not allowed (no script)")
            elif local == "href" and not value.startswith("#"):
                found.append(f"SVG link {value!r} leaves the file (only #id is allowed)")
            elif local == "style" or ("url(" in value and not LOCAL_URL.fullmatch(value.strip())):
                found.append(f"SVG attribute {local}={value!r} is not allowed")
    if not (root.findtext(f"{SVG_NS}title") or "").strip():
        found.append("SVG must say what it shows in a <title> right under <svg>")
    if "viewBox" not in root.attrib:
        found.append("SVG needs a viewBox so that it scales to the phone's width")
    return list(dict.fromkeys(found))
