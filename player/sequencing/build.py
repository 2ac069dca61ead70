"""Build the activity tree from a parsed manifest (SN §3 definitions, CAM §3.4).

The input is ``packages.manifest.common.ParsedPackage.structure``: items with their
``imsss:sequencing`` kept as nested dicts (``element_data``) and the manifest's
``sequencing_collection`` keyed by ID.  Absent elements take the SN defaults that the
dataclasses in ``model.py`` carry.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from player.sequencing.model import (
    Activity,
    ActivityTree,
    MapInfo,
    Objective,
    RollupRule,
    RuleCondition,
    SequencingRule,
)


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
        measure_satisfaction_if_active=_bool(considerations, "measureSatisfactionIfActive", True),
        objectives=_objectives(seq, ident),
        selection_timing=str(random.get("selectionTiming", "never")),
        select_count=None if select_count in (None, "") else int(_num(random, "selectCount", 0)),
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
