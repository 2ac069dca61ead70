"""Retention rules and legal holds: the forms, and keeping them (each change audited).

A rule is the organisation's decision (gallringsbeslut: its reference, date and text)
put into figures: what kind of record, narrowed for statements by verb and activity
type, and how long after it was stored it goes. Rules are deactivated, never deleted,
so tombstones keep pointing at them. A hold names one person, course or unit, why, by
whom and until when; it is released, never deleted.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from marshmallow import ValidationError, fields, validate, validates, validates_schema
from sqlalchemy import func, select

from accounts import audit
from accounts.models import OrganisationUnit, User
from core.db import db
from core.errors import BadRequest, NotFound
from core.iri import is_iri
from lrs.voiding import VOIDED_VERB
from packages import service as packages
from portal.i18n import N_
from portal.retention_models import HOLD_KINDS, KINDS, UNITS, RetentionHold, RetentionRule
from portal.schemas import FormSchema, label


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class RuleSchema(FormSchema):
    """A retention rule as the admin's form sends it."""

    name = fields.String(
        required=True, validate=validate.Length(min=1, max=200), metadata=label(N_("Name"))
    )
    decision_ref = fields.String(
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata=label(N_("Decision (reference)")),
    )
    decision_date = fields.Date(required=True, metadata=label(N_("Date of the decision")))
    decision_text = fields.String(
        load_default="", validate=validate.Length(max=5000), metadata=label(N_("What it says"))
    )
    kind = fields.String(
        required=True, validate=validate.OneOf(KINDS), metadata=label(N_("Records"))
    )
    verb_id = fields.String(load_default=None, metadata=label(N_("Verb (IRI)")))
    activity_type = fields.String(load_default=None, metadata=label(N_("Activity type (IRI)")))
    keep_count = fields.Integer(
        required=True,
        validate=validate.Range(min=1, max=100000),
        metadata=label(N_("Kept for")),
    )
    keep_unit = fields.String(
        required=True, validate=validate.OneOf(UNITS), metadata=label(N_("Unit of time"))
    )
    active = fields.Boolean(load_default=False, metadata=label(N_("Active")))

    @validates("verb_id")
    def _verb(self, value: str | None, **_: Any) -> None:
        if value is None:
            return
        if not is_iri(value):
            raise ValidationError(N_("Not a valid IRI."))
        if value == VOIDED_VERB:
            # A voiding statement goes with the statement it voids (portal/retention.py).
            raise ValidationError(N_("Voiding statements go with what they void."))

    @validates("activity_type")
    def _type(self, value: str | None, **_: Any) -> None:
        if value is not None and not is_iri(value):
            raise ValidationError(N_("Not a valid IRI."))

    @validates_schema
    def _narrowing(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("kind") != "statements" and (data.get("verb_id") or data.get("activity_type")):
            raise ValidationError(N_("Only statements are narrowed by verb or type."), "verb_id")


class HoldSchema(FormSchema):
    """A legal hold as the admin's form sends it; the one covered is named by ``target``."""

    kind = fields.String(
        required=True, validate=validate.OneOf(HOLD_KINDS), metadata=label(N_("Covers"))
    )
    target = fields.String(
        required=True,
        validate=validate.Length(min=1, max=2048),
        metadata=label(N_("Person (e-mail), course (number), activity (IRI) or unit (code)")),
    )
    reason = fields.String(
        required=True, validate=validate.Length(min=1, max=2000), metadata=label(N_("Reason"))
    )
    until = fields.Date(load_default=None, metadata=label(N_("Until (inclusive)")))


def rules() -> list[RetentionRule]:
    """Every rule, active ones first."""
    stmt = select(RetentionRule).order_by(RetentionRule.active.desc(), RetentionRule.id)
    return list(db.session.scalars(stmt))


def get_rule(rule_id: int) -> RetentionRule:
    """A rule by id, or NotFound."""
    rule = db.session.get(RetentionRule, rule_id)
    if rule is None:
        raise NotFound(f"No retention rule {rule_id}")
    return rule


def save_rule(
    data: dict[str, Any], by: User | None, rule: RetentionRule | None = None
) -> RetentionRule:
    """Create a rule (``rule`` None) or change one; audited with what it now says."""
    if rule is None:
        rule = RetentionRule(created_by_id=by.id if by else None, created_at=_now())
        db.session.add(rule)
    else:
        rule.updated_at = _now()
    for name in (
        "name",
        "decision_ref",
        "decision_date",
        "decision_text",
        "kind",
        "verb_id",
        "activity_type",
        "keep_count",
        "keep_unit",
        "active",
    ):
        setattr(rule, name, data[name])
    db.session.flush()
    audit.record(
        "retention.rule_saved",
        "retention_rule",
        rule.id,
        rule.name,
        actor=by,
        details={
            "decision": rule.decision_ref,
            "kind": rule.kind,
            "active": rule.active,
            "kept": f"{rule.keep_count} {rule.keep_unit}",
        },
    )
    return rule


def holds(include_released: bool = False) -> list[RetentionHold]:
    """Holds, newest first."""
    stmt = select(RetentionHold).order_by(RetentionHold.id.desc())
    if not include_released:
        stmt = stmt.where(RetentionHold.released_at.is_(None))
    return list(db.session.scalars(stmt))


def _target(kind: str, target: str) -> dict[str, int | str]:
    """The column a hold's target goes in, found from what the admin typed."""
    text = target.strip()
    if kind == "person":
        user = db.session.scalar(
            select(User).where((func.lower(User.email) == text.lower()) | (User.user_name == text))
        )
        if user is None:
            raise BadRequest(
                "No such person", errors=[{"path": "target", "message": "No account for that"}]
            )
        return {"user_id": user.id}
    if kind == "course":
        if not text.isdigit():
            raise BadRequest("No such course", errors=[{"path": "target", "message": "No course"}])
        return {"course_id": packages.get_course(int(text)).id}
    if kind == "activity":
        if not is_iri(text):
            raise BadRequest("Not an IRI", errors=[{"path": "target", "message": "Not an IRI"}])
        return {"activity_id": text}
    from_code = db.session.scalar(select(OrganisationUnit.id).where(OrganisationUnit.code == text))
    if from_code is None:
        raise BadRequest("No such unit", errors=[{"path": "target", "message": "No unit"}])
    return {"unit_id": from_code}


def place_hold(data: dict[str, Any], by: User | None, by_name: str = "") -> RetentionHold:
    """Place a legal hold; audited."""
    until: date | None = data.get("until")
    if until is not None and until < date.today():
        raise BadRequest(
            "A hold cannot end before today",
            errors=[{"path": "until", "message": "before today"}],
        )
    hold = RetentionHold(
        kind=data["kind"],
        reason=data["reason"],
        until=until,
        created_by_id=by.id if by else None,
        created_by_name=((by.email or by.user_name or "") if by else by_name or "system")[:255],
        created_at=_now(),
        **_target(data["kind"], data["target"]),
    )
    db.session.add(hold)
    db.session.flush()
    audit.record(
        "retention.hold_placed",
        "retention_hold",
        hold.id,
        f"{hold.kind} {data['target'].strip()}",
        actor=by,
        details={"reason": hold.reason, "until": until.isoformat() if until else None},
    )
    return hold


def release_hold(hold_id: int, by: User | None) -> RetentionHold:
    """Release a hold (kept, with when); audited."""
    hold = db.session.get(RetentionHold, hold_id)
    if hold is None or hold.released_at is not None:
        raise NotFound(f"No hold {hold_id} in force")
    hold.released_at = _now()
    audit.record("retention.hold_released", "retention_hold", hold.id, hold.kind, actor=by)
    return hold
