"""Reading and writing tracking data, sequencing rule checks and rollup.

- Objective reads and writes through ``mapInfo`` to global objectives (SN §4.2.1.x,
  §3.10.2; 4th ed. ``adlseq:mapInfo`` for completion status and progress measure).
- Sequencing Rules Check Process [UP.2] and Sequencing Rule Check Subprocess [UP.2.1],
  with the 4th edition's three-valued (true / false / unknown) condition evaluation.
- Limit Conditions Check Process [UP.1] (attemptLimit only) and Check Activity [UP.5].
- Overall Rollup Process [RB.1.5]: Measure Rollup [RB.1.1 a], Completion Measure Rollup
  [RB.1.1 b], Objective Rollup Using Measure / Rules [RB.1.2 a/b], Activity Progress
  Rollup Using Measure / Rules [RB.1.3 a/b], Rollup Rule Check [RB.1.4], Evaluate Rollup
  Conditions [RB.1.4.1] and Check Child for Rollup [RB.1.4.2], with the default rules of
  SN §4.6.x when a cluster defines none for a pair of actions.

Pseudo-code: SN book Appendix C (4th ed. v1.1), written here from the book, not ported.
"""

from __future__ import annotations

from collections.abc import Iterable

from player.sequencing.model import Activity, ActivityTree, Objective, RollupRule, RuleCondition
from player.sequencing.state import ActivityState, ObjectiveState, SequencingState

Tri = bool | None

# SN §4.6.x default rollup rules (RB.1.2 b / RB.1.3 b), applied per pair when a cluster
# defines neither action of the pair: "all objective status known → not satisfied", then
# "all satisfied → satisfied"; "all activity progress known → incomplete", then "all
# completed → completed".  The positive rule is checked second and wins.
_DEFAULT_RULES = {
    "notSatisfied": RollupRule("notSatisfied", (RuleCondition("objectiveStatusKnown"),)),
    "satisfied": RollupRule("satisfied", (RuleCondition("satisfied"),)),
    "incomplete": RollupRule("incomplete", (RuleCondition("activityProgressKnown"),)),
    "completed": RollupRule("completed", (RuleCondition("completed"),)),
}


def combine(values: Iterable[Tri], combination: str) -> Tri:
    """Three-valued ``all``/``any`` (SN 4th ed. UP.2.1 and RB.1.4.1)."""
    items = list(values)
    if combination == "any":
        if any(v is True for v in items):
            return True
        return False if all(v is False for v in items) else None
    if any(v is False for v in items):
        return False
    return True if all(v is True for v in items) else None


