"""Named signals about course review (blinker), for whoever tells people about it.

Sent by packages/review.py inside the request's transaction, after the change is
flushed; a receiver that writes (the portal's outbox) flushes too, and the caller's one
commit makes both take effect, or neither. Receivers must not commit.

- ``review_submitted``: sender is the ``ReviewEvent`` ("submitted") of a version that now
  waits for a reviewer.
- ``review_decided``: sender is the ``ReviewEvent`` ("approved" or "returned") of a
  reviewer's decision; its ``comment`` and ``checklist`` say why.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

review_submitted = _signals.signal("review_submitted")
review_decided = _signals.signal("review_decided")
