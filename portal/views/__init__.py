"""Portal pages, one module per audience; all register their routes on ``portal.bp``.

Thin: parse the form with a schema, call a service function, commit once.
"""

from portal.views import admin, authoring, common, launch, learner, manage

__all__ = ["admin", "authoring", "common", "launch", "learner", "manage"]
