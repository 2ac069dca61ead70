"""Named signals the LRS sends, for the areas above it to connect to (blinker, as Flask).

The LRS sits below the player and the portal and never imports them: what they need to
hear about, it announces here, and they connect a receiver by the signal's name.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

statements_stored = _signals.signal(
    "statements-stored",
    doc="""A batch was stored: ``send(client, statements=[...])``.

    Sent in the same transaction, with the statements as stored (LRS-assigned properties
    included) and the ``lrs.auth.Client`` that stored them, so projections (report
    tables) stay in step with the LRS whoever wrote the statements, and can tell whose
    word a result is (a launch's, a trusted source's).  Statements sent again unchanged
    are not in it.
    """,
)
