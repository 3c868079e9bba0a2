"""Fonts for the renderer: which font file stands for a Roblox font family, and how wide a text is in it.

Widths come from the font files' own advance widths (`hmtx`, read here in pure Python), and the page embeds those
very files (`@font-face`) with kerning and ligatures off, so the layout computed here and the glyphs Chromium draws
agree to a fraction of a pixel. Roblox's SourceSans is Source Sans Pro (the `font-source-sans-pro` test extra);
families Debian does not ship (Builder Sans, Gotham, Roboto, Inconsolata) are stood in for by look-alikes.
"""

from __future__ import annotations

import base64
import shutil
import struct
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .tree import FontFace

FALLBACK_EM = 0.55  # width of a character when no font file could be found at all (sans); 0.6 for mono


class FontFile:
    """Advance widths and vertical metrics of one TrueType/OpenType file (cmap formats 4 and 12, hmtx)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        data = path.read_bytes()
        tables = self._tables(data)
        self.units_per_em = struct.unpack_from(">H", data, tables["head"] + 18)[0]
        hhea = tables["hhea"]
        ascent, descent = struct.unpack_from(">hh", data, hhea + 4)
        self.ascent = ascent / self.units_per_em
        self.descent = -descent / self.units_per_em
        metrics_count = struct.unpack_from(">H", data, hhea + 34)[0]
        hmtx = tables["hmtx"]
        widths = [struct.unpack_from(">H", data, hmtx + 4 * i)[0] for i in range(metrics_count)]
        glyph_of = self._cmap(data, tables["cmap"])
        self._advance = {cp: widths[min(g, metrics_count - 1)] / self.units_per_em for cp, g in glyph_of.items() if g}

    @staticmethod
    def _tables(data: bytes) -> dict[str, int]:
        count = struct.unpack_from(">H", data, 4)[0]
        out = {}
        for i in range(count):
            tag, _checksum, offset, _length = struct.unpack_from(">4sIII", data, 12 + 16 * i)
            out[tag.decode("latin-1")] = offset
        return out

    @staticmethod
    def _cmap(data: bytes, cmap: int) -> dict[int, int]:
        count = struct.unpack_from(">H", data, cmap + 2)[0]
        subtables: dict[tuple[int, int], int] = {}
        for i in range(count):
            platform, encoding, offset = struct.unpack_from(">HHI", data, cmap + 4 + 8 * i)
            subtables[(platform, encoding)] = cmap + offset
        for key in ((3, 10), (0, 4), (3, 1), (0, 3), (0, 1), (0, 0)):
            if key in subtables:
                start = subtables[key]
                fmt = struct.unpack_from(">H", data, start)[0]
                if fmt == 12:
                    return FontFile._cmap12(data, start)
                if fmt == 4:
                    return FontFile._cmap4(data, start)
        raise ValueError("no Unicode cmap of format 4 or 12")

    @staticmethod
    def _cmap4(data: bytes, start: int) -> dict[int, int]:
        seg_count = struct.unpack_from(">H", data, start + 6)[0] // 2
        ends = start + 14
        starts = ends + 2 * seg_count + 2
        deltas = starts + 2 * seg_count
        range_offsets = deltas + 2 * seg_count
        out = {}
        for i in range(seg_count):
            end, first = (
                struct.unpack_from(">H", data, ends + 2 * i)[0],
                struct.unpack_from(">H", data, starts + 2 * i)[0],
            )
            delta = struct.unpack_from(">h", data, deltas + 2 * i)[0]
            range_offset = struct.unpack_from(">H", data, range_offsets + 2 * i)[0]
            for cp in range(first, min(end, 0xFFFE) + 1):
                if range_offset == 0:
                    glyph = (cp + delta) & 0xFFFF
                else:
                    at = range_offsets + 2 * i + range_offset + 2 * (cp - first)
                    glyph = struct.unpack_from(">H", data, at)[0]
                    glyph = (glyph + delta) & 0xFFFF if glyph else 0
                out[cp] = glyph
        return out

    @staticmethod
    def _cmap12(data: bytes, start: int) -> dict[int, int]:
        groups = struct.unpack_from(">I", data, start + 12)[0]
        out = {}
        for i in range(groups):
            first, last, glyph = struct.unpack_from(">III", data, start + 16 + 12 * i)
            for cp in range(first, min(last, 0x2FFFF) + 1):
                out[cp] = glyph + cp - first
        return out

    def advance(self, char: str) -> float | None:
        """Advance width of one character in em, or None if the font has no glyph for it."""
        return self._advance.get(ord(char))


@dataclass(frozen=True)
class Face:
    """One concrete face: the CSS family name the page declares for it and the file it comes from."""

    css_family: str
    generic: str  # "sans-serif" or "monospace": the page's last resort
    path: Path | None


MONO_FAMILIES = {"RobotoMono", "Inconsolata", "Code", "UbuntuMono", "SourceCodePro"}
SOURCE_SANS_FAMILIES = {"SourceSansPro", "SourceSans", "BuilderSans"}  # Builder Sans: Source Sans Pro stands in
SOURCE_SANS_FILES = {200: "ExtraLight", 300: "Light", 400: "Regular", 600: "Semibold", 700: "Bold", 900: "Black"}


def _source_sans_file(weight: int, italic: bool) -> Path | None:
    try:
        import font_source_sans_pro  # the test extra `font-source-sans-pro`
    except ImportError:
        return None
    nearest = min(SOURCE_SANS_FILES, key=lambda w: (abs(w - weight), -w))
    style = SOURCE_SANS_FILES[nearest]
    if italic:
        style = "It" if style == "Regular" else style + "It"
    path = Path(font_source_sans_pro.font_directory) / f"SourceSansPro-{style}.ttf"
    return path if path.is_file() else None


@cache
def _fc_match(pattern: str) -> Path | None:
    """The file fontconfig picks for a pattern (Linux; elsewhere None and the page falls back to a generic family)."""
    exe = shutil.which("fc-match")
    if exe is None:
        return None
    try:
        found = subprocess.run([exe, "-f", "%{file}", pattern], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    path = Path(found.stdout.strip())
    return path if found.returncode == 0 and path.suffix.lower() in (".ttf", ".otf") and path.is_file() else None


@cache
def _font_file(path: Path) -> FontFile:
    return FontFile(path)


class FontBook:
    """Resolves Roblox fonts to faces and measures text in them."""

    def __init__(self) -> None:
        self._faces: dict[tuple[str, int, bool], Face] = {}
        self.fallback = Face("rbx-fallback", "sans-serif", _fc_match("DejaVu Sans"))

    def face(self, font: FontFace) -> Face:
        family = font.family_name
        bold = font.weight >= 600
        key = (family, font.weight, font.italic)
        if key not in self._faces:
            if family in SOURCE_SANS_FAMILIES:
                path = _source_sans_file(font.weight, font.italic)
                generic = "sans-serif"
            elif family in MONO_FAMILIES:
                path = _fc_match("Liberation Mono" + (":bold" if bold else "") + (":italic" if font.italic else ""))
                generic = "monospace"
            else:  # Arial, Legacy, Gotham, Roboto, ...: Liberation Sans has Arial's metrics
                path = _fc_match("Liberation Sans" + (":bold" if bold else "") + (":italic" if font.italic else ""))
                generic = "sans-serif"
            self._faces[key] = Face(f"rbx-{family}-{font.weight}-{'i' if font.italic else 'n'}", generic, path)
        return self._faces[key]

    def width(self, text: str, face: Face, size: float) -> float:
        """Width in pixels of `text` on one line at font size `size` (no kerning, as the page draws it)."""
        main = _font_file(face.path) if face.path else None
        spare = _font_file(self.fallback.path) if self.fallback.path else None
        default = 0.6 if face.generic == "monospace" else FALLBACK_EM
        total = 0.0
        for char in text:
            advance = main.advance(char) if main else None
            if advance is None and spare is not None:
                advance = spare.advance(char)
            total += default if advance is None else advance
        return total * size

    def css_stack(self, face: Face) -> str:
        """The CSS font-family list for a face: its file, then the fallback face for missing glyphs."""
        names = [face.css_family] if face.path else []
        if self.fallback.path:
            names.append(self.fallback.css_family)
        return ", ".join([f'"{n}"' for n in names] + [face.generic])

    def font_face_css(self) -> str:
        """@font-face rules embedding (as data: URLs) every face resolved so far, and the fallback face."""
        rules = []
        for face in [*self._faces.values(), self.fallback]:
            if face.path is None:
                continue
            encoded = base64.b64encode(face.path.read_bytes()).decode("ascii")
            kind = "opentype" if face.path.suffix.lower() == ".otf" else "truetype"
            rules.append(
                f'@font-face {{ font-family: "{face.css_family}"; '
                f"src: url(data:font/{kind};base64,{encoded}) format('{kind}'); }}"
            )
        return "\n".join(rules)
