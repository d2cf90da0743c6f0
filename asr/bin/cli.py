"""One rule for every command line tool: bad input ends in one line on stderr, never a traceback.

``@exits_on_bad_input("asr-score")`` on a ``main`` turns :class:`asr.errors.InputError` (a
malformed Kaldi file, unreadable audio, a refused checkpoint, ...) and a missing file into
``asr-score: error: <message naming the file and line or utterance>`` and exit status 2, as
argparse does for a bad command line. ``ASR_DEBUG=1`` in the environment re-raises instead,
to show the traceback. Works on argparse mains and Hydra task functions alike (Hydra lets
``SystemExit`` through).
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

from asr.errors import InputError

DEBUG_ENV = "ASR_DEBUG"
BAD_INPUT = (InputError, FileNotFoundError)
EXIT_BAD_INPUT = 2

F = TypeVar("F", bound=Callable[..., Any])


def error_line(prog: str, error: BaseException) -> str:
    """``prog: error: message`` on one line (a multi-line message is joined with ``; ``)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return f"{prog}: error: {'; '.join(lines) or type(error).__name__}"


def exits_on_bad_input(prog: str) -> Callable[[F], F]:
    """Decorate a CLI ``main``: bad input prints :func:`error_line` and exits with status 2."""

    def decorate(main: F) -> F:
        @functools.wraps(main)
        def run(*args: Any, **kwargs: Any) -> Any:
            try:
                return main(*args, **kwargs)
            except BAD_INPUT as e:
                if os.environ.get(DEBUG_ENV, "0") not in ("", "0"):
                    raise
                print(error_line(prog, e), file=sys.stderr)
                raise SystemExit(EXIT_BAD_INPUT) from None

        return run  # type: ignore[return-value]

    return decorate
