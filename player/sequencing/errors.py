"""SN exception codes and the exceptions the sequencing processes raise.

Codes are those of the SN book's pseudo-code (4th ed. v1.1, Appendix C): the process id
and a number, e.g. ``NB.2.1-1`` (Navigation Request Process) or ``SB.2.2-2`` (Flow
Activity Traversal Subprocess).
"""

from __future__ import annotations

NAV_REQUESTS = (
    "start", "resumeAll", "continue", "previous", "choice", "jump", "exit", "exitAll",
    "abandon", "abandonAll", "suspendAll",
)  # fmt: skip

#: Exception codes raised here, with the SN book's meaning (Appendix C).
EXCEPTIONS = {
    "NB.2.1-1": "The sequencing session has already begun",
    "NB.2.1-2": "The sequencing session has not begun",
    "NB.2.1-3": "There is no suspended activity to resume",
    "NB.2.1-4": "Flow is not enabled for the current activity's parent",
    "NB.2.1-5": "Flow is disabled or forwardOnly is set: previous is not allowed",
    "NB.2.1-6": "No activity is previous to the root",
    "NB.2.1-8": "choiceExit is false on an active activity that would be exited",
    "NB.2.1-10": "Choice is not enabled for the target's parent",
    "NB.2.1-11": "The target activity does not exist",
    "NB.2.1-12": "The current activity has already been terminated",
    "NB.2.1-13": "Undefined navigation request",
    "TB.2.3-1": "The sequencing session has not begun",
    "TB.2.3-2": "The current activity has already been terminated",
    "TB.2.3-3": "Nothing to suspend",
    "TB.2.3-4": "exitParent on the root activity",
    "TB.2.3-7": "Undefined termination request",
    "SB.2.1-2": "The cluster has no available children",
    "SB.2.1-3": "The beginning of the course has been reached",
    "SB.2.1-4": "forwardOnly: cannot move backward",
    "SB.2.2-1": "Flow is not enabled for the parent",
    "SB.2.2-2": "The activity is disabled or its attempt limit is exceeded",
    "SB.2.4-1": "A stopForwardTraversal rule blocks the choice",
    "SB.2.4-2": "forwardOnly: cannot choose backward",
    "SB.2.5-1": "The sequencing session has already begun",
    "SB.2.5-3": "No activity can be delivered",
    "SB.2.6-1": "The sequencing session has already begun",
    "SB.2.6-2": "There is no suspended activity to resume",
    "SB.2.7-1": "The sequencing session has not begun",
    "SB.2.7-2": "Flow is not enabled for the current activity's parent",
    "SB.2.8-1": "The sequencing session has not begun",
    "SB.2.8-2": "Flow is not enabled for the current activity's parent",
    "SB.2.9-1": "The target activity does not exist",
    "SB.2.9-2": "The target activity is not available (selection)",
    "SB.2.9-3": "The target activity is hidden from choice",
    "SB.2.9-4": "Choice is not enabled for the target's parent",
    "SB.2.9-6": "preventActivation: the activity must be activated by flow",
    "SB.2.9-7": "choiceExit is false on an activity that would be exited",
    "SB.2.9-8": "constrainChoice: only the activity next to (or before) the cluster",
    "SB.2.9-9": "Choosing the cluster identifies nothing to deliver",
    "SB.2.10-1": "The sequencing session has not begun",
    "SB.2.10-2": "The current activity is still active or suspended",
    "SB.2.10-3": "Retry identifies nothing to deliver",
    "SB.2.11-1": "The sequencing session has not begun",
    "SB.2.11-2": "The current activity has not been terminated",
    "SB.2.12-1": "Undefined sequencing request",
    "SB.2.13-1": "The target activity does not exist",
    "DB.1.1-1": "Only leaf activities can be delivered",
    "DB.1.1-3": "An activity on the path is disabled or over its attempt limit",
    "DB.2-1": "The current activity is still active",
}


class SequencingError(Exception):
    """An SN exception: the request is refused with ``code`` (e.g. ``NB.2.1-1``)."""

    def __init__(self, code: str) -> None:
        super().__init__(f"{code}: {EXCEPTIONS.get(code, 'refused')}")
        self.code = code


class EndSession(Exception):
    """Flow walked off the end of the tree: the sequencing session ends (4th ed. SB.2.1)."""
