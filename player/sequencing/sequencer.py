"""The sequencer's public API: the Overall Sequencing Process [OP.1] (SN book §4).

``Sequencer`` runs a navigation request through the processes of the SN 4th ed. v1.1
pseudo-code (Appendix C), written here from the book: navigation and termination in
``termination.py`` (NB.2.1, TB.2.1-TB.2.3, UP.3, UP.4), sequencing, flow and delivery in
``flow.py`` (SB.2.1-SB.2.13, DB.1.1, DB.2, SR.1, SR.2), tracking, rule checks and rollup
in ``tracking.py`` (UP.1, UP.2, UP.5, RB.1.1-RB.1.5).

One deliberate difference: a request is atomic.  The SN book applies the termination
request before the sequencing request and keeps it when the latter fails; here a request
that ends in an exception leaves the state exactly as it was (the SCO keeps running), so
the player can refuse a TOC click without ending the learner's attempt.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from player.sequencing.errors import EXCEPTIONS, NAV_REQUESTS, EndSession, SequencingError
from player.sequencing.flow import Flow
from player.sequencing.model import Activity, ActivityTree
from player.sequencing.report import fold_cmi
from player.sequencing.result import CourseStatus, NavResult
from player.sequencing.simple import course_status_simple, navigate_simple
from player.sequencing.state import SequencingState
from player.sequencing.tracking import Tracker

__all__ = [
    "EXCEPTIONS",
    "NAV_REQUESTS",
    "CourseStatus",
    "NavResult",
    "Sequencer",
    "SequencingError",
]


class Sequencer(Flow):
    """Processes navigation requests and runtime reports against one state.

    Args:
        tree: the activity tree from ``build_tree``.
        state: the attempt's state (changed in place); a fresh one when ``None``.
        rng: randomness for selection/randomization (SN §3.11); seed it in tests.
        prerequisites: SCORM 1.2 only: honour ``adlcp:prerequisites`` (an item stays
            disabled until the items it names are completed or passed); ``False`` makes
            every SCO choosable.

    """

    def __init__(
        self,
        tree: ActivityTree,
        state: SequencingState | None = None,
        rng: random.Random | None = None,
        *,
        prerequisites: bool = True,
    ) -> None:
        self.tree = tree
        self.state = state if state is not None else SequencingState()
        self.rng = rng or random.Random()  # noqa: S311 - ordering content, not security
        self.prerequisites = prerequisites
        self.t = Tracker(tree, self.state)
        self._order_once()

    # -- public API ----------------------------------------------------------------------

    def navigate(self, request: str, target: str | None = None) -> NavResult:
        """Process a navigation request: the Overall Sequencing Process [OP.1].

        Args:
            request: one of ``NAV_REQUESTS`` (``_none_`` is answered with no delivery).
            target: the activity (item identifier) for ``choice`` and ``jump``.

        """
        if request == "_none_":
            return NavResult(request)
        work = self.state.copy()
        runner = self._runner(work)
        try:
            if self.tree.simple:
                result = navigate_simple(runner, request, target)
            else:
                result = runner._overall(request, target)
        except SequencingError as exc:
            return NavResult(
                request, exception=exc.code, message=EXCEPTIONS.get(exc.code, str(exc))
            )
        self.state.__dict__.update(work.__dict__)
        return result

    def launch(self) -> NavResult:
        """Begin (or resume) a sequencing session the way SN §2.2 asks an LMS to.

        ``resumeAll`` when an activity is suspended, else ``start``; when neither can
        deliver (flow disabled on the root, as in packages with no sequencing), ``choice``
        of the first leaf that can be chosen and is not hidden ("it is the LMS's
        responsibility to provide some mechanism to invoke a valid Choice").  A session
        already under way is refused with NB.2.1-1 like ``start``.
        """
        if self.state.suspended:
            resumed = self.navigate("resumeAll")
            if resumed.ok:
                return resumed
        started = self.navigate("start")
        if started.ok or started.exception == "NB.2.1-1":
            return started
        for activity in self.tree.preorder():
            if (activity.is_leaf or self.tree.simple) and activity.href:
                if self._hidden(activity):
                    continue
                chosen = self.navigate("choice", activity.id)
                if chosen.ok:
                    return chosen
        return started

    def report(self, activity_id: str, cmi: Mapping[str, Any]) -> None:
        """Fold a SCO's committed runtime data into the tracking model, then roll up.

        ``cmi`` holds the data model as committed, flat (``{"cmi.success_status": ...}``)
        or nested (``{"cmi": {"score": {"scaled": 0.8}}}``); the ``cmi.`` prefix is
        optional.  Mapping per SN §4.2.1 / RTE §4.2: completion_status → Attempt
        Completion Status, success_status → primary objective satisfied status,
        score.scaled → normalized measure, progress_measure → attempt completion amount,
        ``objectives.n`` → the activity's objective with that id, ``exit = suspend`` →
        the activity is suspended.  SCORM 1.2 ``cmi.core.lesson_status`` and
        ``cmi.core.score.raw`` are mapped the same way.

        Raises:
            KeyError: ``activity_id`` is not in the tree.

        """
        activity = self.tree[activity_id]
        fold_cmi(self.t, activity, cmi, scorm12=self.tree.simple)
        self.t.overall_rollup(activity)

    def runtime_objectives(self, activity_id: str) -> list[dict[str, Any]]:
        """Initial ``cmi.objectives`` of a SCO from its sequencing objectives (RTE §4.2.17).

        One entry per objective with an objectiveID, primary first: ``id``,
        ``success_status``, ``completion_status`` (passed / failed / unknown, completed /
        incomplete / unknown), ``score_scaled`` and ``progress_measure`` (None when
        unknown), as the tracking model knows them, global objectives read through
        ``mapInfo`` included.

        Raises:
            KeyError: ``activity_id`` is not in the tree.

        """
        activity = self.tree[activity_id]
        found = []
        for objective in activity.objectives:
            if objective.id.startswith(f"{activity.id}#"):
                continue  # a primary objective the package did not name
            satisfied = self.t.satisfied(activity, objective)
            completion = self.t.completion(activity, objective)
            found.append(
                {
                    "id": objective.id,
                    "success_status": _word(satisfied, "passed", "failed"),
                    "completion_status": _word(completion, "completed", "incomplete"),
                    "score_scaled": self.t.measure(activity, objective),
                    "progress_measure": self.t.progress(activity, objective),
                }
            )
        return found

    def valid_requests(self) -> dict[str, Any]:
        """Report what ``adl.nav.request_valid.*`` says now, and the TOC state.

        Each request is tried on a copy of the state (no change here).  Returns a dict:
        ``continue``, ``previous``, ``exit``, ``exitAll``, ``abandon``, ``abandonAll``,
        ``suspendAll``, ``start``, ``resumeAll`` → bool; ``choice`` and ``jump`` →
        ``{activity id: bool}``; ``hide_lms_ui`` → the current activity's
        ``adlnav:hideLMSUI`` values; ``toc`` → one entry per activity in tree order with
        ``id``, ``title``, ``depth``, ``parent``, ``leaf``, ``hidden`` (isvisible false,
        hiddenFromChoice or not selected), ``enabled`` (choice valid), ``current``,
        ``suspended``, ``attempts``, ``completion`` and ``success`` (``True``/``False``/
        ``None``).
        """
        result: dict[str, Any] = {}
        for request in (
            "continue", "previous", "exit", "exitAll", "abandon", "abandonAll",
            "suspendAll", "start", "resumeAll",
        ):  # fmt: skip
            result[request] = self._try(request)
        choice = self._targets_valid("choice", list(self.tree.preorder()))
        result["choice"] = choice
        leaves = [a for a in self.tree.preorder() if a.is_leaf]
        result["jump"] = self._targets_valid("jump", leaves)
        current = self._current()
        result["hide_lms_ui"] = sorted(current.hide_lms_ui) if current else []
        toc = []
        for a in self.tree.preorder():
            state = self.t.act(a)
            toc.append(
                {
                    "id": a.id,
                    "title": a.title,
                    "depth": len(a.path_from_root()) - 1,
                    "parent": a.parent.id if a.parent else None,
                    "leaf": a.is_leaf if not self.tree.simple else bool(a.href),
                    "hidden": self._hidden(a),
                    "enabled": choice[a.id],
                    "current": a.id == self.state.current,
                    "suspended": state.suspended,
                    "attempts": state.attempts,
                    "completion": self.t.completion(a),
                    "success": self.t.satisfied(a),
                }
            )
        result["toc"] = toc
        return result

    def course_status(self) -> CourseStatus:
        """Return the root's rolled-up status: (completion, success, measure).

        completion ∈ completed / incomplete / not attempted / unknown; success ∈ passed /
        failed / unknown (the cmi vocabularies); measure is the root's normalized measure
        (RB.1.1 a), None when unknown.  A tuple, also readable as ``completion_status``,
        ``success_status`` and ``score_scaled``.
        """
        if self.tree.simple:
            return CourseStatus(*course_status_simple(self))
        root = self.tree.root
        done = self.t.completion(root)
        if done is None:
            completion = "not attempted" if self.t.act(root).attempts == 0 else "unknown"
        else:
            completion = "completed" if done else "incomplete"
        ok = self.t.satisfied(root)
        success = "unknown" if ok is None else ("passed" if ok else "failed")
        return CourseStatus(completion, success, self.t.measure(root))

    def _runner(self, state: SequencingState) -> Sequencer:
        """A sequencer on ``state`` sharing this one's tree and randomness."""
        runner = Sequencer.__new__(Sequencer)
        runner.tree, runner.state, runner.rng = self.tree, state, self.rng
        runner.prerequisites = self.prerequisites
        runner.t = Tracker(self.tree, state)
        return runner

    def _try(self, request: str, target: str | None = None) -> bool:
        probe = self._runner(self.state.copy())
        probe.rng = random.Random(0)  # noqa: S311 - a look-ahead only
        return probe.navigate(request, target).ok

    def _targets_valid(self, request: str, targets: list[Activity]) -> dict[str, bool]:
        """Tell, per target, whether ``request`` (choice or jump) would succeed now.

        Same outcome as ``navigate`` on a copy per target, but the termination of the
        current activity (identical for every target) is run once, and delivery stops at
        the Delivery Request Process [DB.1.1] checks.
        """
        if self.tree.simple:
            return {a.id: self._try(request, a.id) for a in targets}
        after = self.state.copy()
        sequencing = request
        cur = self._current()
        if cur is not None and self.t.act(cur).active:
            try:
                sequencing = self._runner(after)._terminate("exit", request) or ""
            except SequencingError:
                return {a.id: False for a in targets}
        found: dict[str, bool] = {}
        for activity in targets:
            try:
                self._navigation_request(request, activity.id)
                runner = self._runner(after.copy())
                runner.rng = random.Random(0)  # noqa: S311 - a look-ahead only
                deliver = runner._sequence(sequencing, activity.id) if sequencing else None
                if deliver is not None:
                    runner._delivery_request(deliver)
                found[activity.id] = True
            except EndSession:
                found[activity.id] = True
            except SequencingError:
                found[activity.id] = False
        return found

    def _hidden(self, activity: Activity) -> bool:
        if not activity.visible:
            return True
        for node in activity.path_from_root():
            if node.parent is not None and node not in self.t.available(node.parent):
                return True
            if self.t.rule_action(node, "pre", ["hiddenFromChoice"]):
                return True
        return False

    def _overall(self, request: str, target: str | None) -> NavResult:
        termination, sequencing, target = self._navigation_request(request, target)
        if termination:
            sequencing = self._terminate(termination, sequencing)
        if sequencing is None:
            return NavResult(request)
        try:
            deliver = self._sequence(sequencing, target)
        except EndSession:
            deliver = None
            self._end_session()
            return NavResult(request, ended=True)
        if deliver is None:
            if self.state.ended:
                return NavResult(request, ended=True)
            return NavResult(request)
        resume = self._deliver(deliver)
        return NavResult(
            request,
            activity=deliver.id,
            title=deliver.title,
            href=deliver.href,
            parameters=deliver.parameters,
            resume=resume,
        )


def _word(value: bool | None, yes: str, no: str) -> str:
    return "unknown" if value is None else (yes if value else no)
