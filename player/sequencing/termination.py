"""Navigation and termination: the first half of the Overall Sequencing Process [OP.1].

SN book 4th ed. v1.1, Appendix C, written from the pseudo-code: Navigation Request
Process [NB.2.1], Termination Request Process [TB.2.3] with the Sequencing Exit Action
Rules [TB.2.1] and Sequencing Post Condition Rules [TB.2.2] subprocesses, End Attempt
Process [UP.4] and Terminate Descendent Attempts Process [UP.3].
"""

from __future__ import annotations

import random

from player.sequencing.errors import SequencingError
from player.sequencing.model import Activity, ActivityTree, common_ancestor
from player.sequencing.state import SequencingState
from player.sequencing.tracking import Tracker


class Termination:
    """Navigation request validation and termination requests on one state."""

    tree: ActivityTree
    state: SequencingState
    rng: random.Random
    t: Tracker

    def _current(self) -> Activity | None:
        cur = self.state.current
        return self.tree[cur] if cur and cur in self.tree else None

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
                    common = common_ancestor(cur, chosen)
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

    def _end_attempt(self, activity: Activity) -> None:
        """End Attempt Process [UP.4]."""
        state = self.t.act(activity)
        if activity.is_leaf:
            if state.active and state.exit_suspend:
                state.suspended = True  # the SCO exited with cmi.exit = "suspend"
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
        self.t.overall_rollup(activity)

    def _terminate_descendents(self, activity: Activity) -> None:
        """Terminate Descendent Attempts Process [UP.3].

        End the attempts still open from the current activity up to (not including) its
        common ancestor with ``activity``: the clusters being left.
        """
        cur = self._current()
        if cur is None:
            return
        common = common_ancestor(cur, activity)
        node: Activity | None = cur
        while node is not None and node is not common:
            if self.t.act(node).active:
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
            # Roll up again so requiredFor* "ifNotSuspended" sees the suspension.
            self.t.overall_rollup(cur)
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
        """End the sequencing session: end every attempt still open (UP.3, UP.4)."""
        root = self.tree.root
        if self._current() is not None:
            self._terminate_descendents(root)
            if self.t.act(root).active:
                self._end_attempt(root)
        for node in self.tree.preorder():
            self.t.act(node).active = False
        self.state.current = None
        self.state.ended = True
