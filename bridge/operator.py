"""HardPy's operator-panel API, answered at the terminal where pytest runs.

HardPy plans ask the operator through a web panel (``run_dialog_box``,
``set_operator_message``); we have no panel, so the dialog is drawn in the terminal and
the answer is read from stdin, one line each: a person at a tty, or a script piping the
answers (``printf 'SN-7\\n5.0\\n' | pytest``). While the dialog talks to the operator,
pytest's capture of stdin, stdout and stderr is released (as pdb does) and resumed
after; outside pytest the dialog uses ``sys.stdin`` / ``sys.stdout`` as they are.

Images and HTML cannot be shown in a terminal: the dialog names the file or URL.
``font_size`` is accepted and ignored. Here: what a dialog asks and how each answer
parses; the terminal itself (capture, drawing, reading) is :mod:`bridge.operator_terminal`.
"""

from __future__ import annotations

import math
from typing import Any

from bridge.dialog_models import (  # noqa: F401  (re-exported: bridge.operator's names)
    BaseWidget,
    CheckboxWidget,
    DialogBox,
    HTMLComponent,
    ImageComponent,
    ImageWidget,
    MultistepWidget,
    NumericInputWidget,
    PassFailDialog,
    RadiobuttonWidget,
    StepWidget,
    TextInputWidget,
)
from bridge.operator_terminal import (  # noqa: F401  (attach: the plugin's entry)
    DEFAULT_TITLE,
    Terminal,
    attach,
    terminal,
)

# -- the API ---------------------------------------------------------------------------

_current_message: str | None = None  # a non-blocking message still on screen (its title)


def run_dialog_box(dialog_box: DialogBox) -> Any:
    """Show the dialog and return the operator's answer, typed by the widget: str (text,
    without surrounding spaces), float (number), the field (radio), list of fields in
    their order (checkbox), True (none, image, multistep); with ``pass_fail`` a
    PassFailDialog holding the verdict and that answer. Raises OperatorError when no
    operator answers (stdin closed) or after too many invalid answers."""
    if not isinstance(dialog_box, DialogBox):
        raise TypeError(f"run_dialog_box() takes a DialogBox, got {type(dialog_box).__name__}")
    box = dialog_box
    with terminal(box.title_bar, box.dialog_text) as term:
        extra = box.widget if isinstance(box.widget, ImageWidget) else None
        term.panel(box.title_bar or DEFAULT_TITLE, box.dialog_text, box.image, extra, box.html)
        answer = _widget_answer(term, box)
        if not box.pass_fail:
            return answer
        texts = list(box.button_text or [])[:2]
        passed, failed = (texts + ["Pass", "Fail"][len(texts):])
        verdict = term.ask(f"{passed} or {failed}? (p = {passed}, f = {failed}): ",
                           "pass/fail", lambda reply: _verdict(reply, passed, failed))
        return PassFailDialog(result=verdict, data=answer)


def _widget_answer(term: Terminal, box: DialogBox) -> Any:
    widget = box.widget
    if widget is None or isinstance(widget, BaseWidget | ImageWidget):
        if not box.pass_fail:  # the verdict is the confirmation of a pass/fail dialog
            term.ask("Press Enter to confirm: ", "confirmation", lambda _: True)
        return True
    if isinstance(widget, TextInputWidget):
        return term.ask("Your answer: ", "TextInputWidget", str.strip)
    if isinstance(widget, NumericInputWidget):
        return term.ask("A number: ", "NumericInputWidget", _number)
    if isinstance(widget, RadiobuttonWidget):
        term.choices(widget.fields)
        return term.ask("Your choice (number or text): ", "RadiobuttonWidget",
                        lambda answer: _choice(widget.fields, answer))
    if isinstance(widget, CheckboxWidget):
        term.choices(widget.fields)
        return term.ask("Your choices (numbers or texts, separated by commas or spaces; "
                        "empty: none): ", "CheckboxWidget",
                        lambda answer: _choices(widget.fields, answer))
    steps = widget.steps
    for number, step in enumerate(steps, 1):
        term.panel(f"Step {number}/{len(steps)}: {step.title}", step.text or "",
                   step.image, step.widget, step.html)
        prompt = "Press Enter to finish: " if number == len(steps) else \
            "Press Enter for the next step: "
        term.ask(prompt, "MultistepWidget", lambda _: True)
    return True


def set_operator_message(
    msg: str,
    title: str | None = None,
    block: bool = True,
    image: ImageComponent | None = None,
    html: HTMLComponent | None = None,
    font_size: int = 14,
) -> None:
    """Show a message to the operator; with ``block``, wait until they press Enter."""
    global _current_message
    if not isinstance(msg, str):
        raise TypeError(f"set_operator_message() takes a string, got {type(msg).__name__}")
    with terminal(title, msg) as term:
        term.panel(title or DEFAULT_TITLE, msg, image, html)
        if block:
            term.ask("Press Enter to continue: ", "operator message", lambda _: True)
            _current_message = None
        else:
            _current_message = title or DEFAULT_TITLE


def clear_operator_message() -> None:
    """Clear the message left on screen by ``set_operator_message(block=False)``, if any."""
    global _current_message
    if _current_message is None:
        return
    title, _current_message = _current_message, None
    with terminal(title, "") as term:
        term.note(f"({title}: message cleared)")


# -- answers ---------------------------------------------------------------------------


def _number(answer: str) -> float:
    text = answer.strip()
    try:
        value = float(text)
    except ValueError:
        hint = " (use a point as decimal separator)" if "," in text else ""
        raise ValueError(f"not a number: {text!r}{hint}") from None
    if not math.isfinite(value):
        raise ValueError(f"not a finite number: {text!r}")
    return value


def _verdict(reply: str, passed: str, failed: str) -> bool:
    text = reply.strip().casefold()
    if text in ("p", "pass", passed.casefold()):
        return True
    if text in ("f", "fail", failed.casefold()):
        return False
    raise ValueError(f"not a verdict: {reply.strip()!r} (give p or f)")


def _pick(fields: list[str], token: str) -> str:
    if token in fields:
        return token
    if token.isdigit() and 1 <= int(token) <= len(fields):
        return fields[int(token) - 1]
    raise ValueError(f"not one of the choices: {token!r} (give 1-{len(fields)} or the text)")


def _choice(fields: list[str], answer: str) -> str:
    return _pick(fields, answer.strip())


def _choices(fields: list[str], answer: str) -> list[str]:
    """Numbers or field texts separated by commas or spaces; a field with spaces is
    taken whole when it stands between commas (or alone)."""
    chosen: set[str] = set()
    for part in (p.strip() for p in answer.split(",")):
        if part in fields:
            chosen.add(part)
        else:
            chosen.update(_pick(fields, token) for token in part.split())
    return [f for f in fields if f in chosen]
