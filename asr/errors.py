"""The one exception type for unusable user input, so every CLI can report it in one line.

Anything raised as :class:`InputError` carries a message naming where the problem is (a file,
with its line or utterance when there is one) and what it is; ``asr.bin.cli`` prints it as
``<prog>: error: <message>`` and exits non-zero instead of showing a traceback.
"""

from __future__ import annotations


class InputError(ValueError):
    """A file (or a line or utterance in it) cannot be used; the message says where and why."""
