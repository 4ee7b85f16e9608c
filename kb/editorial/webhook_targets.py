"""Where a webhook may POST: public internet addresses only, so that an admin's webhook cannot reach the
service's own network (no SSRF into loopback, private, link-local, metadata or multicast addresses).

:func:`check_target` resolves the host once and refuses the URL if any of its addresses is not public;
the delivery then connects to the address it checked (:attr:`Target.url`), never resolving the name a
second time, so DNS that changes between the check and the connection (rebinding) gains nothing.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass

import httpx

from kb.errors import DataError

__all__ = ["Target", "check_target"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = ipaddress.ip_network("64:ff9b::/96")


@dataclass(frozen=True, slots=True)
class Target:
    """A checked webhook URL and the address its connection is pinned to."""

    registered: httpx.URL  # as the admin gave it: its host goes in the Host header and TLS server name
    address: str  # the checked IP address

    @property
    def url(self) -> httpx.URL:
        """The registered URL with its host replaced by the checked address."""
        return self.registered.copy_with(host=self.address)

    @property
    def host_header(self) -> str:
        return self.registered.netloc.decode("ascii")

    @property
    def server_name(self) -> str | None:
        """The TLS server name (SNI, and the name the certificate must carry); none for an address literal."""
        return None if _literal(self.registered.host) else self.registered.host


def check_target(url: str, *, allow_loopback: bool = False) -> Target:
    """``url`` checked and pinned; :class:`DataError` when it is malformed, does not resolve, or any of its
    addresses is not a public one (loopback passes only with ``allow_loopback``, for a test's receiver)."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise DataError(f"not a URL: {exc}") from exc
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise DataError("a webhook URL starts with http:// or https:// and names a host")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        found = socket.getaddrinfo(parsed.host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise DataError(f"the webhook host {parsed.host!r} does not resolve", details={"host": parsed.host}) from exc
    addresses = list(dict.fromkeys(str(info[4][0]).split("%", 1)[0] for info in found))
    if not addresses:
        raise DataError(f"the webhook host {parsed.host!r} does not resolve", details={"host": parsed.host})
    for address in addresses:
        why = _refused(ipaddress.ip_address(address), allow_loopback=allow_loopback)
        if why:
            raise DataError(
                f"webhook target {parsed.host} resolves to {why} address {address}; only public addresses are allowed",
                details={"host": parsed.host, "address": address},
            )
    return Target(registered=parsed, address=addresses[0])


def _refused(ip: IPAddress, *, allow_loopback: bool) -> str:
    """Why ``ip`` may not be a webhook target ("" when it may), looking through IPv6 forms that embed an
    IPv4 address (IPv4-mapped, 6to4, Teredo, NAT64)."""
    for candidate in (ip, *_embedded(ip)):
        if candidate.is_loopback:
            if not allow_loopback:
                return "a loopback"
        elif candidate.is_link_local:
            return "a link-local (cloud metadata)"
        elif candidate.is_multicast:
            return "a multicast"
        elif candidate.is_unspecified:
            return "an unspecified"
        elif candidate.is_private:
            return "a private"
        elif candidate.is_reserved or not candidate.is_global:
            return "a reserved or shared"
    return ""


def _embedded(ip: IPAddress) -> list[IPAddress]:
    if not isinstance(ip, ipaddress.IPv6Address):
        return []
    found: list[IPAddress] = []
    if ip.ipv4_mapped is not None:
        found.append(ip.ipv4_mapped)
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)
    if ip in _NAT64:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def _literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
