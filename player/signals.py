"""Named signals the player sends, for the portal above it to connect to (blinker, as Flask).

- ``attempt_started``: sender is the new ``Attempt`` (flushed, not a preview), sent in
  the launch's transaction. Mandatory training counts a person who has begun a
  required course as in progress (portal/requirements.py), and an attempt is what
  begins it; a receiver must not commit.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

attempt_started = _signals.signal("attempt-started")
