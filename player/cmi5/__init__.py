"""cmi5 and xAPI (Tin Can) launch: the AU talks to our own LRS with a learner-bound credential.

cmi5 spec (https://github.com/AICC/CMI-5_Spec_Current/blob/quartz/cmi5_spec.md):
§8.1 launch URL (endpoint, fetch, actor, registration, activityId), §8.2 fetch URL (the
auth token, once), §10 ``LMS.LaunchData`` state document, §9.3 verbs, §9.6 context
(registration, the cmi5 category, session id extension), §10 moveOn. The LMS writes
``launched`` before the AU starts, ``satisfied`` when moveOn is met (for the AU, then
blocks and the course), ``abandoned`` for a session that ended without ``terminated``
(decided at the next launch, so a late ``terminated`` from an unloading AU still counts)
and ``waived`` when it waives an AU.

xAPI packages follow Rustici's launch convention (tincan.xml: endpoint, auth, actor,
registration, activity_id): https://github.com/RusticiSoftware/launch/blob/master/lms_lrs.md

One module per concern: ``launch`` (launch and fetch URLs, LMS.LaunchData),
``sessions`` (open, abandoned and ended sessions), ``moveon`` (evaluation, satisfied),
``statements`` (what the LMS writes and reads back), ``waivers`` (waived AUs). Below
are the names other modules use.
"""

from __future__ import annotations

from player.cmi5.launch import fetch, launch_activity, launch_au
from player.cmi5.moveon import course_rollup, evaluate
from player.cmi5.sessions import end_session, open_session
from player.cmi5.waivers import au_overview, waive_au

__all__ = [
    "au_overview",
    "course_rollup",
    "end_session",
    "evaluate",
    "fetch",
    "launch_activity",
    "launch_au",
    "open_session",
    "waive_au",
]
