"""Progress of the CLI's long steps: a tqdm bar on a terminal, plain lines elsewhere.

On a terminal a step sequence (proving and submitting chunks, posting commitments) shows one
bar with its rate and time left, and each finished step's note above it. When the output is a
file or a pipe there is no ``\\r``: each finished step is one line with its count and the time
left, so logs stay readable.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import Any, TextIO

from tqdm import tqdm


class Progress:
    """A sequence of ``total`` steps, advanced one at a time.

    Parameters
    ----------
    total : int
        Number of steps.
    description : str
        What the steps are, e.g. ``"proving and submitting"``.
    unit : str
        Singular name of one step, e.g. ``"chunk"``.
    done : int
        Steps already done before this run (a resumed submission).
    stream : TextIO or None
        Where to write; standard error unless given.
    """

    def __init__(
        self,
        total: int,
        description: str,
        unit: str = "step",
        *,
        done: int = 0,
        stream: TextIO | None = None,
    ) -> None:
        self.total = total
        self.done = done
        self.unit = unit
        self.description = description
        self._stream = stream if stream is not None else sys.stderr
        self._started = time.perf_counter()
        self._first = done
        self._bar: Any = None
        if self._stream.isatty():
            self._bar = tqdm(
                total=total,
                initial=done,
                desc=description,
                unit=f" {unit}",
                file=self._stream,
                leave=False,
                dynamic_ncols=True,
            )

    def advance(self, note: str = "") -> None:
        """Mark one step done; ``note`` (e.g. its proving time and gas) is shown with it."""
        self.done += 1
        if self._bar is not None:
            if note:
                self._bar.write(note, file=self._stream)
            self._bar.update(1)
            return
        line = f"[{self.done}/{self.total}] {note}".rstrip()
        left = self.seconds_left()
        if left is not None and self.done < self.total:
            line += f" (about {left:.0f} s left)"
        print(line, file=self._stream, flush=True)

    def seconds_left(self) -> float | None:
        """The time the remaining steps should take at this run's pace, once a step is done."""
        finished = self.done - self._first
        if finished <= 0:
            return None
        pace = (time.perf_counter() - self._started) / finished
        return pace * (self.total - self.done)

    def close(self) -> None:
        """Remove the bar (the notes stay)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()
