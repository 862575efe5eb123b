"""HardPy's operator dialogs, answered at the terminal: piped answers, a real tty, EOF."""

from __future__ import annotations

import os
import select
import sys
import time
from pathlib import Path

import pytest
from plan_support import Plan, own_python

from bridge.errors import OperatorError
from bridge.operator import (
    CheckboxWidget,
    DialogBox,
    HTMLComponent,
    ImageComponent,
    ImageWidget,
    MultistepWidget,
    NumericInputWidget,
    RadiobuttonWidget,
    StepWidget,
    TextInputWidget,
)

IMPORTS = '''
from hardpy import (CheckboxWidget, DialogBox, HTMLComponent, ImageComponent, ImageWidget,
                    MultistepWidget, NumericInputWidget, RadiobuttonWidget, StepWidget,
                    TextInputWidget, clear_operator_message, run_dialog_box,
                    set_operator_message)
'''

WIDGETS_PLAN = '''
import sys

import pytest

import hardpy
''' + IMPORTS + '''


def keep(answer):
    hardpy.set_case_artifact({"answer": answer})


def test_confirm():
    keep(run_dialog_box(DialogBox("Connect the DUT\\nthen confirm", "Fixture",
                                  image=ImageComponent("pics/fixture.png"),
                                  html=HTMLComponent("https://wiki.example/fixture",
                                                     is_raw_html=False))))


def test_text():
    keep(run_dialog_box(DialogBox("Scan the label", "Serial", TextInputWidget())))
    print("captured-marker")  # capturing is back on after the dialog ...
    with pytest.raises(OSError):
        sys.stdin.read()  # ... stdin included


def test_number():
    keep(run_dialog_box(DialogBox("Supply voltage?", widget=NumericInputWidget())))


def test_radio():
    fields = ["red", "green", "dark blue"]
    keep([run_dialog_box(DialogBox("LED colour?", widget=RadiobuttonWidget(fields))),
          run_dialog_box(DialogBox("LED colour?", widget=RadiobuttonWidget(fields)))])


def test_checkbox():
    fields = ["red", "green", "dark blue"]
    keep([run_dialog_box(DialogBox("LEDs lit?", widget=CheckboxWidget(fields)))
          for _ in range(3)])


def test_image_widget():
    keep(run_dialog_box(DialogBox("Check the LED", widget=ImageWidget("pics/led.png"))))


def test_multistep():
    steps = [StepWidget("Open", "Open the lid", image=ImageComponent("pics/lid.png")),
             StepWidget("Insert", widget=ImageWidget("pics/dut.png")),
             StepWidget("Close", html=HTMLComponent("<b>close</b>", is_raw_html=True))]
    keep(run_dialog_box(DialogBox("Load the fixture", widget=MultistepWidget(steps))))


def test_messages():
    set_operator_message("Fixture closed", "Info", block=False)  # reads nothing
    clear_operator_message()
    clear_operator_message()  # nothing left to clear
    set_operator_message("Remove the DUT")  # reads one Enter
    keep(run_dialog_box(DialogBox("Next?", widget=TextInputWidget())))


def test_capsys(capsys):
    print("before")
    run_dialog_box(DialogBox("Under capsys"))
    print("after")
    assert capsys.readouterr().out == "before\\nafter\\n"
'''

WIDGET_ANSWERS = "".join([
    "\n",                                   # confirm
    "  SN-7 \n",                            # text (stripped)
    "five\n4,98\n4.98\n",                   # number: two re-asks
    "4\npurple\n3\ngreen\n",                # radio: two re-asks, then by number; by text
    "dark blue, 1\n\n3 x\n2 1\n",           # checkbox: text and number; none; a re-ask
    "\n",                                   # image widget
    "\n\n\n",                               # multistep: three steps
    "\nafter\n",                            # messages: one Enter, then the text dialog
    "\n",                                   # capsys
])


