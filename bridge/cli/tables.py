"""Tables that fit the terminal: at 80 columns the less needed columns give way whole.

rich shrinks every column of a table that is too wide, down to a few characters of a
run id or a serial number, and drops a column entirely when even that does not fit.
Here each column says how much it matters; the least needed ones are left out when
the table would not fit; only free text (``fold=True``) wraps, never an id or a number.
"""

from __future__ import annotations

from typing import Any, Literal, NamedTuple


class Col(NamedTuple):  # not a dataclass: `bridge --help` must not pay for importing it
    header: str
    keep: int = 0  # 0: always shown; larger numbers give way first
    fold: bool = False  # may wrap onto more lines (names); others never wrap
    justify: Literal["left", "center", "right"] = "left"


def fitted_table(console: Any, columns: list[Col], rows: list[list[Any]], **table: Any) -> Any:
    """A rich ``Table`` of ``rows`` (cells: str or ``Text``) as wide as ``console`` allows.

    The ``keep=0`` columns always; then each other column, smallest ``keep`` first, if
    the table still fits with it (a wide one left out does not keep a narrow one out).
    """
    shown = [i for i, col in enumerate(columns) if not col.keep]
    unbounded = console.options.update_width(1_000_000)  # rich clamps to the console
    for i in sorted((i for i, col in enumerate(columns) if col.keep),
                    key=lambda i: (columns[i].keep, i)):
        trial = sorted([*shown, i])
        if console.measure(_build(columns, rows, trial, table),
                           options=unbounded).maximum <= console.width:
            shown = trial
    return _build(columns, rows, shown, table)


def _build(columns: list[Col], rows: list[list[Any]], shown: list[int],
           options: dict[str, Any]) -> Any:
    from rich import box
    from rich.table import Column, Table

    options = {"box": box.SIMPLE_HEAD, "collapse_padding": True, "pad_edge": False, **options}
    table = Table(*(Column(columns[i].header, justify=columns[i].justify,
                           no_wrap=not columns[i].fold, overflow="fold") for i in shown),
                  **options)
    for row in rows:
        table.add_row(*(row[i] for i in shown))
    return table
