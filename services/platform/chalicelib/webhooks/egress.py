"""Where a webhook may be sent: SSRF protection, checked at save and again at delivery.

The host is resolved and every address it resolves to must be public: private, loopback,
link-local (cloud metadata lives there), multicast, reserved, shared and documentation
ranges are refused (`ipaddress`'s `is_global` is the final word). DNS may change between
save and delivery, so the worker checks again before each attempt. On the local and test
stages only, plain http to an allow-listed loopback host is allowed, for local receivers.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from crm_shared.settings import get_settings

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
METADATA = frozenset({
    ipaddress.ip_address("169.254.169.254"),  # AWS, GCP, Azure
    ipaddress.ip_address("fd00:ec2::254"),  # AWS over IPv6
    ipaddress.ip_address("100.100.100.200"),  # Alibaba
})
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeUrl(ValueError):
    """The URL may not receive webhooks; the message says why (shown to the client)."""


def _loopback_allowed(host: str) -> bool:
    return get_settings().is_local and host in LOOPBACK_HOSTS


def check_shape(url: str) -> tuple[str, int]:
    """The host and port of a URL a webhook may use, before any DNS lookup."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeUrl(f"is not a valid URL: {exc}") from None
    host = (parts.hostname or "").lower()
    if not host:
        raise UnsafeUrl("must name a host")
    if parts.username or parts.password:
        raise UnsafeUrl("must not carry credentials")
    if parts.scheme == "http" and not _loopback_allowed(host):
        raise UnsafeUrl("must use https")
    if parts.scheme not in {"https", "http"}:
        raise UnsafeUrl("must use https")
    return host, port or (443 if parts.scheme == "https" else 80)


def refused(address: IpAddress, host: str) -> str | None:
    """Why `address` may not be contacted, or None when it may."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if address in METADATA:
        return "resolves to a cloud metadata address"
    if address.is_loopback:
        return None if _loopback_allowed(host) else "resolves to a loopback address"
    for reason, flag in (("link-local", address.is_link_local),
                         ("multicast", address.is_multicast), ("reserved", address.is_reserved),
                         ("unspecified", address.is_unspecified), ("private", address.is_private)):
        if flag:
            return f"resolves to a {reason} address"
    if not address.is_global:
        return "resolves to a non-public address"
    return None


def resolve(url: str) -> list[IpAddress]:
    """Every address the URL's host resolves to, once each is known to be allowed."""
    host, port = check_shape(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        raise UnsafeUrl("does not resolve") from None
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
    if not addresses:
        raise UnsafeUrl("does not resolve")
    for address in addresses:
        reason = refused(address, host)
        if reason:
            raise UnsafeUrl(f"{reason} ({address})")
    return addresses
