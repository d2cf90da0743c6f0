"""A model named by a Hugging Face repo id, resolved to a local folder through the hub's cache.

``huggingface_hub`` is optional: a local folder never needs it. ``HF_HUB_OFFLINE=1`` is read
when resolving (not only when the library is imported): then only the local cache is used.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]*[A-Za-z0-9]$")


def offline() -> bool:
    """Whether ``HF_HUB_OFFLINE`` asks for no network."""
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "on", "yes", "true")


def resolve(
    source: str | Path, revision: str | None = None, cache_dir: str | Path | None = None
) -> Path:
    """An existing local path as it is; otherwise ``owner/name`` downloaded into (or, offline,
    found in) the hub cache. Errors are one line naming ``source``."""
    path = Path(source)
    if path.exists():
        return path
    name = str(source)
    if not _REPO_ID.match(name):
        raise FileNotFoundError(f"{name}: no such model folder (nor an owner/name hub repo id)")
    try:
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError
    except ImportError as e:
        raise FileNotFoundError(
            f"{name}: not a local folder; to fetch it from the Hugging Face hub, "
            "pip install huggingface_hub"
        ) from e
    try:
        folder = snapshot_download(
            name, revision=revision, cache_dir=cache_dir, local_files_only=offline()
        )
    except LocalEntryNotFoundError as e:
        why = "HF_HUB_OFFLINE is set and it is not" if offline() else "it is not"
        raise FileNotFoundError(f"{name}: {why} in the Hugging Face cache ({e})") from e
    except (HfHubHTTPError, OSError, ValueError) as e:
        raise FileNotFoundError(f"{name}: cannot fetch it from the Hugging Face hub: {e}") from e
    return Path(folder)
