"""One stylesheet serves Arabic and English: no physical left/right in the CSS (issue 6).

Physical properties (``margin-left``, ``text-align: right``, ``float: left``,
``left: 0``...) stay put when ``dir="rtl"`` flips the page, so the layout
would be mirrored everywhere except there. Logical ones (``margin-inline-start``,
``text-align: start``, ``inset-inline-start``) follow the direction.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

CSS_DIR = Path(__file__).resolve().parent.parent / "static" / "css"
COMMENT = re.compile(r"/\*.*?\*/", re.S)
DECLARATION = re.compile(r"(?<![\w-])([a-z-]+)\s*:\s*([^;{}]+)")
# Properties whose name says left/right (margin-left, border-top-right-radius, ...), or that place on a side.
PHYSICAL_NAME = re.compile(r"(^|-)(left|right)(-|$)")
SIDE_VALUED = {"float", "clear", "text-align", "text-align-last", "caption-side", "resize"}
SIDE_VALUE = re.compile(r"(?<![\w-])(left|right)(?![\w-])")
# Shorthands with four values read top right bottom left: fine only when left and right are equal.
FOUR_SIDED = {"margin", "padding", "border-width", "border-style", "border-color", "inset", "border-radius"}


def physical_declarations(css: str) -> list[str]:
    """Every declaration that depends on left/right, as ``property: value``."""
    found = []
    for prop, value in DECLARATION.findall(COMMENT.sub("", css)):
        value = value.strip()
        if prop.startswith("--"):
            continue
        if PHYSICAL_NAME.search(prop) or (prop in SIDE_VALUED and SIDE_VALUE.search(value)):
            found.append(f"{prop}: {value}")
        elif prop in FOUR_SIDED and "/" not in value:
            parts = value.split()
            if len(parts) == 4 and parts[1] != parts[3]:
                found.append(f"{prop}: {value}")
        elif prop == "background-position" and SIDE_VALUE.search(value):
            found.append(f"{prop}: {value}")
    return found


def test_the_checker_catches_physical_properties():
    css = """
    .a { margin-left: 1rem; }  .b { padding-right: 0 } .c { text-align: left; }
    .d { float: right; } .e { left: 0; } .f { border-top-left-radius: 2px; }
    .g { margin: 0 1rem 0 2rem; } .h { margin-inline-start: 1rem; text-align: start; inset-inline-end: 0; }
    .i { margin: 0 1rem; padding: 1px 2px 3px 2px; } /* margin-left in a comment */
    """
    assert physical_declarations(css) == [
        "margin-left: 1rem",
        "padding-right: 0",
        "text-align: left",
        "float: right",
        "left: 0",
        "border-top-left-radius: 2px",
        "margin: 0 1rem 0 2rem",
    ]


@pytest.mark.parametrize("stylesheet", sorted(CSS_DIR.glob("*.css")), ids=lambda path: path.name)
def test_stylesheets_use_logical_properties_only(stylesheet):
    assert physical_declarations(stylesheet.read_text(encoding="utf-8")) == []


def test_direction_bound_arrows_are_mirrored_in_rtl():
    """The week's previous/next arrows point towards the line's start/end in both directions."""
    css = (CSS_DIR / "app.css").read_text(encoding="utf-8")
    assert re.search(r'\[dir="rtl"\]\s*\.week-link-prev::before\s*{\s*content:\s*"→', css)
    assert re.search(r'\[dir="rtl"\]\s*\.week-link-next::after\s*{\s*content:\s*" ←', css)
