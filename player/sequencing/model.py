"""The sequencing definition model: an activity tree built from a parsed manifest.

SCORM 2004 4th Edition Sequencing and Navigation (SN) book, §3 "Sequencing Definition
Model" (IMS Simple Sequencing 1.0 §5 elements plus the ADL ``adlseq``/``adlnav``/``adlcp``
extensions): https://adlnet.gov/projects/scorm/ (SN v1.1, 2009-08-14).  An HTML mirror is
at lms.technology/for/scorm/2004/4th_edition/standards/SCORM_2004_4ED_v1_1_SN_20090814_files/.

``build.py`` fills these dataclasses from a parsed manifest; their field defaults are
the SN defaults.  Nothing here imports Flask.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RuleCondition:
    """One ``imsss:ruleCondition`` or ``imsss:rollupCondition`` (SN §3.4.2, §3.7.2)."""

    condition: str
    negate: bool = False
    referenced_objective: str | None = None
    measure_threshold: float = 0.0


@dataclass(frozen=True)
class SequencingRule:
    """A pre-, exit- or post-condition rule (SN §3.4; IMS SS §5.2)."""

    action: str
    conditions: tuple[RuleCondition, ...]
    combination: str = "all"


@dataclass(frozen=True)
class RollupRule:
    """An ``imsss:rollupRule`` (SN §3.7.2); conditions combine with ``any`` by default."""

    action: str
    conditions: tuple[RuleCondition, ...]
    combination: str = "any"
    child_activity_set: str = "all"
    minimum_count: int = 0
    minimum_percent: float = 0.0


@dataclass(frozen=True)
class MapInfo:
    """``imsss:mapInfo`` merged with ``adlseq:mapInfo`` for one target (SN §3.10.2, 4th ed.).

    IMS SS defaults: read satisfied/measure true, writes false; ADL 4th edition
    ``adlseq:mapInfo`` reads default true and writes false as well.
    """

    target: str
    read_satisfied: bool = True
    read_measure: bool = True
    write_satisfied: bool = False
    write_measure: bool = False
    read_completion: bool = False
    write_completion: bool = False
    read_progress: bool = False
    write_progress: bool = False


@dataclass(frozen=True)
class Objective:
    """An objective of an activity (SN §3.10 Objective Description)."""

    id: str
    primary: bool = False
    satisfied_by_measure: bool = False
    min_normalized_measure: float = 1.0
    maps: tuple[MapInfo, ...] = ()


@dataclass(eq=False)
class Activity:
    """One node of the activity tree with its resolved sequencing definition.

    Defaults are those of SN §3 (Table 3.1a and the element tables): choice, choiceExit true,
    flow and forwardOnly false, tracked true, rollup of satisfaction and completion true,
    objectiveMeasureWeight 1, the required-for rollup considerations ``always``.
    """

    id: str
    title: str
    href: str | None = None
    parameters: str | None = None
    resource: str | None = None
    scorm_type: str | None = None
    visible: bool = True
    parent: Activity | None = field(default=None, repr=False)
    children: list[Activity] = field(default_factory=list, repr=False)
    # Sequencing control modes (SN §3.2).
    choice: bool = True
    choice_exit: bool = True
    flow: bool = False
    forward_only: bool = False
    # Constrained choice (SN §3.9, adlseq:constrainedChoiceConsiderations).
    prevent_activation: bool = False
    constrain_choice: bool = False
    # Rules (SN §3.4).
    pre_rules: tuple[SequencingRule, ...] = ()
    exit_rules: tuple[SequencingRule, ...] = ()
    post_rules: tuple[SequencingRule, ...] = ()
    # Limit conditions (SN §3.5): only attemptLimit is enforced.
    attempt_limit: int = 0
    # Rollup (SN §3.7, §3.8).
    rollup_rules: tuple[RollupRule, ...] = ()
    rollup_satisfied: bool = True
    rollup_completion: bool = True
    measure_weight: float = 1.0
    required_for_satisfied: str = "always"
    required_for_not_satisfied: str = "always"
    required_for_completed: str = "always"
    required_for_incomplete: str = "always"
    #: adlseq:measureSatisfactionIfActive (4th ed.): an active activity's measure counts.
    measure_satisfaction_if_active: bool = True
    # Objectives (SN §3.10); the primary one first.
    objectives: tuple[Objective, ...] = ()
    # Selection and randomization (SN §3.11).
    selection_timing: str = "never"
    select_count: int | None = None
    randomization_timing: str = "never"
    reorder_children: bool = False
    # Delivery controls (SN §3.12).
    tracked: bool = True
    completion_set_by_content: bool = False
    objective_set_by_content: bool = False
    # adlcp:completionThreshold (CAM 4th ed. §3.4.1.x): completion by progress measure.
    completed_by_measure: bool = False
    min_progress_measure: float = 1.0
    progress_weight: float = 1.0
    # adlnav:presentation hideLMSUI (SN §5.1.x navigation interface).
    hide_lms_ui: frozenset[str] = frozenset()
    #: SCORM 1.2 adlcp:prerequisites (aicc_script), only used by the 1.2 behaviour.
    prerequisites: str | None = None

    @property
    def is_leaf(self) -> bool:
        """A leaf activity has no children (only leaves are delivered in SCORM 2004)."""
        return not self.children

    @property
    def primary(self) -> Objective:
        """The primary (rolled-up) objective; every activity has one (SN §3.10)."""
        return self.objectives[0]

    def objective(self, ident: str | None) -> Objective | None:
        """Return the objective named ``ident``, or the primary one for ``None``."""
        if ident is None:
            return self.primary
        return next((o for o in self.objectives if o.id == ident), None)

    def path_from_root(self) -> list[Activity]:
        """Root first, this activity last."""
        path: list[Activity] = []
        node: Activity | None = self
        while node is not None:
            path.append(node)
            node = node.parent
        return path[::-1]

    def is_ancestor_of(self, other: Activity) -> bool:
        """Tell whether this activity is a proper ancestor of ``other``."""
        node = other.parent
        while node is not None:
            if node is self:
                return True
            node = node.parent
        return False


@dataclass
class ActivityTree:
    """The activity tree of one organization (SN §2.1)."""

    root: Activity
    kind: str
    activities: dict[str, Activity]
    objectives_global_to_system: bool = True

    def __getitem__(self, ident: str) -> Activity:
        return self.activities[ident]

    def __contains__(self, ident: object) -> bool:
        return ident in self.activities

    def preorder(self) -> Iterator[Activity]:
        """Every activity, parents before children, in manifest order."""
        return iter(self.activities.values())

    @property
    def simple(self) -> bool:
        """SCORM 1.2 (no sequencing): every SCO choosable, flow in tree order."""
        return self.kind == "scorm12"


def common_ancestor(a: Activity, b: Activity) -> Activity:
    """Return the deepest activity on both paths from the root (a if it contains b)."""
    left, right = a.path_from_root(), b.path_from_root()
    common = left[0]
    for x, y in zip(left, right, strict=False):
        if x is not y:
            break
        common = x
    return common
