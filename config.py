"""All settings, read from the environment with safe defaults.

This is the only module that reads ``os.environ``.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import ClassVar

BASE_DIR = Path(__file__).resolve().parent


def as_bool(value: str | None, default: bool = False) -> bool:
    """Read a boolean environment value ("1", "true", "yes", "on")."""
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def as_int(value: str | None, default: int) -> int:
    """Read an integer environment value, falling back to ``default``."""
    if value is None or value.strip() == "":
        return default
    return int(value)


def as_date(value: str | None, default: date) -> date:
    """Read a date (YYYY-MM-DD) environment value, falling back to ``default``."""
    if value is None or value.strip() == "":
        return default
    return date.fromisoformat(value.strip())


class Config:
    """Settings for a running service."""

    INSTANCE_PATH: str = os.environ.get("INSTANCE_PATH", str(BASE_DIR / "instance"))
    # None means: generate once and keep it in INSTANCE_PATH/secret_key (see core.create_app).
    SECRET_KEY: str | None = os.environ.get("SECRET_KEY") or None
    SQLALCHEMY_DATABASE_URI: str = os.environ.get(
        "DATABASE_URL", "sqlite:///" + str(Path(INSTANCE_PATH) / "kompetens.db")
    )
    # No pool_pre_ping: it costs every request a round trip; core/db.py pings only a
    # connection that has been idle a while.
    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict[str, object]] = {}
    STORAGE_PATH: str = os.environ.get("STORAGE_PATH", str(Path(INSTANCE_PATH) / "storage"))
    # Where package files live (packages/service.py get_storage): "local" (STORAGE_PATH) or
    # "s3", a bucket every node shares (packages/s3_storage.py). With s3, STORAGE_PATH/tmp
    # still takes uploads while they are read. Empty S3 keys: boto3's own chain (the
    # environment's AWS_* variables, an instance role).
    STORAGE: str = os.environ.get("STORAGE", "local")
    S3_ENDPOINT_URL: str = os.environ.get("S3_ENDPOINT_URL", "")
    S3_BUCKET: str = os.environ.get("S3_BUCKET", "")
    S3_REGION: str = os.environ.get("S3_REGION", "")
    S3_ACCESS_KEY_ID: str = os.environ.get("S3_ACCESS_KEY_ID", "")
    S3_SECRET_ACCESS_KEY: str = os.environ.get("S3_SECRET_ACCESS_KEY", "")
    S3_PREFIX: str = os.environ.get("S3_PREFIX", "")
    # How many app nodes serve this database (core/nodes.py). Above 1, start-up refuses
    # settings that only work on one node: a SECRET_KEY not given in the environment (each
    # node would generate its own), SQLite, storage on one node's disk.
    NODES: int = as_int(os.environ.get("NODES"), 1)
    # On: STORAGE=local's STORAGE_PATH is a file system every node mounts (NFS, CephFS),
    # so it counts as shared storage for several nodes.
    STORAGE_PATH_SHARED: bool = as_bool(os.environ.get("STORAGE_PATH_SHARED"))
    # On: DATABASE_URL goes through a pooler in transaction mode (pgbouncer
    # pool_mode=transaction), where consecutive transactions may run on different
    # server connections: no prepared statements (psycopg's prepare_threshold=None).
    DATABASE_TRANSACTION_POOLING: bool = as_bool(os.environ.get("DATABASE_TRANSACTION_POOLING"))
    # Largest request body accepted (statements with attachments, documents, uploads).
    MAX_CONTENT_LENGTH: int = as_int(os.environ.get("MAX_CONTENT_LENGTH"), 512 * 1024 * 1024)
    # Request bodies up to 1 MiB are read whole before the app runs, larger ones as the
    # view reads them (core/bodies.py); a client that sends less than 16 KiB in this many
    # seconds meanwhile is dropped with 408.
    REQUEST_BODY_IDLE_TIMEOUT: int = as_int(os.environ.get("REQUEST_BODY_IDLE_TIMEOUT"), 30)
    # Course package uploads (packages/extract.py): zip-bomb limits, checked before anything
    # is stored.  Total uncompressed size, number of files, and the largest compression
    # ratio of one entry (entries under PACKAGE_ZIP_RATIO_MIN_SIZE bytes are not ratio-checked).
    PACKAGE_ZIP_MAX_TOTAL_SIZE: int = as_int(
        os.environ.get("PACKAGE_ZIP_MAX_TOTAL_SIZE"), 2 * 1024 * 1024 * 1024
    )
    PACKAGE_ZIP_MAX_FILES: int = as_int(os.environ.get("PACKAGE_ZIP_MAX_FILES"), 20_000)
    PACKAGE_ZIP_MAX_RATIO: int = as_int(os.environ.get("PACKAGE_ZIP_MAX_RATIO"), 200)
    PACKAGE_ZIP_RATIO_MIN_SIZE: int = as_int(
        os.environ.get("PACKAGE_ZIP_RATIO_MIN_SIZE"), 1024 * 1024
    )
    # Uploads larger than this are imported by a background job (packages/imports.py):
    # the request only receives and keeps the zip, the page and the API show progress.
    PACKAGE_IMPORT_BACKGROUND_BYTES: int = as_int(
        os.environ.get("PACKAGE_IMPORT_BACKGROUND_BYTES"), 32 * 1024 * 1024
    )
    # Accept a zip whose only content is the package zip (as some tools export).
    PACKAGE_ZIP_ALLOW_NESTED: bool = as_bool(os.environ.get("PACKAGE_ZIP_ALLOW_NESTED"), True)
    # Origin that serves uploaded content and the player's runtime frame (core/origins.py);
    # the player page stays on the portal's origin. Needs PORTAL_URL.
    CONTENT_ORIGIN: str = os.environ.get("CONTENT_ORIGIN", "")
    # Without CONTENT_ORIGIN: a second port of this server that is the content origin
    # (``make run`` listens on PORT and CONTENT_PORT). 0 and no CONTENT_ORIGIN: one origin
    # for everything, content not isolated (tests, development only).
    CONTENT_PORT: int = as_int(os.environ.get("CONTENT_PORT"), 0)
    # The portal's port when CONTENT_PORT is used (where the content port sends portal pages).
    PORT: int = as_int(os.environ.get("PORT"), 5000)
    # gunicorn.conf.py: the address both ports are bound to, and how many worker processes.
    HOST: str = os.environ.get("HOST", "0.0.0.0")  # noqa: S104  (a server: all interfaces)
    WORKERS: int = as_int(os.environ.get("WORKERS"), 2)
    # Browser clients of the LRS: "*" or a space separated list of origins.
    XAPI_CORS_ORIGINS: str = os.environ.get("XAPI_CORS_ORIGINS", "*")
    # Largest form body of the 1.0.3 alternate request syntax (POST ...?method=PUT), which
    # is read before any view runs and carries no attachments; never above MAX_CONTENT_LENGTH.
    XAPI_ALTERNATE_MAX_LENGTH: int = as_int(
        os.environ.get("XAPI_ALTERNATE_MAX_LENGTH"), 16 * 1024 * 1024
    )
    # Largest number of statements one GET returns (clients may ask for fewer).
    XAPI_MAX_LIMIT: int = as_int(os.environ.get("XAPI_MAX_LIMIT"), 500)
    SESSION_COOKIE_HTTPONLY: bool = True
    SESSION_COOKIE_SAMESITE: str = "Lax"
    # The cookie is Secure whenever the request came over HTTPS (core/proxy.py); True
    # makes it Secure always.
    SESSION_COOKIE_SECURE: bool = as_bool(os.environ.get("SESSION_COOKIE_SECURE"))
    # A portal sign-in ends after this many seconds without a request, and this many
    # after it began however much it is used (accounts/login_sessions.py).
    SESSION_IDLE_SECONDS: int = as_int(os.environ.get("SESSION_IDLE_SECONDS"), 2 * 3600)
    SESSION_LIFETIME_SECONDS: int = as_int(os.environ.get("SESSION_LIFETIME_SECONDS"), 12 * 3600)
    # Flask's cookie lifetime (default 31 days): the cookie goes with the session.
    PERMANENT_SESSION_LIFETIME: int = SESSION_LIFETIME_SECONDS
    # Failed sign-ins (portal form and the packages API's Basic auth) one client address
    # may make in SIGNIN_RATE_WINDOW seconds before it is answered 429; IPv6 clients count
    # per /64 network (accounts/ratelimit.py). Accounts lock on their own (LOCKOUT_*).
    SIGNIN_RATE_LIMIT: int = as_int(os.environ.get("SIGNIN_RATE_LIMIT"), 30)
    SIGNIN_RATE_WINDOW: int = as_int(os.environ.get("SIGNIN_RATE_WINDOW"), 15 * 60)
    # Reverse proxies whose X-Forwarded-For/-Proto/-Host/-Port headers are believed:
    # addresses or networks, separated by commas or spaces (e.g. "127.0.0.1 10.0.0.0/8").
    # Empty: none, and those headers are ignored (core/proxy.py).
    TRUSTED_PROXIES: str = os.environ.get("TRUSTED_PROXIES", "")
    # How many proxies in a row add to those headers (the last PROXY_HOPS values count).
    PROXY_HOPS: int = as_int(os.environ.get("PROXY_HOPS"), 1)
    # Where the portal lives (required with CONTENT_ORIGIN): the player's link back, and where
    # the content origin sends pages that only the portal serves.
    PORTAL_URL: str = os.environ.get("PORTAL_URL", "")
    # The xAPI endpoint given to cmi5/xAPI content (default: this host's /xapi/).
    LRS_ENDPOINT: str = os.environ.get("LRS_ENDPOINT", "")
    # Lifetime of a player launch token, and how often the player commits on its own.
    PLAYER_TOKEN_TTL: int = as_int(os.environ.get("PLAYER_TOKEN_TTL"), 12 * 3600)
    PLAYER_AUTOCOMMIT_SECONDS: int = as_int(os.environ.get("PLAYER_AUTOCOMMIT_SECONDS"), 10)
    # Home page of the learners' xAPI accounts ({"account": {"homePage": ..., "name": user id}}).
    # Changing it changes every learner's identity in the LRS: set it once.
    AGENT_HOMEPAGE: str = os.environ.get("AGENT_HOMEPAGE", "https://kompetens.example.org")
    # Roles given by SCIM group membership: "Group name=role,..." (accounts/scim/roles.py),
    # e.g. "Kompetens-admins=admin,Kompetens-authors=author". Empty: groups give no role.
    SCIM_GROUP_ROLES: str = os.environ.get("SCIM_GROUP_ROLES", "")
    # Failed sign-ins in a row before an account is locked for LOCKOUT_MINUTES.
    LOCKOUT_ATTEMPTS: int = as_int(os.environ.get("LOCKOUT_ATTEMPTS"), 5)
    LOCKOUT_MINUTES: int = as_int(os.environ.get("LOCKOUT_MINUTES"), 15)
    # Sign-in with e-mail and password on the portal (and the packages API's Basic auth).
    # False: only single sign-on; `flask users ...` still makes accounts, such as the
    # first admin, who then signs in through the provider with the same e-mail address.
    LOCAL_PASSWORDS: bool = as_bool(os.environ.get("LOCAL_PASSWORDS"), True)
    # Single sign-on by OpenID Connect (accounts/oidc.py, accounts/sso.py; README, "Single
    # sign-on"). Off unless OIDC_ISSUER and OIDC_CLIENT_ID are set. The issuer is the base
    # of the discovery URL (ISSUER/.well-known/openid-configuration).
    OIDC_ISSUER: str = os.environ.get("OIDC_ISSUER", "")
    OIDC_CLIENT_ID: str = os.environ.get("OIDC_CLIENT_ID", "")
    OIDC_CLIENT_SECRET: str = os.environ.get("OIDC_CLIENT_SECRET", "")
    OIDC_SCOPES: str = os.environ.get("OIDC_SCOPES", "openid email profile")
    # The sign-in button's text (e.g. "Kommunens inloggning"); empty: a translated default.
    OIDC_NAME: str = os.environ.get("OIDC_NAME", "")
    # Which claims hold the e-mail address and the name.
    OIDC_EMAIL_CLAIM: str = os.environ.get("OIDC_EMAIL_CLAIM", "email")
    OIDC_NAME_CLAIM: str = os.environ.get("OIDC_NAME_CLAIM", "name")
    # True: the provider's e-mail claim is set only by its administrators (a municipality's
    # own Entra ID tenant), so it counts as verified without "email_verified": true.
    OIDC_TRUST_EMAIL: bool = as_bool(os.environ.get("OIDC_TRUST_EMAIL"))
    # A claim of group names and which role each gives ("kompetens-admins=admin,..."):
    # the highest wins, learner when none maps. Set on the account's first sign-in
    # (and on every sign-in with SSO_UPDATE_ACCOUNTS).
    OIDC_ROLE_CLAIM: str = os.environ.get("OIDC_ROLE_CLAIM", "")
    OIDC_ROLES: str = os.environ.get("OIDC_ROLES", "")
    # A claim holding the person's unit code; set on the account's first sign-in.
    OIDC_UNIT_CLAIM: str = os.environ.get("OIDC_UNIT_CLAIM", "")
    # On: the identity provider (OIDC or SAML) is the source of truth for a linked
    # account's name, role and unit: every sign-in brings what its claims carry now.
    # Off: they are set on the first sign-in, then by admins or provisioning (SCIM).
    SSO_UPDATE_ACCOUNTS: bool = as_bool(os.environ.get("SSO_UPDATE_ACCOUNTS"))
    # Seconds to wait for the provider (discovery, keys, the code exchange).
    OIDC_TIMEOUT: int = as_int(os.environ.get("OIDC_TIMEOUT"), 10)
    # Single sign-on by SAML 2.0 (accounts/saml.py; README "Single sign-on (SAML)"). Off
    # while SAML_IDP_METADATA is empty: the identity provider's (or federation's)
    # metadata, a file path or an https URL.
    SAML_IDP_METADATA: str = os.environ.get("SAML_IDP_METADATA", "")
    # The certificate (PEM file) that signs a federation's metadata fetched by URL.
    SAML_IDP_METADATA_CERT: str = os.environ.get("SAML_IDP_METADATA_CERT", "")
    # This service's entity id (default: PORTAL_URL or this host, + /saml/metadata).
    SAML_SP_ENTITY_ID: str = os.environ.get("SAML_SP_ENTITY_ID", "")
    # The key and certificate (PEM files) that sign our requests and are in our metadata.
    SAML_SP_KEY_FILE: str = os.environ.get("SAML_SP_KEY_FILE", "")
    SAML_SP_CERT_FILE: str = os.environ.get("SAML_SP_CERT_FILE", "")
    # Which attributes (name or friendly name) hold the e-mail, the name and the unit code.
    SAML_ATTR_EMAIL: str = os.environ.get("SAML_ATTR_EMAIL", "urn:oid:0.9.2342.19200300.100.1.3")
    SAML_ATTR_NAME: str = os.environ.get("SAML_ATTR_NAME", "urn:oid:2.16.840.1.113730.3.1.241")
    SAML_ATTR_UNIT: str = os.environ.get("SAML_ATTR_UNIT", "")
    # The attribute holding groups or entitlements, and "value=role,..." for the roles.
    SAML_ATTR_ROLES: str = os.environ.get("SAML_ATTR_ROLES", "")
    SAML_ROLES: str = os.environ.get("SAML_ROLES", "")
    # Sign in an existing account whose e-mail the IdP asserts (first time only; then the
    # link holds). Off: only accounts made by SAML sign-in are signed in by it.
    SAML_LINK_BY_EMAIL: bool = as_bool(os.environ.get("SAML_LINK_BY_EMAIL"))
    # Clock difference allowed with the IdP, and how long a sign-in may take, in seconds.
    SAML_CLOCK_SKEW: int = as_int(os.environ.get("SAML_CLOCK_SKEW"), 60)
    SAML_REQUEST_TTL: int = as_int(os.environ.get("SAML_REQUEST_TTL"), 15 * 60)
    # The xmlsec1 program that checks signatures (default: found on PATH).
    SAML_XMLSEC_BINARY: str = os.environ.get("SAML_XMLSEC_BINARY", "")
    # Background jobs (core/jobs): without REDIS_URL the queue is a SQLite file in the
    # instance directory (one node); with it (redis://host:6379/0) every node shares one
    # queue in Redis.
    REDIS_URL: str = os.environ.get("REDIS_URL", "")
    # Threads of a `flask jobs worker`, whether gunicorn.conf.py starts one with the
    # service, and whether this node's worker enqueues the periodic jobs (any number may:
    # a periodic job runs under a lock and what it sends has a unique key).
    JOBS_WORKERS: int = as_int(os.environ.get("JOBS_WORKERS"), 2)
    JOBS_WITH_SERVER: bool = as_bool(os.environ.get("JOBS_WITH_SERVER"), True)
    JOBS_SCHEDULER: bool = as_bool(os.environ.get("JOBS_SCHEDULER"), True)
    # Forwarding statements to other LRSs (lrs/forwarding.py, lrs/forward_delivery.py).
    # A node re-reads the list of targets at most this many seconds after it last did:
    # a target added on another node is queued for from then on (an admin's "replay"
    # covers the seconds before).
    FORWARDING_CACHE_SECONDS: int = as_int(os.environ.get("FORWARDING_CACHE_SECONDS"), 5)
    # Statements per POST, the HTTP timeout, and the backoff after a failure: the first
    # retry after FORWARDING_RETRY_SECONDS, doubling up to FORWARDING_RETRY_MAX_SECONDS.
    FORWARDING_BATCH: int = as_int(os.environ.get("FORWARDING_BATCH"), 100)
    FORWARDING_TIMEOUT: int = as_int(os.environ.get("FORWARDING_TIMEOUT"), 30)
    FORWARDING_RETRY_SECONDS: int = as_int(os.environ.get("FORWARDING_RETRY_SECONDS"), 5)
    FORWARDING_RETRY_MAX_SECONDS: int = as_int(os.environ.get("FORWARDING_RETRY_MAX_SECONDS"), 600)
    # E-mail (portal/mailer.py). No MAIL_HOST: nothing is sent, every message is still
    # kept in the outbox (Admin → Outbox) and shown on the person's Notifications page.
    MAIL_HOST: str = os.environ.get("MAIL_HOST", "")
    MAIL_PORT: int = as_int(os.environ.get("MAIL_PORT"), 587)
    # "starttls" (port 587), "ssl" (implicit TLS, port 465) or "none" (a local relay).
    MAIL_TLS: str = os.environ.get("MAIL_TLS", "starttls")
    MAIL_USER: str = os.environ.get("MAIL_USER", "")
    MAIL_PASSWORD: str = os.environ.get("MAIL_PASSWORD", "")
    MAIL_FROM: str = os.environ.get("MAIL_FROM", "kompetens@localhost")
    # The CA (a PEM file) that signed the relay's certificate, e.g. the organisation's own;
    # empty: the system's trusted CAs. The relay's name is always checked.
    MAIL_CA_FILE: str = os.environ.get("MAIL_CA_FILE", "")
    MAIL_TIMEOUT: int = as_int(os.environ.get("MAIL_TIMEOUT"), 30)
    # A message being sent is claimed for this many seconds; a claim older than that is
    # a sender that died between claiming and sending, and the message is sent again.
    MAIL_CLAIM_SECONDS: int = as_int(os.environ.get("MAIL_CLAIM_SECONDS"), 600)
    # Messages to people who chose no language are in this one ("sv" or "en").
    ORGANISATION_LOCALE: str = os.environ.get("ORGANISATION_LOCALE", "sv")
    # A people import (Admin → Import people) of a larger file runs as a background job,
    # its progress and report on a page of its own; smaller ones run in the request.
    PEOPLE_IMPORT_BACKGROUND_BYTES: int = as_int(
        os.environ.get("PEOPLE_IMPORT_BACKGROUND_BYTES"), 1024 * 1024
    )
    # Reminders go this many days before a due date.
    REMINDER_DAYS: int = as_int(os.environ.get("REMINDER_DAYS"), 7)
    # A report file (CSV or Excel) of more rows than this is made by a background job,
    # its progress on a page of its own; it is kept EXPORT_KEEP_HOURS for the person who
    # asked. Smaller files are made while they wait.
    EXPORT_BACKGROUND_ROWS: int = as_int(os.environ.get("EXPORT_BACKGROUND_ROWS"), 5000)
    EXPORT_KEEP_HOURS: int = as_int(os.environ.get("EXPORT_KEEP_HOURS"), 24)
    # Messages sent (or kept without e-mail) are removed from the outbox, and from people's
    # Notifications pages, after this many days; 0 keeps them for ever.
    OUTBOX_RETENTION_DAYS: int = as_int(os.environ.get("OUTBOX_RETENTION_DAYS"), 180)
    # Course review (packages/review.py): on, a new version of an e-learning course is
    # offered to learners only once a reviewer approved it and it was published; authors
    # submit, reviewers (Admin → Course review) approve or return it. Admins, and the
    # command line (`packages import`, shell access), may still publish at once, audited.
    # Off: authors publish their uploads themselves, as before review existed.
    COURSE_REVIEW: bool = as_bool(os.environ.get("COURSE_REVIEW"), True)
    # Operations (core/ops; README, "Operations"). Logs: "text" (default, for people) or
    # "json" (one object a line, for a log shipper), each record with its request's id.
    LOG_FORMAT: str = os.environ.get("LOG_FORMAT", "text")
    # /metrics (Prometheus) answers only when one of these is set, and then asks for both
    # that are: the bearer token (Authorization: Bearer ...), and the client's address
    # in the networks ("10.0.0.0/8 127.0.0.1", as TRUSTED_PROXIES). Neither: 404.
    METRICS_TOKEN: str = os.environ.get("METRICS_TOKEN", "")
    METRICS_NETWORKS: str = os.environ.get("METRICS_NETWORKS", "")
    # prometheus_client's directory for gunicorn's several processes; gunicorn.conf.py
    # sets it (INSTANCE_PATH/metrics unless given) and empties it at start.
    PROMETHEUS_MULTIPROC_DIR: str = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
    # The accessibility statement (/accessibility, required by lag (2018:1937) om
    # tillgänglighet till digital offentlig service): who runs the service, where people
    # write or call about accessibility, and when the service was last assessed and the
    # statement updated (the dates of Kompetens's own assessment unless the organisation
    # makes its own). Empty contact details: the page's form is the way to reach you.
    ORGANISATION_NAME: str = os.environ.get("ORGANISATION_NAME", "")
    ACCESSIBILITY_CONTACT: str = os.environ.get("ACCESSIBILITY_CONTACT", "")
    ACCESSIBILITY_PHONE: str = os.environ.get("ACCESSIBILITY_PHONE", "")
    ACCESSIBILITY_ASSESSED: date = as_date(
        os.environ.get("ACCESSIBILITY_ASSESSED"), date(2026, 12, 7)
    )
    ACCESSIBILITY_UPDATED: date = as_date(
        os.environ.get("ACCESSIBILITY_UPDATED"), date(2026, 12, 7)
    )
    # Reports of accessibility problems (the statement's form) one client address may
    # send in ACCESSIBILITY_REPORT_WINDOW seconds; more are answered 429.
    ACCESSIBILITY_REPORT_LIMIT: int = as_int(os.environ.get("ACCESSIBILITY_REPORT_LIMIT"), 5)
    ACCESSIBILITY_REPORT_WINDOW: int = as_int(os.environ.get("ACCESSIBILITY_REPORT_WINDOW"), 3600)
    TESTING: bool = False


class TestConfig(Config):
    """Settings for the test suite: same code, different data."""

    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105  (tests only)
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL") or "sqlite://"
