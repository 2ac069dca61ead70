"""Certificates: the learner's own, and a manager's copy for someone they report on.

And the public page that checks one by its code.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Response, make_response, render_template, request, url_for
from flask_babel import get_locale

from accounts import audit, service
from accounts.auth import login_required, role_required
from core import origins
from core.db import db
from packages import service as packages
from portal import bp, certificate_pdf, certificates, reports
from portal.certificate_models import Certificate
from portal.i18n import LOCALES
from portal.views.common import this_user


@bp.get("/my/certificates/<int:course_id>")
@login_required
def my_certificate(course_id: int) -> Response:
    """The signed-in learner's certificate of a course, as a PDF."""
    certificate = certificates.issue(this_user(), packages.get_course(course_id))
    db.session.commit()
    return _pdf(certificate)


@bp.get("/reports/learners/<int:user_id>/certificates/<int:course_id>")
@role_required("manager")
def learner_certificate(user_id: int, course_id: int) -> Response:
    """A learner's certificate for a manager whose scope covers them (unit tree or line)."""
    by = "line" if request.args.get("by") == "line" else "unit"
    manager_id = request.args.get("manager_id", type=int)
    scope = reports.scope_for(this_user(), by=by, manager_id=manager_id)
    learner = service.get_user(user_id)
    reports.check_learner(scope, learner)
    certificate = certificates.issue(learner, packages.get_course(course_id))
    audit.record(
        "certificate.downloaded",
        "user",
        learner.id,
        learner.email,
        details={"course_id": course_id, "certificate": certificate.code},
    )
    db.session.commit()
    return _pdf(certificate)


@bp.get("/certificates/<code>")
def verify_certificate(code: str) -> Response:
    """Anyone with the code (from the QR code) sees whether the certificate is genuine.

    No sign-in: the code is the secret. The page is not cached and sends no referrer, so
    the code does not travel on to other sites.
    """
    today = datetime.now(UTC).date()
    found = certificates.verify(code, today)
    page = make_response(render_template("certificate_verify.html", found=found, today=today))
    page.headers["Cache-Control"] = "no-store"
    page.headers["Referrer-Policy"] = "no-referrer"
    return page


def _pdf(certificate: Certificate) -> Response:
    """The PDF in the language asked for (``?lang=sv|en``), else the reader's."""
    asked = request.args.get("lang")
    locale = asked if asked in LOCALES else str(get_locale() or "sv")
    # The portal's own address (PORTAL_URL when set), never one a proxy's Host made up.
    verify_url = origins.portal_origin() + url_for(
        "portal.verify_certificate", code=certificate.code
    )
    body = certificate_pdf.render(certificate, verify_url, locale)
    name = f"certificate-{certificate.course_id}-{certificate.completed_on.isoformat()}.pdf"
    return Response(
        body,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "private, no-store",
        },
    )
