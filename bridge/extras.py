"""The optional extras of stand-bridge, and one line that names the missing one.

A plain ``pip install stand-bridge`` runs test plans, stores runs and talks to
StandCloud; what only some stands need comes with an extra (pyproject.toml). Without
it, a command says which extra to install instead of printing a traceback.
"""

from __future__ import annotations

from collections.abc import Sequence

#: Top-level module -> the extra that installs it.
EXTRA_OF_MODULE = {
    "starlette": "sim", "uvicorn": "sim", "multipart": "sim", "python_multipart": "sim",
    "trustme": "sim", "authlib": "sim", "pyvisa_sim": "sim", "yaml": "sim",
    "xdist": "parallel",
}


def install_hint(extra: str) -> str:
    return f"pip install 'stand-bridge[{extra}]'"


def missing_extra(exc: ModuleNotFoundError) -> str | None:
    """One line naming the extra that brings the missing module; None if none does."""
    module = (exc.name or "").split(".")[0]
    extra = EXTRA_OF_MODULE.get(module)
    if extra is None:
        return None
    return (f"this needs the '{extra}' extra: {install_hint(extra)} "
            f"(module {module!r} is not installed)")


def asks_for_xdist(args: Sequence[str]) -> bool:
    """Whether a pytest command line uses pytest-xdist's ``-n`` / ``--numprocesses``."""
    for arg in args:
        if arg == "--":
            return False
        if arg == "-n" or arg.startswith("--numprocesses"):
            return True
        value = arg[2:].lstrip("=")
        if arg.startswith("-n") and (value.isdigit() or value in ("auto", "logical")):
            return True
    return False


def xdist_missing_message(loaded: bool) -> str | None:
    """The one line for ``pytest -n`` when pytest-xdist is not ``loaded``, else None."""
    if loaded:
        return None
    from importlib.util import find_spec

    why = "is not installed" if find_spec("xdist") is None else "is not loaded (-p no:xdist?)"
    return (f"-n (DUT slots in parallel) needs pytest-xdist, which {why}; it is the "
            f"'parallel' extra: {install_hint('parallel')}")


def simulated_stand_missing_message(mode: str) -> str | None:
    """The one line for ``--stand sim`` without pyvisa-sim installed, else None."""
    from importlib.util import find_spec

    if mode != "sim" or find_spec("pyvisa_sim") is not None:
        return None
    return (f"--stand sim: the simulated stand needs the 'sim' extra: {install_hint('sim')} "
            "(module 'pyvisa_sim' is not installed)")
