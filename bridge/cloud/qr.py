"""A QR code as text: two modules per character cell with half-block glyphs."""

from __future__ import annotations

QUIET = 2  # modules of light border; phones read a 2-module quiet zone on a screen
GLYPHS = {(0, 0): " ", (1, 0): "▀", (0, 1): "▄", (1, 1): "█"}


def qr_lines(text: str) -> list[str]:
    """Lines of the QR code of ``text``; a dark module is a foreground block."""
    import segno

    matrix = [[int(bool(cell)) for cell in row] for row in segno.make(text, error="l").matrix]
    width = len(matrix[0]) + 2 * QUIET
    blank = [0] * width
    rows = [blank] * QUIET + [[0] * QUIET + row + [0] * QUIET for row in matrix]
    rows += [blank] * (QUIET + (len(rows) + QUIET) % 2)
    return [
        "".join(GLYPHS[(top, bottom)] for top, bottom in zip(upper, lower, strict=True))
        for upper, lower in zip(rows[::2], rows[1::2], strict=True)
    ]
