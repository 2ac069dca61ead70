"""A minimal xAPI HTTP client for the benchmark (stdlib ``http.client``, loopback only).

xAPI 1.0.3 Communication §3.3 (``X-Experience-API-Version`` on every request) and §4
(HTTP Basic authentication): every request carries both headers.
"""

from __future__ import annotations

import base64
import http.client
import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

LOOPBACK_NAMES = {"localhost", "ip6-localhost"}


def check_loopback(url: str) -> None:
    """Refuse any target that is not on this machine: the benchmark is loopback only."""
    host = urlsplit(url).hostname or ""
    if host in LOOPBACK_NAMES:
        return
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    raise SystemExit(f"refusing to load {host!r}: the benchmark only targets loopback addresses")


@dataclass
class Reply:
    """Status, body and the headers the benchmark looks at."""

    status: int
    body: bytes
    headers: dict[str, str]


class XapiClient:
    """One keep-alive connection (reopened when the server closes it) to the LRS."""

    def __init__(
        self, url: str, key: str, secret: str, version: str, timeout: float = 60.0
    ) -> None:
        check_loopback(url)
        parts = urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.prefix = parts.path.rstrip("/")
        self.timeout = timeout
        token = base64.b64encode(f"{key}:{secret}".encode()).decode()
        self.base_headers = {
            "Authorization": f"Basic {token}",
            "X-Experience-API-Version": version,
        }
        self.conn: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            self.conn.connect()
            assert self.conn.sock is not None
            self.conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return self.conn

    def close(self) -> None:
        """Close the connection."""
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def path(self, resource: str, params: dict[str, str] | None = None) -> str:
        """The request path of an xAPI resource ("statements", "activities/state", ...)."""
        path = f"{self.prefix}/{resource}"
        return f"{path}?{urlencode(params)}" if params else path

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        """Send one request and read the whole reply; one retry if a kept-alive socket died."""
        all_headers = dict(self.base_headers)
        if body is not None:
            all_headers["Content-Type"] = "application/json"
        if headers:
            all_headers.update(headers)
        for attempt in (1, 2):
            conn = self._connection()
            try:
                conn.request(method, path, body=body, headers=all_headers)
                resp = conn.getresponse()
                data = resp.read()
            except (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected):
                # A sync gunicorn worker closes after each response; a stale socket is
                # not an error of the service, so reconnect once.
                self.close()
                if attempt == 2:
                    raise
                continue
            reply = Reply(resp.status, data, {k.lower(): v for k, v in resp.getheaders()})
            if resp.will_close:
                self.close()
            return reply
        raise AssertionError("unreachable")

    def more_path(self, more: str) -> str:
        """Turn a ``more`` IRL (absolute, host-relative or prefix-relative) into a path."""
        if more.startswith(("http://", "https://")):
            parts = urlsplit(more)
            return parts.path + (f"?{parts.query}" if parts.query else "")
        if more.startswith("/"):
            return more
        return f"{self.prefix}/{more}"


def wait_until_up(client: XapiClient, resource: str, seconds: float) -> int:
    """Poll ``resource`` until the server answers at all; returns the last status."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return client.request("GET", client.path(resource)).status
        except OSError:
            client.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
