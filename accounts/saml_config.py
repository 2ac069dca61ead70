"""pysaml2's view of this service provider, built from the settings (config.py SAML_*).

One client per process and settings, kept for an hour: loading a federation's
metadata (thousands of entities, perhaps over HTTPS) is too slow for every request,
and an hour lets a federation's new keys arrive without a restart.
"""

from __future__ import annotations

import shutil
import threading
import time
from dataclasses import dataclass
from typing import Any

from flask import current_app, request
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.mdstore import MetaDataExtern
from saml2.metadata import create_metadata_string

_CACHE_SECONDS = 3600
_lock = threading.Lock()
_clients: dict[tuple[str, ...], tuple[float, Saml2Client]] = {}


class MetadataRefused(Exception):
    """The IdP's metadata cannot be trusted as configured (sign-in is then unavailable)."""


@dataclass(frozen=True)
class Endpoints:
    """The SAML addresses of this service (absolute URLs)."""

    entity_id: str
    acs: str
    sls: str


def enabled() -> bool:
    """SAML sign-in is on when the IdP's metadata is configured."""
    return bool(current_app.config.get("SAML_IDP_METADATA"))


def endpoints() -> Endpoints:
    """Our entity id, ACS and SLS addresses: from PORTAL_URL, else this request's host."""
    config = current_app.config
    base = (config.get("PORTAL_URL") or request.url_root).rstrip("/")
    return Endpoints(
        entity_id=config.get("SAML_SP_ENTITY_ID") or f"{base}/saml/metadata",
        acs=f"{base}/saml/acs",
        sls=f"{base}/saml/sls",
    )


def _settings(where: Endpoints) -> dict[str, Any]:
    config = current_app.config
    source = str(config["SAML_IDP_METADATA"])
    cert = str(config.get("SAML_IDP_METADATA_CERT") or "")
    if source.startswith(("https://", "http://")):
        remote: dict[str, Any] = {"url": source}
        if cert:
            # The federation's signature on its metadata is checked with this certificate.
            remote["cert"] = cert
        metadata: dict[str, Any] = {"remote": [remote]}
    else:
        metadata = {"local": [source]}
    signing = bool(config.get("SAML_SP_KEY_FILE") and config.get("SAML_SP_CERT_FILE"))
    settings: dict[str, Any] = {
        "entityid": where.entity_id,
        "xmlsec_binary": config.get("SAML_XMLSEC_BINARY") or shutil.which("xmlsec1"),
        "metadata": metadata,
        "accepted_time_diff": int(config["SAML_CLOCK_SKEW"]),
        "allow_unknown_attributes": True,
        "service": {
            "sp": {
                "endpoints": {
                    "assertion_consumer_service": [(where.acs, BINDING_HTTP_POST)],
                    "single_logout_service": [(where.sls, BINDING_HTTP_REDIRECT)],
                },
                # Every assertion must carry the IdP's signature; a signed response
                # around an unsigned assertion is not enough (SAML profiles §4.1.3.5).
                "want_assertions_signed": True,
                "want_response_signed": False,
                "allow_unsolicited": False,
                "authn_requests_signed": signing,
                "logout_requests_signed": signing,
                "name_id_format_allow_create": True,
            }
        },
    }
    if signing:
        settings["key_file"] = config["SAML_SP_KEY_FILE"]
        settings["cert_file"] = config["SAML_SP_CERT_FILE"]
    return settings


def client() -> Saml2Client:
    """The pysaml2 client for the current settings (loaded once an hour per process)."""
    where = endpoints()
    config = current_app.config
    key = (
        where.entity_id,
        where.acs,
        str(config["SAML_IDP_METADATA"]),
        str(config.get("SAML_IDP_METADATA_CERT")),
        str(config.get("SAML_SP_KEY_FILE")),
        str(config.get("SAML_SP_CERT_FILE")),
        str(config["SAML_CLOCK_SKEW"]),
    )
    now = time.monotonic()
    with _lock:
        cached = _clients.get(key)
        if cached is not None and now - cached[0] < _CACHE_SECONDS:
            return cached[1]
        source, cert = str(config["SAML_IDP_METADATA"]), config.get("SAML_IDP_METADATA_CERT")
        if source.startswith("http://") and not cert:
            # Anyone on the way could rewrite unsigned metadata fetched in the clear.
            raise MetadataRefused("metadata by http:// needs SAML_IDP_METADATA_CERT")
        sp_config = SPConfig()
        sp_config.load(_settings(where))
        if cert:
            _require_signed(sp_config)
        made = Saml2Client(config=sp_config)
        _clients[key] = (now, made)
        return made


def _require_signed(sp_config: SPConfig) -> None:
    """Refuse fetched metadata that carries no signature.

    pysaml2 checks a signature against the configured certificate only when there is
    one: metadata with none at all is taken as it is. With SAML_IDP_METADATA_CERT set,
    the federation signs its metadata, so unsigned metadata is not the federation's.
    """
    for loaded in sp_config.metadata.metadata.values():
        if isinstance(loaded, MetaDataExtern) and not loaded.signed():
            raise MetadataRefused(f"the metadata at {loaded.url} is not signed")


def metadata_xml() -> str:
    """Our SP metadata, for the federation (entity id, ACS, SLS, signing certificate)."""
    where = endpoints()
    settings = _settings(where)
    settings.pop("metadata")  # ours describes us only; the IdP's is not needed here
    sp_config = SPConfig()
    sp_config.load(settings)
    made = create_metadata_string(None, config=sp_config, valid=None, sign=False)
    return made.decode() if isinstance(made, bytes) else str(made)
