"""Server-side SCORM 1.2 and 2004 run-time data model (pure: no Flask, no database).

The browser runs scorm-again, which enforces the API state machine and most data-model
rules client-side. The server never trusts it: every committed CMI tree is validated
again here, and the values only the LMS may compute (``total_time``, the evaluated
``completion_status`` / ``success_status`` / ``lesson_status``, the next ``entry``) are
computed here. One module per concern, as scorm-again keeps one file per CMI object:

- ``values``: the versions, caps and value helpers; ``times``: 1.2 and 2004 times;
- ``tree``: commit bodies in any ``dataCommitFormat``, paths into a tree;
- ``rules``: every element's value rule per version and edition (also sent to the
  browser); ``checker``, ``scorm12``, ``scorm2004``, ``validation``: the structure;
- ``readonly``: what the SCO may not change; ``launch``: the tree handed to a SCO;
- ``status`` and ``session``: evaluated status, the end of a session;
- ``shared_data``: ``adl.data`` (2004 4th edition).

References (section numbers as in ``docs/SCORM_CHECKS.md``):

- SCORM 2004 4th Edition RTE v1.1 (2009), §4.1 data types, §4.2.x elements:
  https://adlnet.gov/projects/scorm/ (4.2.3 completion_status, 4.2.4 completion_threshold
  with the evaluation table 4.2.4.1, 4.2.7 entry, 4.2.8 exit, 4.2.9 interactions,
  4.2.17 objectives, 4.2.21 session_time, 4.2.22 success_status, 4.2.25 total_time).
- SCORM 1.2 RTE §3.4 (API, error codes) and §3.4.2 / p. 3-24 (``cmi.core.lesson_status``
  and ``cmi.student_data.mastery_score``).

Tree shape
----------
A CMI tree here is the object under ``"cmi"`` in scorm-again's ``json`` commit body
(``dataCommitFormat: "json"``), i.e. ``{"core": {"lesson_status": ...}, ...}`` for 1.2 and
``{"completion_status": ..., "score": {"scaled": ...}, ...}`` for 2004. All leaf values are
strings (empty string = not set), arrays (``interactions``, ``objectives``,
``correct_responses``, ``comments_from_learner``...) are lists. scorm-again sends arrays as
objects keyed ``"0"``, ``"1"``...; :func:`normalise_commit` turns a commit body in any of
the three ``dataCommitFormat`` shapes (``json``, ``flattened``, ``params``) into this form.
:func:`initial_cmi` returns the same shape, which scorm-again's ``loadFromJSON`` accepts
as is (it recurses into objects and walks lists by index).

The names below are the ones other modules use; anything else is imported from its module.
"""

from __future__ import annotations

from player.cmi.launch import initial_cmi
from player.cmi.readonly import check_readonly, restore_readonly
from player.cmi.session import SessionOutcome, finish_session
from player.cmi.shared_data import check_adl_data, initial_adl_data, shared_data_maps
from player.cmi.status import Status, status_of
from player.cmi.times import format_iso_duration, parse_iso_duration, parse_scorm12_time
from player.cmi.tree import iter_interactions, normalise_commit
from player.cmi.validation import validate_cmi
from player.cmi.values import SCORM12, SCORM2004, CmiProblem

__all__ = [
    "SCORM12",
    "SCORM2004",
    "CmiProblem",
    "SessionOutcome",
    "Status",
    "check_adl_data",
    "check_readonly",
    "finish_session",
    "format_iso_duration",
    "initial_adl_data",
    "initial_cmi",
    "iter_interactions",
    "normalise_commit",
    "parse_iso_duration",
    "parse_scorm12_time",
    "restore_readonly",
    "shared_data_maps",
    "status_of",
    "validate_cmi",
]
