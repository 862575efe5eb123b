"""HardPy's operator dialog models: names, arguments and order as HardPy has them.

They only describe a dialog; ``bridge.operator`` shows it and reads the answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class ImageComponent:
    """An image for the operator; the terminal names its file."""

    address: str
    width: int | None = None
    border: int | None = None


class HTMLComponent:
    """HTML for the operator: raw HTML (the default, as in HardPy) or, with
    ``is_raw_html=False``, a URL; the terminal names the URL. Older HardPy plans pass
    ``code_or_url=``; it is the same thing."""

    def __init__(self, html: str | None = None, width: int | None = None,
                 border: int | None = None, is_raw_html: bool = True, *,
                 code_or_url: str | None = None):
        given = [text for text in (html, code_or_url) if text is not None]
        if len(given) != 1:
            raise TypeError("HTMLComponent takes html (or the older code_or_url), once")
        self.code_or_url: str = given[0]
        self.width = width
        self.border = border
        self.is_raw_html = is_raw_html

    @property
    def html(self) -> str:
        return self.code_or_url

    def __repr__(self) -> str:
        return f"HTMLComponent({self.code_or_url!r}, is_raw_html={self.is_raw_html})"


@dataclass
class BaseWidget:
    """No input: the operator confirms (HardPy's default widget of a DialogBox)."""


@dataclass
class TextInputWidget:
    """Ask for a line of text; the answer is a str."""


@dataclass
class NumericInputWidget:
    """Ask for a number; the answer is a float."""


@dataclass
class RadiobuttonWidget:
    """Ask for one of ``fields``; the answer is the chosen field."""

    fields: list[str]

    def __post_init__(self) -> None:
        _check_fields("RadiobuttonWidget", self.fields)


@dataclass
class CheckboxWidget:
    """Ask for any of ``fields``; the answer is the list of chosen fields."""

    fields: list[str]

    def __post_init__(self) -> None:
        _check_fields("CheckboxWidget", self.fields)


@dataclass
class ImageWidget:
    """Older HardPy's image in a dialog: shown (named) and confirmed like no widget."""

    address: str
    width: int = 100
    border: int = 0


@dataclass
class StepWidget:
    """One step of a MultistepWidget (older HardPy passes an ImageWidget as widget)."""

    title: str
    text: str | None = None
    widget: ImageWidget | None = None
    image: ImageComponent | None = None
    html: HTMLComponent | None = None

    def __post_init__(self) -> None:
        if self.widget is not None and not isinstance(self.widget, ImageWidget):
            raise TypeError("StepWidget: widget takes an ImageWidget or None, got "
                            f"{type(self.widget).__name__}")


@dataclass
class MultistepWidget:
    """Walk the operator through ``steps`` in turn; the answer is True at the end."""

    steps: list[StepWidget]

    def __post_init__(self) -> None:
        if not isinstance(self.steps, list | tuple) or not self.steps:
            raise ValueError("MultistepWidget needs at least one StepWidget")
        for step in self.steps:
            if not isinstance(step, StepWidget):
                raise TypeError("MultistepWidget: steps take StepWidget objects, got "
                                f"{type(step).__name__}")


Widget = (BaseWidget | TextInputWidget | NumericInputWidget | RadiobuttonWidget
          | CheckboxWidget | ImageWidget | MultistepWidget)
WIDGETS = (BaseWidget, TextInputWidget, NumericInputWidget, RadiobuttonWidget,
           CheckboxWidget, ImageWidget, MultistepWidget)


@dataclass
class DialogBox:
    """A question for the operator: text, an optional widget, image and HTML; with
    ``pass_fail`` the operator also judges (pass or fail; ``button_text`` names the two
    answers) and the dialog answers a PassFailDialog."""

    dialog_text: str
    title_bar: str | None = None
    widget: Widget | None = None
    image: ImageComponent | None = None
    html: HTMLComponent | None = None
    font_size: int = 14
    pass_fail: bool = False
    button_text: list[str] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.dialog_text, str) or not self.dialog_text.strip():
            raise ValueError("DialogBox needs a non-empty dialog_text")
        if self.widget is not None and not isinstance(self.widget, WIDGETS):
            raise TypeError(f"DialogBox: {type(self.widget).__name__} is not a widget")
        if self.button_text is not None and (
                not isinstance(self.button_text, list | tuple) or not self.button_text
                or not all(isinstance(t, str) and t.strip() for t in self.button_text)):
            raise ValueError("DialogBox: button_text takes a list of non-empty strings, "
                             f"got {self.button_text!r}")


@dataclass
class PassFailDialog:
    """The answer of a ``pass_fail`` dialog: the operator's verdict, and the widget's
    answer (True without a widget). True in a condition when the operator passed it."""

    result: bool = False
    data: Any = None

    def __bool__(self) -> bool:
        return self.result


def _check_fields(widget: str, fields: Any) -> None:
    if (not isinstance(fields, list | tuple) or not fields
            or not all(isinstance(f, str) and f.strip() for f in fields)):
        raise ValueError(f"{widget} needs a non-empty list of non-empty strings as fields, "
                         f"got {fields!r}")
