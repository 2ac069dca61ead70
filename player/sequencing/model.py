"""The sequencing definition model: an activity tree built from a parsed manifest.

SCORM 2004 4th Edition Sequencing and Navigation (SN) book, §3 "Sequencing Definition
Model" (IMS Simple Sequencing 1.0 §5 elements plus the ADL ``adlseq``/``adlnav``/``adlcp``
extensions): https://adlnet.gov/projects/scorm/ (SN v1.1, 2009-08-14).  An HTML mirror is
at lms.technology/for/scorm/2004/4th_edition/standards/SCORM_2004_4ED_v1_1_SN_20090814_files/.

The input is ``packages.manifest.ParsedPackage.structure``: items with their
``sequencing`` element kept as nested dicts (``element_data``) and the manifest's
``sequencing_collection`` keyed by ID.  Nothing here imports Flask.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

#: SN §3.4.2 rule conditions; §3.7 rollup conditions use the same names.
RULE_CONDITIONS = (
    "satisfied", "objectiveStatusKnown", "objectiveMeasureKnown", "objectiveMeasureGreaterThan",
    "objectiveMeasureLessThan", "completed", "activityProgressKnown", "attempted",
    "attemptLimitExceeded", "timeLimitExceeded", "outsideAvailableTimeRange", "always",
)  # fmt: skip


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


# -- building ---------------------------------------------------------------------------


def _merge(base: Mapping[str, Any], local: Mapping[str, Any]) -> dict[str, Any]:
    """Local sequencing overrides the referenced collection entry, element by element.

    CAM 4th ed. §3.4.1.x ``IDRef``: the referenced ``imsss:sequencing`` is used and any
    locally defined element takes precedence over the referenced one.
    """
    merged = dict(base)
    for key, value in local.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    merged.pop("ID", None)
    merged.pop("IDRef", None)
    return merged


def _resolve(seq: Mapping[str, Any] | None, collection: Mapping[str, Any]) -> dict[str, Any]:
    if not seq:
        return {}
    ref = seq.get("IDRef")
    base = collection.get(ref, {}) if isinstance(ref, str) else {}
    return _merge(base, seq)


def _bool(data: Mapping[str, Any], key: str, default: bool) -> bool:
    value = data.get(key, default)
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def _num(data: Mapping[str, Any], key: str, default: float) -> float:
    try:
        return float(data.get(key, default))
    except (TypeError, ValueError):
        return default


def _conditions(holder: Mapping[str, Any], name: str) -> tuple[RuleCondition, ...]:
    found = []
    for cond in holder.get(name, []) or []:
        found.append(
            RuleCondition(
                condition=str(cond.get("condition", "always")),
                negate=cond.get("operator") == "not",
                referenced_objective=cond.get("referencedObjective") or None,
                measure_threshold=_num(cond, "measureThreshold", 0.0),
            )
        )
    return tuple(found)


def _rules(seq: Mapping[str, Any], kind: str) -> tuple[SequencingRule, ...]:
    holder = seq.get("sequencingRules") or {}
    rules = []
    for rule in holder.get(kind, []) or []:
        conds = rule.get("ruleConditions") or {}
        action = (rule.get("ruleAction") or {}).get("action")
        if not action:
            continue
        rules.append(
            SequencingRule(
                action=str(action),
                conditions=_conditions(conds, "ruleCondition"),
                combination=str(conds.get("conditionCombination", "all")),
            )
        )
    return tuple(rules)


def _rollup_rules(seq: Mapping[str, Any]) -> tuple[RollupRule, ...]:
    holder = seq.get("rollupRules") or {}
    rules = []
    for rule in holder.get("rollupRule", []) or []:
        conds = rule.get("rollupConditions") or {}
        action = (rule.get("rollupAction") or {}).get("action")
        if not action:
            continue
        rules.append(
            RollupRule(
                action=str(action),
                conditions=_conditions(conds, "rollupCondition"),
                combination=str(conds.get("conditionCombination", "any")),
                child_activity_set=str(rule.get("childActivitySet", "all")),
                minimum_count=int(_num(rule, "minimumCount", 0)),
                minimum_percent=_num(rule, "minimumPercent", 0.0),
            )
        )
    return tuple(rules)


def _maps(imsss: list[Mapping[str, Any]], adl: list[Mapping[str, Any]]) -> tuple[MapInfo, ...]:
    by_target: dict[str, dict[str, bool]] = {}
    for m in imsss:
        target = m.get("targetObjectiveID")
        if not target:
            continue
        entry = by_target.setdefault(str(target), {})
        entry["read_satisfied"] = _bool(m, "readSatisfiedStatus", True)
        entry["read_measure"] = _bool(m, "readNormalizedMeasure", True)
        entry["write_satisfied"] = _bool(m, "writeSatisfiedStatus", False)
        entry["write_measure"] = _bool(m, "writeNormalizedMeasure", False)
    for m in adl:
        target = m.get("targetObjectiveID")
        if not target:
            continue
        entry = by_target.setdefault(str(target), {"read_satisfied": False, "read_measure": False})
        entry["read_completion"] = _bool(m, "readCompletionStatus", True)
        entry["write_completion"] = _bool(m, "writeCompletionStatus", False)
        entry["read_progress"] = _bool(m, "readProgressMeasure", True)
        entry["write_progress"] = _bool(m, "writeProgressMeasure", False)
    return tuple(MapInfo(target=t, **flags) for t, flags in by_target.items())


def _objectives(seq: Mapping[str, Any], ident: str) -> tuple[Objective, ...]:
    holder = seq.get("objectives") or {}
    adl = {
        str(o.get("objectiveID")): o.get("adlseq:mapInfo", []) or []
        for o in (seq.get("adlseq:objectives") or {}).get("adlseq:objective", []) or []
    }
    raw: list[tuple[bool, Mapping[str, Any]]] = []
    if isinstance(holder.get("primaryObjective"), Mapping):
        raw.append((True, holder["primaryObjective"]))
    raw.extend((False, o) for o in holder.get("objective", []) or [])
    found: list[Objective] = []
    for primary, obj in raw:
        oid = str(obj.get("objectiveID") or (f"{ident}#primary" if primary else ""))
        if not oid or any(o.id == oid for o in found):
            continue
        min_measure = obj.get("minNormalizedMeasure", 1.0)
        if isinstance(min_measure, Mapping):  # <imsss:minNormalizedMeasure>0.6</...>
            min_measure = min_measure.get("value", 1.0)
        found.append(
            Objective(
                id=oid,
                primary=primary,
                satisfied_by_measure=_bool(obj, "satisfiedByMeasure", False),
                min_normalized_measure=_num({"v": min_measure}, "v", 1.0),
                maps=_maps(obj.get("mapInfo", []) or [], adl.get(oid, [])),
            )
        )
    if not found or not found[0].primary:
        found.insert(0, Objective(id=f"{ident}#primary", primary=True))
    return tuple(found)


def _hide_lms_ui(item: Mapping[str, Any]) -> frozenset[str]:
    nav = (item.get("presentation") or {}).get("adlnav:navigationInterface") or {}
    return frozenset(str(h.get("value")) for h in nav.get("adlnav:hideLMSUI", []) or [])


def _activity(data: Mapping[str, Any], collection: Mapping[str, Any], simple: bool) -> Activity:
    ident = str(data.get("identifier") or "")
    seq = _resolve(data.get("sequencing"), collection)
    control = seq.get("controlMode") or {}
    limits = seq.get("limitConditions") or {}
    rollup = seq.get("rollupRules") or {}
    considerations = seq.get("adlseq:rollupConsiderations") or {}
    constrained = seq.get("adlseq:constrainedChoiceConsiderations") or {}
    random = seq.get("randomizationControls") or {}
    delivery = seq.get("deliveryControls") or {}
    threshold = data.get("completion_threshold") or {}
    select_count = random.get("selectCount")
    activity = Activity(
        id=ident,
        title=str(data.get("title") or ident),
        href=data.get("href"),
        parameters=data.get("parameters"),
        resource=data.get("identifierref"),
        scorm_type=data.get("scorm_type"),
        visible=bool(data.get("isvisible", True)),
        choice=_bool(control, "choice", True),
        choice_exit=_bool(control, "choiceExit", True),
        # SCORM 1.2 has no sequencing: the LMS offers next/previous in tree order.
        flow=True if simple else _bool(control, "flow", False),
        forward_only=_bool(control, "forwardOnly", False),
        prevent_activation=_bool(constrained, "preventActivation", False),
        constrain_choice=_bool(constrained, "constrainChoice", False),
        pre_rules=_rules(seq, "preConditionRule"),
        exit_rules=_rules(seq, "exitConditionRule"),
        post_rules=_rules(seq, "postConditionRule"),
        attempt_limit=int(_num(limits, "attemptLimit", 0)),
        rollup_rules=_rollup_rules(seq),
        rollup_satisfied=_bool(rollup, "rollupObjectiveSatisfied", True),
        rollup_completion=_bool(rollup, "rollupProgressCompletion", True),
        measure_weight=_num(rollup, "objectiveMeasureWeight", 1.0),
        required_for_satisfied=str(considerations.get("requiredForSatisfied", "always")),
        required_for_not_satisfied=str(considerations.get("requiredForNotSatisfied", "always")),
        required_for_completed=str(considerations.get("requiredForCompleted", "always")),
        required_for_incomplete=str(considerations.get("requiredForIncomplete", "always")),
        objectives=_objectives(seq, ident),
        selection_timing=str(random.get("selectionTiming", "never")),
        select_count=int(select_count) if select_count not in (None, "") else None,
        randomization_timing=str(random.get("randomizationTiming", "never")),
        reorder_children=_bool(random, "reorderChildren", False),
        tracked=_bool(delivery, "tracked", True),
        completion_set_by_content=_bool(delivery, "completionSetByContent", False),
        objective_set_by_content=_bool(delivery, "objectiveSetByContent", False),
        completed_by_measure=_bool(threshold, "completedByMeasure", False),
        min_progress_measure=_num(threshold, "minProgressMeasure", 1.0),
        progress_weight=_num(threshold, "progressWeight", 1.0),
        hide_lms_ui=_hide_lms_ui(data),
        prerequisites=(data.get("prerequisites") or {}).get("value") or None,
    )
    for child in data.get("items", []) or []:
        node = _activity(child, collection, simple)
        node.parent = activity
        activity.children.append(node)
    return activity


def build_tree(
    structure: Mapping[str, Any], organization: str | None = None, *, kind: str | None = None
) -> ActivityTree:
    """Build the activity tree of ``organization`` (default: the manifest's default one).

    The organization is the root activity and its items the descendants (SN §2.1,
    CAM §3.4.1.x).  Each activity's ``imsss:sequencing`` is resolved: an ``IDRef`` into
    ``imsss:sequencingCollection`` is merged with the local elements, and absent elements
    take their SN defaults.

    Args:
        structure: ``ParsedPackage.structure`` of a SCORM 1.2 or 2004 package.
        organization: an organization identifier; ``None`` for the default organization.
        kind: ``ParsedPackage.kind`` (``"scorm12"`` or ``"scorm2004"``); when ``None`` it is
            guessed: SCORM 2004 if any ``imsss:sequencing`` is present, else SCORM 1.2.

    Raises:
        KeyError: the organization does not exist or the structure has none.

    """
    orgs = structure.get("organizations") or []
    wanted = organization or structure.get("default_organization")
    org = next((o for o in orgs if o.get("identifier") == wanted), None)
    if org is None and organization is None and orgs:
        org = orgs[0]
    if org is None:
        raise KeyError(f"No organization {wanted!r} in the package")
    if kind is None:
        is_2004 = bool(structure.get("sequencing_collection")) or any(_has_seq(o) for o in orgs)
        kind = "scorm2004" if is_2004 else "scorm12"
    collection = structure.get("sequencing_collection") or {}
    root = _activity(org, collection, simple=kind == "scorm12")
    activities: dict[str, Activity] = {}

    def index(node: Activity) -> None:
        activities[node.id] = node
        for child in node.children:
            index(child)

    index(root)
    return ActivityTree(
        root=root,
        kind=kind,
        activities=activities,
        objectives_global_to_system=bool(org.get("objectives_global_to_system", True)),
    )


def _has_seq(item: Mapping[str, Any]) -> bool:
    return "sequencing" in item or any(_has_seq(i) for i in item.get("items", []) or [])