class Tracker:
    """Tracking data of one state seen through one tree."""

    def __init__(self, tree: ActivityTree, state: SequencingState) -> None:
        self.tree = tree
        self.state = state
        #: A global objective changed since the last full rollup.
        self.globals_changed = False

    def act(self, activity: Activity) -> ActivityState:
        """Return the activity's state record."""
        return self.state.activity(activity.id)

    # -- objectives with mapInfo reads (SN §4.2.1.x) ---------------------------------------

    def _read(self, objective: Objective, flag: str, attr: str) -> object:
        for m in objective.maps:
            if getattr(m, flag):
                glob = self.state.globals.get(m.target)
                if glob is not None and getattr(glob, attr) is not None:
                    return getattr(glob, attr)
        return None

    def satisfied(self, activity: Activity, objective: Objective | None = None) -> Tri:
        """Objective Satisfied Status, or None when its Progress Status is false."""
        objective = objective or activity.primary
        read = self._read(objective, "read_satisfied", "satisfied")
        if read is not None:
            return bool(read)
        return self.act(activity).objective(objective.id).satisfied

    def measure(self, activity: Activity, objective: Objective | None = None) -> float | None:
        """Objective Normalized Measure, or None when its Measure Status is false."""
        objective = objective or activity.primary
        read = self._read(objective, "read_measure", "measure")
        if read is not None:
            return float(read)  # type: ignore[arg-type]
        return self.act(activity).objective(objective.id).measure

    def completion(self, activity: Activity, objective: Objective | None = None) -> Tri:
        """Attempt Completion Status (primary) or objective completion status (4th ed.)."""
        objective = objective or activity.primary
        read = self._read(objective, "read_completion", "completion")
        if read is not None:
            return bool(read)
        if objective.primary:
            return self.act(activity).completion
        return self.act(activity).objective(objective.id).completion

    def progress(self, activity: Activity, objective: Objective | None = None) -> float | None:
        """Attempt Completion Amount (primary) or objective progress measure."""
        objective = objective or activity.primary
        read = self._read(objective, "read_progress", "progress")
        if read is not None:
            return float(read)  # type: ignore[arg-type]
        if objective.primary:
            return self.act(activity).progress
        return self.act(activity).objective(objective.id).progress

    def _write(self, objective: Objective, local: ObjectiveState) -> None:
        """Write known local values to the globals the objective's maps write to."""
        for m in objective.maps:
            for flag, attr in (
                (m.write_satisfied, "satisfied"),
                (m.write_measure, "measure"),
                (m.write_completion, "completion"),
                (m.write_progress, "progress"),
            ):
                value = getattr(local, attr)
                if flag and value is not None:
                    glob = self.state.global_objective(m.target)
                    if getattr(glob, attr) != value:
                        setattr(glob, attr, value)
                        self.globals_changed = True

    def set_objective(
        self, activity: Activity, objective: Objective, **changes: bool | float | None
    ) -> None:
        """Set local objective data and write it to the mapped global objectives.

        Keywords ``satisfied``, ``measure``, ``completion`` and ``progress``; ``None`` means
        unknown (the Progress / Measure Status false).  For the primary objective
        ``completion`` and ``progress`` are the activity's Attempt Completion Status and
        Attempt Completion Amount (SN §4.2).
        """
        wrong = set(changes) - {"satisfied", "measure", "completion", "progress"}
        if wrong:
            raise TypeError(f"Unknown objective data {sorted(wrong)}")
        local = self.act(activity).objective(objective.id)
        for name, value in changes.items():
            setattr(local, name, value)
        if objective.primary:
            state = self.act(activity)
            for name in ("completion", "progress"):
                if name in changes:
                    setattr(state, name, changes[name])
            local.completion, local.progress = state.completion, state.progress
        self._write(objective, local)

    # -- rule conditions (UP.2.1) ------------------------------------------------------

    def attempt_limit_exceeded(self, activity: Activity) -> bool:
        """Limit Conditions Check Process [UP.1] for attemptLimit."""
        state = self.act(activity)
        if not activity.tracked or state.active or state.suspended:
            return False
        return 0 < activity.attempt_limit <= state.attempts

    def condition(self, activity: Activity, cond: RuleCondition) -> Tri:
        """One rule condition, before its ``not`` operator (SN §3.4.2 table)."""
        objective = activity.objective(cond.referenced_objective)
        if objective is None:  # an unknown referencedObjective: nothing is known about it
            objective = Objective(id=f"{activity.id}#missing:{cond.referenced_objective}")
        name = cond.condition
        if name == "always":
            return True
        if name == "satisfied":
            return self.satisfied(activity, objective)
        if name == "objectiveStatusKnown":
            return self.satisfied(activity, objective) is not None
        if name == "objectiveMeasureKnown":
            return self.measure(activity, objective) is not None
        if name in ("objectiveMeasureGreaterThan", "objectiveMeasureLessThan"):
            value = self.measure(activity, objective)
            if value is None:
                return None
            if name == "objectiveMeasureGreaterThan":
                return value > cond.measure_threshold
            return value < cond.measure_threshold
        if name == "completed":
            return self.completion(activity, objective)
        if name == "activityProgressKnown":
            return self.completion(activity, objective) is not None
        if name == "attempted":
            return self.act(activity).attempts > 0
        if name == "attemptLimitExceeded":
            return self.attempt_limit_exceeded(activity)
        # timeLimitExceeded and outsideAvailableTimeRange: no time limits are tracked.
        return False

    def evaluate(self, activity: Activity, conds: Iterable[RuleCondition], how: str) -> Tri:
        """Apply ``not`` to each condition and combine them (UP.2.1 / RB.1.4.1)."""
        values: list[Tri] = []
        for cond in conds:
            value = self.condition(activity, cond)
            values.append((not value if value is not None else None) if cond.negate else value)
        return combine(values, how)

    def rule_action(self, activity: Activity, kind: str, actions: Iterable[str]) -> str | None:
        """Sequencing Rules Check Process [UP.2]: the first rule that fires, by action."""
        wanted = set(actions)
        rules = {"pre": activity.pre_rules, "exit": activity.exit_rules}.get(
            kind, activity.post_rules
        )
        for rule in rules:
            if rule.action in wanted and self.evaluate(activity, rule.conditions, rule.combination):
                return rule.action
        return None

    def check_activity(self, activity: Activity) -> bool:
        """Check Activity Process [UP.5]: True when the activity may NOT be delivered."""
        if self.rule_action(activity, "pre", ["disabled"]):
            return True
        return self.attempt_limit_exceeded(activity)

    # -- rollup (RB.1.x) ---------------------------------------------------------------

    def available(self, activity: Activity) -> list[Activity]:
        """Available Children (SN §4.2.x) after selection and randomization."""
        order = self.act(activity).children
        if order is None:
            return list(activity.children)
        by_id = {c.id: c for c in activity.children}
        return [by_id[i] for i in order if i in by_id]

    def overall_rollup(self, activity: Activity) -> None:
        """Overall Rollup Process [RB.1.5] from ``activity`` up to the root.

        When that wrote a global objective, every activity is rolled up once more, children
        first, so that clusters elsewhere that read the global (mapInfo) are current too.
        """
        for node in reversed(activity.path_from_root()):
            self.rollup_one(node)
        if self.globals_changed:
            self.rollup_all()

    def rollup_all(self) -> None:
        """Roll up every activity, children first."""
        self.globals_changed = False
        for node in reversed(list(self.tree.preorder())):
            self.rollup_one(node)
        self.globals_changed = False

    def rollup_one(self, activity: Activity) -> None:
        """Apply the RB.1.5 steps to one activity."""
        if not activity.tracked:
            return
        primary = activity.primary
        if not activity.is_leaf:
            self._measure_rollup(activity)
            self._completion_measure_rollup(activity)
        if primary.satisfied_by_measure:
            # Objective Rollup Using Measure [RB.1.2 a].
            value = self.measure(activity)
            active = self.act(activity).active
            if value is None or (active and not activity.measure_satisfaction_if_active):
                self.set_objective(activity, primary, satisfied=None)
            else:
                ok = value >= primary.min_normalized_measure
                self.set_objective(activity, primary, satisfied=ok)
        elif not activity.is_leaf:
            self._rules_rollup(activity, "notSatisfied", "satisfied")
        if activity.completed_by_measure:
            # Activity Progress Rollup Using Measure [RB.1.3 a].
            amount = self.progress(activity)
            if amount is None:
                self.set_objective(activity, primary, completion=None)
            else:
                done = amount >= activity.min_progress_measure
                self.set_objective(activity, primary, completion=done)
        elif not activity.is_leaf:
            self._rules_rollup(activity, "incomplete", "completed")

    def _measure_rollup(self, activity: Activity) -> None:
        """Measure Rollup Process [RB.1.1 a]: weighted average of the children's measures."""
        total = counted = 0.0
        valid = False
        for child in self.available(activity):
            if not child.tracked:
                continue
            counted += child.measure_weight
            value = self.measure(child)
            if value is not None:
                total += value * child.measure_weight
                valid = True
        value_out = total / counted if valid and counted > 0 else None
        self.set_objective(activity, activity.primary, measure=value_out)

    def _completion_measure_rollup(self, activity: Activity) -> None:
        """Completion Measure Rollup Process [RB.1.1 b], weighted by progressWeight."""
        total = counted = 0.0
        valid = False
        for child in self.available(activity):
            if not child.tracked:
                continue
            counted += child.progress_weight
            value = self.progress(child)
            if value is not None:
                total += value * child.progress_weight
                valid = True
        amount = total / counted if valid and counted > 0 else None
        self.set_objective(activity, activity.primary, progress=amount)

    def _rules_rollup(self, activity: Activity, negative: str, positive: str) -> None:
        """RB.1.2 b / RB.1.3 b: the negative action first, then the positive one overrides."""
        rules = activity.rollup_rules
        if not any(r.action in (negative, positive) for r in rules):
            rules = (_DEFAULT_RULES[negative], _DEFAULT_RULES[positive])
        for action, value in ((negative, False), (positive, True)):
            if self._rule_check(activity, [r for r in rules if r.action == action]):
                if positive == "satisfied":
                    self.set_objective(activity, activity.primary, satisfied=value)
                else:
                    self.set_objective(activity, activity.primary, completion=value)

    def _rule_check(self, activity: Activity, rules: list[RollupRule]) -> bool:
        """Rollup Rule Check Subprocess [RB.1.4]."""
        for rule in rules:
            bag: list[Tri] = []
            for child in self.available(activity):
                if child.tracked and self._contributes(child, rule.action):
                    bag.append(self.evaluate(child, rule.conditions, rule.combination))
            if not bag and self.act(activity).attempts == 0:
                continue
            # An empty bag in an attempted cluster (every child skipped or not required,
            # as in the remediation idiom "skip what is satisfied") makes "all" and "none"
            # vacuously true: the 4th ed. book leaves the case open.
            trues = sum(1 for v in bag if v is True)
            # atLeast* need something known: a bag of unknowns never fires them.
            known = any(v is not None for v in bag)
            fired = {
                "all": trues == len(bag),
                "any": trues > 0,
                "none": all(v is False for v in bag),
                "atLeastCount": known and trues >= rule.minimum_count,
                "atLeastPercent": known and trues / len(bag) >= rule.minimum_percent,
            }.get(rule.child_activity_set, False)
            if fired:
                return True
        return False

    def _contributes(self, child: Activity, action: str) -> bool:
        """Check Child for Rollup Subprocess [RB.1.4.2]."""
        if action in ("satisfied", "notSatisfied"):
            if not child.rollup_satisfied:
                return False
            required = (
                child.required_for_satisfied
                if action == "satisfied"
                else child.required_for_not_satisfied
            )
        else:
            if not child.rollup_completion:
                return False
            required = (
                child.required_for_completed
                if action == "completed"
                else child.required_for_incomplete
            )
        state = self.act(child)
        if required == "ifNotSuspended":
            return not (state.attempts > 0 and state.suspended)
        if required == "ifAttempted":
            return state.attempts > 0
        if required == "ifNotSkipped":
            return self.rule_action(child, "pre", ["skip"]) is None
        return True