def test_every_widget_answers_from_piped_stdin(plan: Plan):
    plan.write("test_widgets.py", WIDGETS_PLAN)
    result = plan.pytest(input=WIDGET_ANSWERS)
    assert result.returncode == 0, result.stdout + result.stderr
    cases = plan.export()["modules"]["test_widgets"]["cases"]
    assert {case["status"] for case in cases.values()} == {"passed"}
    answers = {name: case["artifact"].get("answer") for name, case in cases.items()}
    assert answers == {
        "test_confirm": True, "test_text": "SN-7", "test_number": 4.98,
        "test_radio": ["dark blue", "green"],
        "test_checkbox": [["red", "dark blue"], [], ["red", "green"]],
        "test_image_widget": True, "test_multistep": True, "test_messages": "after",
        "test_capsys": None,
    }
    out = result.stdout
    for shown in ("Fixture", "Connect the DUT", "then confirm", "image: pics/fixture.png",
                  "html: https://wiki.example/fixture", "Operator", "Supply voltage?",
                  "not a number: 'five'", "not a number: '4,98' (use a point",
                  "not one of the choices: '4'", "not one of the choices: 'purple'",
                  "not one of the choices: 'x'", "3  dark blue", "image: pics/led.png",
                  "Step 1/3: Open", "image: pics/lid.png", "Step 2/3: Insert",
                  "image: pics/dut.png", "html: raw HTML, 12 characters", "Fixture closed",
                  "message cleared", "Remove the DUT", "Under capsys"):
        assert shown in out, shown
    assert out.count("message cleared") == 1
    assert "captured-marker" not in out


FAILING_PLAN = '''
''' + IMPORTS + '''


def test_bounded():
    run_dialog_box(DialogBox("Supply voltage?", "Setup", NumericInputWidget()))


def test_eof():
    run_dialog_box(DialogBox("Scan the label\\nof the DUT", "Serial number", TextInputWidget()))


def test_message_eof():
    set_operator_message("Remove the DUT", "Done", block=False)  # reads nothing
    set_operator_message("Remove the DUT", "Done")
'''


def test_no_operator_fails_the_case_naming_the_dialog(plan: Plan):
    plan.write("test_failing.py", FAILING_PLAN)
    result = plan.pytest(input="a\nb\nc\nd\ne\n")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "3 failed" in result.stdout
    cases = plan.export()["modules"]["test_failing"]["cases"]
    assert {case["status"] for case in cases.values()} == {"failed"}
    bounded = cases["test_bounded"]["assertion_msg"]
    assert bounded.startswith('OperatorError: operator dialog "Setup" ("Supply voltage?"): ')
    assert "NumericInputWidget: no valid answer after 5 tries, the last was 'e'" in bounded
    eof = cases["test_eof"]["assertion_msg"]
    assert eof.startswith('OperatorError: operator dialog "Serial number" ("Scan the label"): '
                          "no operator answered: stdin is closed")
    assert "run pytest in a terminal" in eof and "printf 'answer\\n' | pytest" in eof
    assert '"Done" ("Remove the DUT"): no operator answered' in \
        cases["test_message_eof"]["assertion_msg"]


TTY_PLAN = '''
import sys

import hardpy
''' + IMPORTS + '''


def test_tty():
    answer = run_dialog_box(DialogBox("Scan the label", "Serial", TextInputWidget()))
    print("captured-marker")
    assert answer == "SN-7"
    assert not sys.stdin.isatty()  # pytest's capture is back
'''


def _read_until(fd: int, wanted: bytes | None, deadline: float) -> bytes:
    """Read the pty until ``wanted`` shows (None: until the child closed it)."""
    seen = b""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: every slave end closed
            chunk = b""
        if not chunk:
            if wanted is None:
                return seen
            break
        seen += chunk
        if wanted is not None and wanted in seen:
            return seen
    raise AssertionError(f"pty: waited for {wanted!r}, got {seen[-2000:]!r}")


