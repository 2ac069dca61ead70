"""Named signals other areas subscribe to (blinker), so accounts never imports them.

``deactivated`` is sent with the ``User`` whose account was just deactivated (the admin
page, SCIM ``active: false`` or DELETE), inside the request's transaction: receivers
end what the person could still use (launch tokens: player; learner-bound LRS
credentials: lrs) and flush; the caller's commit makes it all take effect at once.

``people_changed`` is sent with ``user_ids`` (a list, or None for "anyone may have
changed": a people import, a unit moved) after people were created or their unit, role,
title or active flag may have changed, in the same transaction: the portal brings the
audiences of mandatory training up to date (portal/requirements.py).

``line_changed`` is sent by accounts/line.py when people entered or left managers'
lines (someone's manager changed), with ``session`` and the (manager id, person id)
pairs ``added`` and ``removed``, in the same transaction: the portal moves the people's
completions into and out of those managers' monthly totals (portal/line_rollup.py).
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

deactivated = _signals.signal("deactivated")
people_changed = _signals.signal("people_changed")
line_changed = _signals.signal("line_changed")
