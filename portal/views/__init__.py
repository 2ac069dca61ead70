"""Portal pages, one module per audience; all register their routes on ``portal.bp``.

Thin: parse the form with a schema, call a service function, commit once.  ``errors``
draws every HTML error page of the app (registered with core.errors).
"""

from portal.views import (
    accessibility,
    admin,
    approvals,
    authoring,
    certificates,
    classroom_tests,
    common,
    compliance,
    course_images,
    errors,
    evaluations,
    exports,
    forwarding,
    launch,
    learner,
    manage,
    notices,
    paths,
    questions,
    retention,
    review,
    saml,
    sessions,
    sso,
)

__all__ = [
    "accessibility",
    "admin",
    "approvals",
    "authoring",
    "certificates",
    "classroom_tests",
    "common",
    "compliance",
    "course_images",
    "errors",
    "evaluations",
    "exports",
    "forwarding",
    "launch",
    "learner",
    "manage",
    "notices",
    "paths",
    "questions",
    "retention",
    "review",
    "saml",
    "sessions",
    "sso",
]
