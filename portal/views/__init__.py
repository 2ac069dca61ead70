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
    common,
    compliance,
    course_images,
    errors,
    evaluations,
    exports,
    launch,
    learner,
    lrs_archive,
    manage,
    notices,
    paths,
    questions,
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
    "common",
    "compliance",
    "course_images",
    "errors",
    "evaluations",
    "exports",
    "launch",
    "learner",
    "lrs_archive",
    "manage",
    "notices",
    "paths",
    "questions",
    "review",
    "saml",
    "sessions",
    "sso",
]
