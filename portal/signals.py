"""Named signals about classroom bookings (blinker), for whoever tells people about them.

The portal sends them from its services (portal/bookings.py, portal/session_changes.py)
inside the request's transaction, after the change is flushed; a receiver that writes
(an e-mail outbox, say) flushes too, and the caller's one commit makes both take effect,
or neither. Receivers must not commit.

- ``booking_confirmed``: sender is the ``Enrolment`` that got a seat when booked, or
  when its manager approved it (then with ``approved=True``; one that joined the
  waiting list sends nothing until it is promoted).
- ``promoted``: sender is the ``Enrolment`` that moved from the waiting list to a seat
  (a seat was given back, or the session got more seats).
- ``approval_requested``: sender is the ``Enrolment`` (status "pending") that waits for
  the person's manager (``User.manager_id``) to approve it.
- ``booking_approved``: sender is the ``Enrolment`` the manager approved, "booked" (a
  seat, ``booking_confirmed`` is sent too) or "waiting" (the session was full).
- ``booking_refused``: sender is the ``Enrolment`` the manager refused (``note``: why).
- ``session_changed``: sender is the ``ClassroomSession``; ``changes`` maps each changed
  field people see (``starts_at``, ``ends_at``, ``place``, ``trainer_id``) to
  ``(old, new)``, and ``user_ids`` lists the people booked or waiting.
- ``session_cancelled``: sender is the ``ClassroomSession`` (``cancel_reason`` set);
  ``user_ids`` lists the people who were booked or waiting.

``portal.invitations.invitation(enrolment)`` gives the ``.ics`` bytes to attach
(RFC 5546 REQUEST, or CANCEL once the session is cancelled).
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

booking_confirmed = _signals.signal("booking_confirmed")
promoted = _signals.signal("promoted")
approval_requested = _signals.signal("approval_requested")
booking_approved = _signals.signal("booking_approved")
booking_refused = _signals.signal("booking_refused")
session_changed = _signals.signal("session_changed")
session_cancelled = _signals.signal("session_cancelled")
