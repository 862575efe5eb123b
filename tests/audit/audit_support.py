"""Judging one bad input: a clear error, accepted (and stored right), or a defect."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bridge.errors import BridgeError

# Errors a user can act on; their message must also name what was wrong (``hint``).
CLEAR = (BridgeError, TypeError, ValueError)
NOT_CLEAR = (UnicodeError, RecursionError)


@dataclass
class Tally:
    counts: Counter = field(default_factory=Counter)
    defects: list[str] = field(default_factory=list)

    def add(self, kind: str, label: str, detail: str = "") -> None:
        self.counts["tried"] += 1
        self.counts[kind] += 1
        if kind not in ("clear", "accepted"):
            self.defects.append(f"{kind}: {label}: {detail}"[:400])

    def judge(self, label: str, action: Callable[[], Any], hints: tuple[str, ...],
              check: Callable[[Any], tuple[str, str]] | None = None) -> None:
        """Run ``action``; an error must be CLEAR and name one of ``hints``; a success
        is judged by ``check`` (returns a kind and a detail)."""
        try:
            result = action()
        except NOT_CLEAR as exc:
            self.add("tracebacks", label, f"{type(exc).__name__}: {exc}")
        except CLEAR as exc:
            text = str(exc)
            if any(hint.lower() in text.lower() for hint in hints):
                self.add("clear", label)
            else:
                self.add("wrong", label, f"error does not name {hints}: {text}")
        except Exception as exc:  # noqa: BLE001 - the audit classifies whatever escapes
            self.add("tracebacks", label, f"{type(exc).__name__}: {exc}")
        else:
            kind, detail = check(result) if check else ("accepted", "")
            self.add(kind, label, detail)

    def hand_over(self, record_property: Callable[[str, Any], None]) -> None:
        record_property("audit", dict(self.counts))
        assert self.defects == [], "\n".join(self.defects[:30])
