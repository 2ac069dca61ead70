"""The Overall Sequencing Process for SCORM 2004 (SN book §4, Appendix C pseudo-code).

Implemented, each written from the SN 4th ed. v1.1 pseudo-code (process ids in brackets):
Navigation Request Process [NB.2.1]; Termination Request Process [TB.2.3] with the
Sequencing Exit Action Rules [TB.2.1] and Post Condition Rules [TB.2.2] subprocesses,
End Attempt [UP.4] and Terminate Descendent Attempts [UP.3]; Sequencing Request Process
[SB.2.12] for Start [SB.2.5], Resume All [SB.2.6], Continue [SB.2.7], Previous [SB.2.8],
Choice [SB.2.9] (with Choice Activity Traversal [SB.2.4]), Retry [SB.2.10], Exit [SB.2.11]
and Jump [SB.2.13]; the Flow Subprocess [SB.2.3] with Flow Tree Traversal [SB.2.1] and
Flow Activity Traversal [SB.2.2]; Delivery Request [DB.1.1] and Content Delivery
Environment [DB.2] with Clear Suspended Activity [DB.2.1]; Select Children [SR.1] and
Randomize Children [SR.2].

One deliberate difference: a request is atomic.  The SN book applies the termination
request before the sequencing request and keeps it when the latter fails; here a request
that ends in an exception leaves the state exactly as it was (the SCO keeps running), so
the player can refuse a TOC click without ending the learner's attempt.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from player.sequencing.model import Activity, ActivityTree
from player.sequencing.report import fold_cmi
from player.sequencing.state import SequencingState
from player.sequencing.tracking import Tracker

#: Navigation requests (SN §4.4.x, RTE adl.nav.request vocabulary).
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


class _EndSession(Exception):
    """Flow walked off the end of the tree: the sequencing session ends (4th ed. SB.2.1)."""


@dataclass(frozen=True)
class NavResult:
    """The outcome of ``Sequencer.navigate``.

    Exactly one of: an activity to deliver (``activity`` with ``href``), the end of the
    sequencing session (``ended``), nothing to deliver (e.g. after ``exit``), or a refusal
    (``exception`` with its SN code and ``message``).
    """

    request: str
    activity: str | None = None
    title: str | None = None
    href: str | None = None
    parameters: str | None = None
    #: The activity resumes a suspended attempt (cmi.entry = "resume").
    resume: bool = False
    ended: bool = False
    exception: str | None = None
    message: str | None = None

    @property
    def ok(self) -> bool:
        """True unless the request was refused."""
        return self.exception is None


class Sequencer:
    """Processes navigation requests and runtime reports against one state.

    Args:
        tree: the activity tree from ``build_tree``.
        state: the attempt's state (changed in place); a fresh one when ``None``.
        rng: randomness for selection/randomization (SN §3.11); seed it in tests.

    """

    def __init__(
        self,
        tree: ActivityTree,
        state: SequencingState | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.tree = tree
        self.state = state if state is not None else SequencingState()
        self.rng = rng or random.Random()  # noqa: S311 - ordering content, not security
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
        runner = Sequencer.__new__(Sequencer)
        runner.tree, runner.state, runner.rng = self.tree, work, self.rng
        runner.t = Tracker(self.tree, work)
        try:
            if self.tree.simple:
                from player.sequencing.simple import navigate_simple

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
        self.t.rollup_all()

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
        choice = {a.id: self._try("choice", a.id) for a in self.tree.preorder()}
        result["choice"] = choice
        result["jump"] = {a.id: self._try("jump", a.id) for a in self.tree.preorder() if a.is_leaf}
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

    def course_status(self) -> tuple[str, str, float | None]:
        """Return the root's rolled-up status: (completion, success, measure).

        completion ∈ completed / incomplete / not attempted / unknown; success ∈ passed /
        failed / unknown (the cmi vocabularies); measure is the normalized measure.
        """
        if self.tree.simple:
            from player.sequencing.simple import course_status_simple

            return course_status_simple(self)
        root = self.tree.root
        done = self.t.completion(root)
        if done is None:
            completion = "not attempted" if self.t.act(root).attempts == 0 else "unknown"
        else:
            completion = "completed" if done else "incomplete"
        ok = self.t.satisfied(root)
        success = "unknown" if ok is None else ("passed" if ok else "failed")
        return completion, success, self.t.measure(root)

    # -- helpers -------------------------------------------------------------------------

    def _try(self, request: str, target: str | None = None) -> bool:
        probe = Sequencer(self.tree, self.state.copy(), random.Random(0))  # noqa: S311
        return probe.navigate(request, target).ok

    def _hidden(self, activity: Activity) -> bool:
        if not activity.visible:
            return True
        for node in activity.path_from_root():
            if node.parent is not None and node not in self.t.available(node.parent):
                return True
            if self.t.rule_action(node, "pre", ["hiddenFromChoice"]):
                return True
        return False

    def _current(self) -> Activity | None:
        cur = self.state.current
        return self.tree[cur] if cur and cur in self.tree else None

    def _order_once(self) -> None:
        """Selection/randomization with timing ``once`` (SR.1/SR.2), on first use."""
        for a in self.tree.preorder():
            if a.children and self.t.act(a).ordered_at == -1:
                once = a.selection_timing == "once" or a.randomization_timing == "once"
                if once:
                    self._reorder(a, 0)

    def _reorder(self, activity: Activity, attempt: int) -> None:
        """Select Children [SR.1] and Randomize Children [SR.2] for one attempt."""
        state = self.t.act(activity)
        kids = [c.id for c in activity.children]
        count = activity.select_count
        if count is not None and 0 <= count < len(kids):
            picked = set(self.rng.sample(kids, count))
            kids = [k for k in kids if k in picked]
        if activity.reorder_children:
            self.rng.shuffle(kids)
        state.children = kids
        state.ordered_at = attempt

    def _new_attempt_children(self, activity: Activity) -> list[Activity]:
        """Available children, reordered when a new attempt on ``activity`` begins."""
        state = self.t.act(activity)
        if not state.active and not state.suspended:
            every = "onEachNewAttempt" in (
                activity.selection_timing,
                activity.randomization_timing,
            )
            if every and state.ordered_at != state.attempts + 1:
                self._reorder(activity, state.attempts + 1)
        return self.t.available(activity)

    # -- OP.1 --------------------------------------------------------------------------

    def _overall(self, request: str, target: str | None) -> NavResult:
        termination, sequencing, target = self._navigation_request(request, target)
        if termination:
            sequencing = self._terminate(termination, sequencing)
        if sequencing is None:
            return NavResult(request)
        try:
            deliver = self._sequence(sequencing, target)
        except _EndSession:
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

    def _navigation_request(
        self, request: str, target: str | None
    ) -> tuple[str | None, str | None, str | None]:
        """Navigation Request Process [NB.2.1] → (termination, sequencing, target)."""
        cur = self._current()
        active = cur is not None and self.t.act(cur).active
        if request == "start":
            if cur is not None:
                raise SequencingError("NB.2.1-1")
            return None, "start", None
        if request == "resumeAll":
            if cur is not None:
                raise SequencingError("NB.2.1-1")
            if not self.state.suspended:
                raise SequencingError("NB.2.1-3")
            return None, "resumeAll", None
        if request in ("continue", "previous"):
            if cur is None:
                raise SequencingError("NB.2.1-2")
            if cur.parent is None:
                raise SequencingError("NB.2.1-4" if request == "continue" else "NB.2.1-6")
            if not cur.parent.flow:
                raise SequencingError("NB.2.1-4" if request == "continue" else "NB.2.1-5")
            if request == "previous" and cur.parent.forward_only:
                raise SequencingError("NB.2.1-5")
            return ("exit" if active else None), request, None
        if request in ("choice", "jump"):
            if not target or target not in self.tree:
                raise SequencingError("NB.2.1-11")
            chosen = self.tree[target]
            if request == "choice":
                if chosen.parent is not None and not chosen.parent.choice:
                    raise SequencingError("NB.2.1-10")
                if cur is not None:
                    common = _common_ancestor(cur, chosen)
                    node: Activity | None = cur
                    while node is not None and node is not common:
                        if self.t.act(node).active and not node.choice_exit:
                            raise SequencingError("NB.2.1-8")
                        node = node.parent
            return ("exit" if active else None), request, target
        if request in ("exit", "abandon"):
            if cur is None:
                raise SequencingError("NB.2.1-2")
            if not active:
                raise SequencingError("NB.2.1-12")
            return request, "exit", None
        if request in ("exitAll", "abandonAll", "suspendAll"):
            if cur is None:
                raise SequencingError("NB.2.1-2")
            return request, "exit", None
        raise SequencingError("NB.2.1-13")

    # -- termination (TB.2.x, UP.3, UP.4) ------------------------------------------------

    def _end_attempt(self, activity: Activity) -> None:
        """End Attempt Process [UP.4]."""
        state = self.t.act(activity)
        if activity.is_leaf:
            if activity.tracked and not state.suspended:
                # Delivery controls (SN §3.12): the LMS sets the status the content did not.
                if not activity.completion_set_by_content and state.completion is None:
                    self.t.set_objective(activity, activity.primary, completion=True)
                local = state.objective(activity.primary.id)
                if not activity.objective_set_by_content and local.satisfied is None:
                    self.t.set_objective(activity, activity.primary, satisfied=True)
        else:
            state.suspended = any(self.t.act(c).suspended for c in activity.children)
        state.active = False
        self.t.rollup_all()

    def _terminate_descendents(self, activity: Activity) -> None:
        """Terminate Descendent Attempts Process [UP.3] (from the current activity up)."""
        node = self._current()
        while node is not None and node is not activity:
            if activity.is_ancestor_of(node) and self.t.act(node).active:
                self._end_attempt(node)
            node = node.parent

    def _terminate(self, request: str, sequencing: str | None) -> str | None:
        """Termination Request Process [TB.2.3]; returns the sequencing request to run."""
        cur = self._current()
        if cur is None:
            raise SequencingError("TB.2.3-1")
        state = self.t.act(cur)
        if request in ("exit", "abandon") and not state.active:
            raise SequencingError("TB.2.3-2")
        if request == "exit":
            self._end_attempt(cur)
            self._exit_action_rules()
            while True:
                cur = self._current()
                assert cur is not None  # noqa: S101
                post_seq, post_term = self._post_conditions(cur)
                if post_term == "exitAll":
                    return self._exit_all(post_seq or "exit")
                if post_term == "exitParent":
                    if cur.parent is None:
                        raise SequencingError("TB.2.3-4")
                    self.state.current = cur.parent.id
                    self._end_attempt(cur.parent)
                    continue
                if cur.parent is None and post_seq != "retry":
                    return "exit"
                return post_seq or sequencing
        if request == "exitAll":
            return self._exit_all("exit")
        if request == "suspendAll":
            if not (state.active or state.suspended):
                if cur.parent is None:
                    raise SequencingError("TB.2.3-3")
                cur = cur.parent
            self.t.overall_rollup(cur)
            self.state.suspended = cur.id
            for node in cur.path_from_root():
                node_state = self.t.act(node)
                node_state.active = False
                node_state.suspended = True
            self.state.current = self.tree.root.id
            return "exit"
        if request == "abandon":
            state.active = False
            return sequencing
        if request == "abandonAll":
            for node in cur.path_from_root():
                self.t.act(node).active = False
            self.state.current = self.tree.root.id
            return "exit"
        raise SequencingError("TB.2.3-7")

    def _exit_all(self, sequencing: str) -> str:
        cur = self._current()
        if cur is not None and self.t.act(cur).active:
            self._end_attempt(cur)
        self._terminate_descendents(self.tree.root)
        self._end_attempt(self.tree.root)
        self.state.current = self.tree.root.id
        return sequencing

    def _exit_action_rules(self) -> None:
        """Sequencing Exit Action Rules Subprocess [TB.2.1]."""
        cur = self._current()
        if cur is None:
            return
        for node in cur.path_from_root()[:-1]:
            if self.t.rule_action(node, "exit", ["exit"]):
                self._terminate_descendents(node)
                self._end_attempt(node)
                self.state.current = node.id
                return

    def _post_conditions(self, activity: Activity) -> tuple[str | None, str | None]:
        """Sequencing Post Condition Rules Subprocess [TB.2.2] → (sequencing, termination)."""
        if self.t.act(activity).suspended:
            return None, None
        action = self.t.rule_action(
            activity,
            "post",
            ["exitParent", "exitAll", "retry", "retryAll", "continue", "previous"],
        )
        return {
            "retry": ("retry", None),
            "continue": ("continue", None),
            "previous": ("previous", None),
            "exitParent": (None, "exitParent"),
            "exitAll": (None, "exitAll"),
            "retryAll": ("retry", "exitAll"),
        }.get(action or "", (None, None))

    def _end_session(self) -> None:
        for node in self.tree.preorder():
            self.t.act(node).active = False
        self.state.current = None
        self.state.ended = True

    # -- sequencing requests (SB.2.x) ----------------------------------------------------

    def _sequence(self, request: str, target: str | None) -> Activity | None:
        """Sequencing Request Process [SB.2.12]: the activity to deliver, or None."""
        cur = self._current()
        if request == "start":
            if cur is not None:
                raise SequencingError("SB.2.5-1")
            root = self.tree.root
            if root.is_leaf:
                return root
            try:
                return self._flow(root, "forward", consider_children=True)
            except _EndSession:
                raise SequencingError("SB.2.5-3") from None
        if request == "resumeAll":
            if cur is not None:
                raise SequencingError("SB.2.6-1")
            if not self.state.suspended or self.state.suspended not in self.tree:
                raise SequencingError("SB.2.6-2")
            return self.tree[self.state.suspended]
        if request in ("continue", "previous"):
            code = "SB.2.7" if request == "continue" else "SB.2.8"
            if cur is None:
                raise SequencingError(f"{code}-1")
            if cur.parent is not None and not cur.parent.flow:
                raise SequencingError(f"{code}-2")
            direction = "forward" if request == "continue" else "backward"
            return self._flow(cur, direction, consider_children=False)
        if request == "exit":
            if cur is None:
                raise SequencingError("SB.2.11-1")
            if self.t.act(cur).active:
                raise SequencingError("SB.2.11-2")
            if cur.parent is None:
                self._end_session()
            return None
        if request == "retry":
            if cur is None:
                raise SequencingError("SB.2.10-1")
            state = self.t.act(cur)
            if state.active or state.suspended:
                raise SequencingError("SB.2.10-2")
            self._reset_subtree(cur)
            if cur.is_leaf:
                return cur
            try:
                return self._flow(cur, "forward", consider_children=True)
            except _EndSession:
                raise SequencingError("SB.2.10-3") from None
        if request == "choice":
            return self._choice(target)
        if request == "jump":
            if not target or target not in self.tree:
                raise SequencingError("SB.2.13-1")
            return self.tree[target]
        raise SequencingError("SB.2.12-1")

    def _reset_subtree(self, activity: Activity) -> None:
        """Start a retried activity over: clear the local tracking of its descendants."""
        stack = list(activity.children)
        while stack:
            node = stack.pop()
            state = self.t.act(node)
            state.objectives = {}
            state.completion = None
            state.progress = None
            stack.extend(node.children)

    def _flow(self, activity: Activity, direction: str, consider_children: bool) -> Activity:
        """Flow Subprocess [SB.2.3]; raises _EndSession when flow walks off the tree."""
        found = self._flow_tree(activity, direction, consider_children, None)
        return self._flow_activity(found[0], direction, None)

    def _flow_tree(
        self, activity: Activity, direction: str, consider_children: bool, previous: str | None
    ) -> tuple[Activity, str]:
        """Flow Tree Traversal Subprocess [SB.2.1] → (next activity, direction)."""
        reversed_ = False
        parent = activity.parent
        if previous == "backward" and parent is not None:
            siblings = self.t.available(parent)
            if siblings and siblings[-1] is activity:
                direction, activity, reversed_ = "backward", siblings[0], True
        if direction == "forward":
            if activity.is_leaf or not consider_children:
                if parent is None:
                    raise _EndSession
                siblings = self.t.available(parent)
                index = siblings.index(activity) if activity in siblings else len(siblings)
                if index >= len(siblings) - 1:
                    return self._flow_tree(parent, "forward", False, None)
                return siblings[index + 1], "forward"
            kids = self._new_attempt_children(activity)
            if not kids:
                raise SequencingError("SB.2.1-2")
            return kids[0], "forward"
        if parent is None:
            raise SequencingError("SB.2.1-3")
        if activity.is_leaf or not consider_children:
            if not reversed_ and parent.forward_only:
                raise SequencingError("SB.2.1-4")
            siblings = self.t.available(parent)
            index = siblings.index(activity) if activity in siblings else 0
            if index == 0:
                return self._flow_tree(parent, "backward", False, None)
            return siblings[index - 1], "backward"
        kids = self._new_attempt_children(activity)
        if not kids:
            raise SequencingError("SB.2.1-2")
        if activity.forward_only:
            return kids[0], "forward"
        return kids[-1], "backward"

    def _flow_activity(self, activity: Activity, direction: str, previous: str | None) -> Activity:
        """Flow Activity Traversal Subprocess [SB.2.2]."""
        if activity.parent is not None and not activity.parent.flow:
            raise SequencingError("SB.2.2-1")
        if self.t.rule_action(activity, "pre", ["skip"]):
            nxt, nxt_dir = self._flow_tree(activity, direction, False, previous)
            if previous == "backward" and nxt_dir == "backward":
                return self._flow_activity(nxt, nxt_dir, None)
            return self._flow_activity(nxt, direction, previous)
        if self.t.check_activity(activity):
            raise SequencingError("SB.2.2-2")
        if not activity.is_leaf:
            nxt, nxt_dir = self._flow_tree(activity, direction, True, None)
            if direction == "backward" and nxt_dir == "forward":
                return self._flow_activity(nxt, "forward", "backward")
            return self._flow_activity(nxt, direction, None)
        return activity

    def _choice(self, target_id: str | None) -> Activity:
        """Choice Sequencing Request Process [SB.2.9]."""
        if not target_id or target_id not in self.tree:
            raise SequencingError("SB.2.9-1")
        target = self.tree[target_id]
        path = target.path_from_root()
        for node in path[1:]:
            assert node.parent is not None  # noqa: S101
            if node not in self.t.available(node.parent):
                raise SequencingError("SB.2.9-2")
        for node in path:
            if self.t.rule_action(node, "pre", ["hiddenFromChoice"]):
                raise SequencingError("SB.2.9-3")
        if target.parent is not None and not target.parent.choice:
            raise SequencingError("SB.2.9-4")
        cur = self._current()
        common = _common_ancestor(cur, target) if cur is not None else self.tree.root
        if cur is not None and cur is not target:
            # Leaving the current branch: choiceExit on every active activity exited.
            exiting: Activity | None = cur
            while exiting is not None and exiting is not common:
                state = self.t.act(exiting)
                if exiting is not cur and state.active and not exiting.choice_exit:
                    raise SequencingError("SB.2.9-7")
                exiting = exiting.parent
            if target is not common:
                order = list(self.tree.activities)
                forward = order.index(target.id) > order.index(cur.id)
                if cur.parent is target.parent and cur.parent is not None:
                    siblings = self.t.available(cur.parent)
                    i, j = siblings.index(cur), siblings.index(target)
                    between = siblings[i:j] if forward else siblings[j + 1 : i + 1][::-1]
                    for node in between:
                        self._choice_traversal(node, "forward" if forward else "backward")
                else:
                    below = target.path_from_root()
                    below = below[below.index(common) :]
                    if forward:
                        for node in below[:-1]:
                            self._choice_traversal(node, "forward")
                    elif len(below) > 1:
                        self._choice_traversal(below[1], "backward")
                    for node in below[1:]:
                        if not self.t.act(node).active and node.prevent_activation:
                            raise SequencingError("SB.2.9-6")
        elif cur is None:
            for node in path[:-1]:
                self._choice_traversal(node, "forward")
        if target.is_leaf:
            return target
        try:
            return self._flow(target, "forward", consider_children=True)
        except (_EndSession, SequencingError):
            raise SequencingError("SB.2.9-9") from None

    def _choice_traversal(self, activity: Activity, direction: str) -> None:
        """Choice Activity Traversal Subprocess [SB.2.4]."""
        if direction == "forward":
            if self.t.rule_action(activity, "pre", ["stopForwardTraversal"]):
                raise SequencingError("SB.2.4-1")
            return
        if activity.parent is not None and activity.parent.forward_only:
            raise SequencingError("SB.2.4-2")

    # -- delivery (DB.x) -----------------------------------------------------------------

    def _deliver(self, activity: Activity) -> bool:
        """Delivery Request [DB.1.1] and Content Delivery Environment [DB.2] processes.

        Returns True when the delivered activity resumes a suspended attempt.
        """
        if not activity.is_leaf:
            raise SequencingError("DB.1.1-1")
        path = activity.path_from_root()
        for node in path:
            if self.t.check_activity(node):
                raise SequencingError("DB.1.1-3")
        cur = self._current()
        if cur is not None and self.t.act(cur).active and cur is not activity:
            raise SequencingError("DB.2-1")
        suspended = self.state.suspended
        if suspended and suspended != activity.id and suspended in self.tree:
            self._clear_suspended(self.tree[suspended], activity)
        resume = False
        for node in path:
            state = self.t.act(node)
            if state.active:
                continue
            if state.suspended:
                state.suspended = False
                resume = resume or node is activity
            else:
                self._begin_attempt(node)
            state.active = True
        self.state.current = activity.id
        self.state.suspended = None
        self.state.ended = False
        self.t.rollup_all()
        return resume

    def _begin_attempt(self, activity: Activity) -> None:
        """Begin a new attempt: count it, clear the attempt's tracking data (SN §4.2, DB.2)."""
        state = self.t.act(activity)
        state.attempts += 1
        state.completion = None
        state.progress = None
        state.objectives = {}
        if activity.children:
            every = "onEachNewAttempt" in (
                activity.selection_timing,
                activity.randomization_timing,
            )
            if every and state.ordered_at != state.attempts:
                self._reorder(activity, state.attempts)

    def _clear_suspended(self, suspended: Activity, target: Activity) -> None:
        """Clear Suspended Activity Subprocess [DB.2.1]."""
        common = _common_ancestor(suspended, target)
        node: Activity | None = suspended
        # The common ancestor (on the target's path too) stays suspended and so resumes.
        while node is not None and node is not common:
            state = self.t.act(node)
            if node.is_leaf or not any(self.t.act(c).suspended for c in node.children):
                state.suspended = False
            node = node.parent


def _common_ancestor(a: Activity, b: Activity) -> Activity:
    """Return the deepest activity on both paths from the root (a if it contains b)."""
    left, right = a.path_from_root(), b.path_from_root()
    common = left[0]
    for x, y in zip(left, right, strict=False):
        if x is not y:
            break
        common = x
    return common
