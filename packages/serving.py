"""How a package file is answered: its type, caching, and what it may do in a browser.

Package files are untrusted. Loaded as the course (the SCO's or AU's frame, its images
and scripts) they run on the content origin (core/origins.py). Opened any other way, as a
page of their own (a link in an e-mail, a typed address), they get
``Content-Security-Policy: sandbox``: the browser gives them an opaque origin, so even
where content shares the portal's origin (no CONTENT_ORIGIN, no CONTENT_PORT) a script
in an uploaded SVG or HTML page can neither read a portal page nor send the portal's
cookies with its requests. The browser says how a file is loaded in ``Sec-Fetch-Dest``
and ``Sec-Fetch-Site`` (Fetch Metadata, https://www.w3.org/TR/fetch-metadata/).
Pure: no Flask.
"""

from __future__ import annotations

import mimetypes
import os

# Types browsers need right for content to work, whatever the host's mime.types says.
_TYPES = {
    ".html": "text/html", ".htm": "text/html", ".js": "text/javascript",
    ".mjs": "text/javascript", ".css": "text/css", ".json": "application/json",
    ".xml": "application/xml", ".xsd": "application/xml", ".svg": "image/svg+xml",
    ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
    ".webp": "image/webp", ".ico": "image/x-icon", ".mp4": "video/mp4", ".m4v": "video/mp4",
    ".webm": "video/webm", ".ogv": "video/ogg", ".mp3": "audio/mpeg", ".m4a": "audio/mp4",
    ".ogg": "audio/ogg", ".wav": "audio/wav", ".vtt": "text/vtt", ".woff": "font/woff",
    ".woff2": "font/woff2", ".ttf": "font/ttf", ".otf": "font/otf", ".pdf": "application/pdf",
    ".txt": "text/plain", ".swf": "application/x-shockwave-flash", ".wasm": "application/wasm",
}  # fmt: skip
IMMUTABLE = "public, max-age=31536000, immutable"

# Loaded into a frame of the course (the runtime frame's content frame, or a frame the
# content makes itself): the course as it is meant to run.
_FRAMED = frozenset({"iframe", "frame", "object", "embed"})
# A page of its own: sandboxed, unless the content origin itself opened it.
_DOCUMENT = frozenset({"document", ""})
# What a sandboxed page may still do: show itself and run its scripts, in an opaque
# origin (no allow-same-origin), so cookies, storage and same-origin pages are out of
# reach.
SANDBOX = "sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads"


def content_type(path: str) -> str:
    """The Content-Type of a package file (no charset: old content declares its own)."""
    ext = os.path.splitext(path)[1].lower()
    return _TYPES.get(ext) or mimetypes.guess_type(path)[0] or "application/octet-stream"


def needs_sandbox(dest: str | None, site: str | None, isolated: bool) -> bool:
    """Whether a package file is being opened as a page of its own (then: sandbox).

    ``dest``/``site`` are the request's ``Sec-Fetch-Dest``/``Sec-Fetch-Site`` (None when
    the browser sent none: older browsers, and plain-HTTP hosts other than localhost,
    which are not a secure context).

    - in a frame, or as an image, script, style, font, media or fetch: no sandbox;
    - a page opened by the content origin itself (``same-origin``: a cmi5 AU in a window
      of its own, a course's pop-up) when content has an origin of its own: no sandbox;
    - any other page (``none``: typed or from a bookmark or an e-mail; ``same-site``,
      ``cross-site``: a link on another page): sandbox;
    - no metadata: sandbox where content shares the portal's origin (there a frame cannot
      be told from a page, and safety wins); none where content is on its own origin,
      which already keeps it from the portal.
    """
    if dest is None:
        return not isolated
    dest = dest.lower()
    if dest in _FRAMED:
        return False
    if dest not in _DOCUMENT:
        return False
    return not (isolated and (site or "").lower() == "same-origin")


def content_policy(dest: str | None, site: str | None, isolated: bool, ancestors: str) -> str:
    """The Content-Security-Policy of a package file.

    ``ancestors``: who may frame it (the content origin and the player page's origin),
    so no other site can frame a course (CSP Level 2, frame-ancestors).
    """
    policy = f"frame-ancestors {ancestors}"
    if needs_sandbox(dest, site, isolated):
        policy = f"{SANDBOX}; {policy}"
    return policy
