"""Identity keys for agents, and the stable 64-bit hashes the filter index stores."""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from typing import Any


def agent_key(agent: dict[str, Any]) -> str | None:
    """The Inverse Functional Identifier of an Agent or identified Group, as one string.

    xAPI Data §2.4.2.3: an agent is identified by exactly one of mbox, mbox_sha1sum,
    openid or account.  Returns None for an anonymous group.
    """
    if "mbox" in agent:
        return "mbox:" + str(agent["mbox"])
    if "mbox_sha1sum" in agent:
        return "sha1:" + str(agent["mbox_sha1sum"]).lower()
    if "openid" in agent:
        return "openid:" + str(agent["openid"])
    account = agent.get("account")
    if isinstance(account, dict):
        return "account:" + str(account.get("homePage")) + "|" + str(account.get("name"))
    return None


@lru_cache(maxsize=65536)
def key_hash(value: str) -> int:
    """A signed 64-bit hash of a key (fits BIGINT on both databases).

    Cached: the same verbs, courses, registrations and authorities come again and again.
    """
    digest = hashlib.blake2b(value.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def sha256_hex(*parts: str) -> str:
    """SHA-256 hex of the parts, joined unambiguously."""
    return hashlib.sha256(json.dumps(parts).encode("utf-8")).hexdigest()