@pytest.mark.skipif(sys.platform == "win32", reason="pty is POSIX")
def test_an_operator_at_a_tty_answers_with_capturing_on(plan: Plan):
    plan.write("test_tty.py", TTY_PLAN)
    master, slave = os.openpty()
    proc = plan.pytest_on(stdin=slave, stdout=slave, stderr=slave)
    os.close(slave)
    try:
        deadline = time.monotonic() + 60
        shown = _read_until(master, b"Your answer: ", deadline)
        assert b"Scan the label" in shown
        os.write(master, b"SN-7\n")
        rest = _read_until(master, None, deadline)
        assert proc.wait(timeout=30) == 0, (shown + rest).decode(errors="replace")
    finally:
        proc.kill()
        proc.wait()
        os.close(master)
    assert b"1 passed" in rest
    assert b"captured-marker" not in rest
    cases = plan.export()["modules"]["test_tty"]["cases"]
    assert cases["test_tty"]["status"] == "passed"


def test_where_the_plugin_is_inactive_a_dialog_says_why_it_cannot_ask(new_plan):
    plan = new_plan("plain")  # no hardpy.toml: pytest keeps stdin captured
    plan.write("test_plain.py", """
        from bridge.operator import DialogBox, run_dialog_box

        def test_ask():
            run_dialog_box(DialogBox("Ready?"))
    """)
    result = plan.pytest(input="\n")
    assert result.returncode == 1
    assert "stdin cannot be read" in result.stdout and "--bridge" in result.stdout


def test_outside_pytest_dialogs_use_stdin_and_stdout():
    code = ("from bridge.operator import *\n"
            "print(repr(run_dialog_box(DialogBox('Pick', widget=CheckboxWidget(['a', 'b'])))))")
    result = own_python().run(["-c", code], input="b\n", cwd=Path.cwd(), env=Plan.env(),
                              timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "['b']"


# -- models, in process -------------------------------------------------------------------


def test_models_take_hardpys_positional_arguments():
    box = DialogBox("text", "title", TextInputWidget(), ImageComponent("a.png", 50, 1),
                    HTMLComponent("<i>x</i>", 10, 2, True), 20)
    assert (box.title_bar, box.image.width, box.html.is_raw_html, box.font_size) == \
        ("title", 50, True, 20)
    step = StepWidget("Open", "the lid", ImageWidget("lid.png", 80, 1))
    assert step.widget.width == 80
    assert MultistepWidget([step]).steps == [step]
    assert DialogBox(dialog_text="x", widget=NumericInputWidget()).title_bar is None


@pytest.mark.parametrize(("make", "error", "text"), [
    (lambda: DialogBox(""), ValueError, "DialogBox needs a non-empty dialog_text"),
    (lambda: DialogBox("   "), ValueError, "DialogBox"),
    (lambda: RadiobuttonWidget([]), ValueError, "RadiobuttonWidget needs a non-empty list"),
    (lambda: RadiobuttonWidget("ab"), ValueError, "RadiobuttonWidget"),
    (lambda: CheckboxWidget(["a", ""]), ValueError, "CheckboxWidget needs a non-empty list"),
    (lambda: CheckboxWidget(["a", 1]), ValueError, "CheckboxWidget"),
    (lambda: MultistepWidget([]), ValueError, "MultistepWidget needs at least one"),
    (lambda: MultistepWidget(["step"]), TypeError, "MultistepWidget"),
    (lambda: StepWidget("x", widget=TextInputWidget()), TypeError, "StepWidget"),
    (lambda: DialogBox("x", widget="text"), TypeError, "is not a widget"),
])
def test_bad_models_are_refused_naming_them(make, error, text):
    with pytest.raises(error, match=text):
        make()


def test_operator_error_names_the_dialog():
    exc = OperatorError("no operator answered", dialog='"Serial" ("Scan")', widget=None)
    assert str(exc) == 'operator dialog "Serial" ("Scan"): no operator answered'
