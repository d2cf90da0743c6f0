"""Suite-wide settings, read before any test module imports torch (see asr/bin/__init__.py)."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
