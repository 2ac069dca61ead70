"""Sequencing and delivery: the second half of the Overall Sequencing Process [OP.1].

SN book 4th ed. v1.1, Appendix C, written from the pseudo-code: Sequencing Request
Process [SB.2.12] for Start [SB.2.5], Resume All [SB.2.6], Continue [SB.2.7], Previous
[SB.2.8], Choice [SB.2.9] with Choice Activity Traversal [SB.2.4], Retry [SB.2.10], Exit
[SB.2.11] and Jump [SB.2.13]; the Flow Subprocess [SB.2.3] with Flow Tree Traversal
[SB.2.1] and Flow Activity Traversal [SB.2.2]; Delivery Request Process [DB.1.1],
Content Delivery Environment Process [DB.2] and Clear Suspended Activity [DB.2.1];
Select Children [SR.1] and Randomize Children [SR.2] (SN §3.11).
"""

from __future__ import annotations

from player.sequencing.errors import EndSession, SequencingError
from player.sequencing.model import Activity, common_ancestor
from player.sequencing.termination import Termination


class Flow(Termination):
    """Sequencing requests, flow traversal and delivery."""

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
            except EndSession:
                raise SequencingError("SB.2.5-3") from None
        if request == "resumeAll":
            if cur is not None:
                raise SequencingError("SB.2.6-1")
            if not self.state.suspended or self.state.suspended not in self.tree:
                raise SequencingError("SB.2.6-2")
            suspended = self.tree[self.state.suspended]
            if suspended.is_leaf:
                return suspended
            # Suspend All from a cluster (after its leaf ended): resume by flowing into it.
            try:
                return self._flow(suspended, "forward", consider_children=True)
            except EndSession:
                raise SequencingError("SB.2.6-2") from None
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
            except EndSession:
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
            state.suspended = False
            stack.extend(node.children)

    def _flow(self, activity: Activity, direction: str, consider_children: bool) -> Activity:
        """Flow Subprocess [SB.2.3]; raises EndSession when flow walks off the tree."""
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
                    raise EndSession
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
        common = common_ancestor(cur, target) if cur is not None else self.tree.root
        if cur is not None and cur is not target:
            # Leaving the current branch: choiceExit on every active activity exited.
            exiting: Activity | None = cur
            while exiting is not None and exiting is not common:
                state = self.t.act(exiting)
                if exiting is not cur and state.active and not exiting.choice_exit:
                    raise SequencingError("SB.2.9-7")
                exiting = exiting.parent
            if target is not common:
                forward = self._position(target) > self._position(cur)
                self._constrained_choice(cur, target, common, forward)
                siblings = self.t.available(cur.parent) if cur.parent is not None else []
                if cur.parent is target.parent and cur in siblings and target in siblings:
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
            for node in path[1:]:
                if not self.t.act(node).active and node.prevent_activation:
                    raise SequencingError("SB.2.9-6")
        if target.is_leaf:
            return target
        try:
            return self._flow(target, "forward", consider_children=True)
        except (EndSession, SequencingError):
            raise SequencingError("SB.2.9-9") from None

    def _position(self, activity: Activity) -> tuple[int, ...]:
        """Where an activity comes in flow order (available children, after randomization)."""
        position = []
        for node in activity.path_from_root()[1:]:
            assert node.parent is not None  # noqa: S101
            siblings = self.t.available(node.parent)
            position.append(siblings.index(node) if node in siblings else len(siblings))
        return tuple(position)

    def _constrained_choice(
        self, cur: Activity, target: Activity, common: Activity, forward: bool
    ) -> None:
        """Constrained choice (SN §3.9, ``adlseq:constrainChoice``; SB.2.9 4th ed.).

        Leaving a cluster that constrains choice is allowed only to the activity logically
        next (or previous) to it in flow, or to one of that activity's descendants.
        """
        node: Activity | None = cur
        while node is not None and node is not common:
            if node.constrain_choice:
                neighbour = self._choice_flow(node, "forward" if forward else "backward")
                if target is not neighbour and not neighbour.is_ancestor_of(target):
                    raise SequencingError("SB.2.9-8")
                return
            node = node.parent

    def _choice_flow(self, activity: Activity, direction: str) -> Activity:
        """Choice Flow Subprocess [SB.2.9.1] / Choice Flow Tree Traversal [SB.2.9.2]."""
        node = activity
        while node.parent is not None:
            siblings = self.t.available(node.parent)
            if node in siblings:
                j = siblings.index(node) + (1 if direction == "forward" else -1)
                if 0 <= j < len(siblings):
                    return siblings[j]
            node = node.parent
        return activity

    def _choice_traversal(self, activity: Activity, direction: str) -> None:
        """Choice Activity Traversal Subprocess [SB.2.4]."""
        if direction == "forward":
            if self.t.rule_action(activity, "pre", ["stopForwardTraversal"]):
                raise SequencingError("SB.2.4-1")
            return
        if activity.parent is not None and activity.parent.forward_only:
            raise SequencingError("SB.2.4-2")

    def _delivery_request(self, activity: Activity) -> None:
        """Delivery Request Process [DB.1.1]: refuse an activity that cannot be delivered."""
        if not activity.is_leaf:
            raise SequencingError("DB.1.1-1")
        for node in activity.path_from_root():
            if self.t.check_activity(node):
                raise SequencingError("DB.1.1-3")

    def _deliver(self, activity: Activity) -> bool:
        """Delivery Request [DB.1.1] and Content Delivery Environment [DB.2] processes.

        Returns True when the delivered activity resumes a suspended attempt.
        """
        self._delivery_request(activity)
        path = activity.path_from_root()
        cur = self._current()
        if cur is not None and self.t.act(cur).active and cur is not activity:
            raise SequencingError("DB.2-1")
        suspended = self.state.suspended
        if suspended and suspended != activity.id and suspended in self.tree:
            self._clear_suspended(self.tree[suspended], activity)
        # DB.2 step 3: end the attempts on the clusters that delivery leaves.
        self._terminate_descendents(activity)
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
            state.exit_suspend = False
        self.state.current = activity.id
        self.state.suspended = None
        self.state.ended = False
        self.t.overall_rollup(activity)
        return resume

    def _begin_attempt(self, activity: Activity) -> None:
        """Begin a new attempt: count it, clear the attempt's tracking data (SN §4.2, DB.2)."""
        state = self.t.act(activity)
        state.attempts += 1
        state.completion = None
        state.progress = None
        state.objectives = {}
        if activity.children and state.attempts > 1:
            # useCurrentAttemptObjectiveInfo / ProgressInfo (SN §3.8, default true): what
            # the children did in an earlier attempt of this cluster no longer rolls up.
            self._reset_subtree(activity)
        if activity.children:
            every = "onEachNewAttempt" in (
                activity.selection_timing,
                activity.randomization_timing,
            )
            if every and state.ordered_at != state.attempts:
                self._reorder(activity, state.attempts)

    def _clear_suspended(self, suspended: Activity, target: Activity) -> None:
        """Clear Suspended Activity Subprocess [DB.2.1]."""
        common = common_ancestor(suspended, target)
        node: Activity | None = suspended
        # The common ancestor (on the target's path too) stays suspended and so resumes.
        while node is not None and node is not common:
            state = self.t.act(node)
            if node.is_leaf or not any(self.t.act(c).suspended for c in node.children):
                state.suspended = False
            node = node.parent
