"""Read one layer's output during a forward pass, without changing the encoder's interface.

Intermediate CTC needs the output of a middle encoder layer. ``with LayerTap(layer) as tap:``
registers a forward hook for the duration of the block only, so inference, export and
streaming (which never open a tap) run the encoder exactly as before.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

import torch
from torch import nn


class LayerTap:
    """Context manager holding the last output of ``layer`` in ``output``."""

    def __init__(self, layer: nn.Module) -> None:
        self.layer = layer
        self.output: torch.Tensor | None = None
        self._handle: Any = None

    def _keep(self, module: nn.Module, args: Any, output: torch.Tensor) -> None:
        self.output = output

    def __enter__(self) -> LayerTap:
        self._handle = self.layer.register_forward_hook(self._keep)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._handle.remove()
