"""Running a CLI ``main`` on bad input: it must exit 2 with one ``prog: error: ...`` line."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest


def bad_input_error(
    main: Callable[..., object], argv: Sequence[str], capsys: pytest.CaptureFixture
) -> str:
    """The one stderr line of ``main(argv)``, asserting exit status 2 and no traceback."""
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_:
        main(list(argv))
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if ": error: " in line]
    assert len(lines) == 1, err
    return lines[0]
