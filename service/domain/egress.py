"""Where the service may send requests of its own (webhooks).

A webhook URL is chosen by a tenant, so without a check the server would POST wherever a
tenant points it: its own loopback ports, the cloud metadata address, the private network
behind it. The delivery log would then tell that tenant what answered there (a port
scanner). So an address is refused unless it is a public (globally routable) unicast
address, or the operator allowed it for self-hosted receivers (``webhook_allow_networks``).

The check runs on every address a host name resolves to, twice: when the URL is registered
(a clear 400) and again when each request is sent, where the connection is made to the
very address that was checked, so a name that resolves elsewhere later (DNS rebinding)
gains nothing. TLS still verifies the certificate against the host name.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], list[str]]
SocketOption = tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]


class EgressRefused(ValueError):
    """A URL or address the service will not send requests to; the message says why."""


def system_resolver(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise EgressRefused(f"host {host!r} could not be resolved ({exc}); check the URL's host name") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass(frozen=True)
class EgressPolicy:
    """Which URLs may receive requests. ``allow_networks`` lists CIDRs or single addresses."""

    allow_http: bool = False
    allow_networks: Sequence[str] = ()
    resolver: Resolver = field(default=system_resolver, compare=False)
    networks: tuple[IPNetwork, ...] = field(init=False, default=(), compare=False)

    def __post_init__(self) -> None:
        try:
            nets = tuple(ipaddress.ip_network(n.strip(), strict=False) for n in self.allow_networks)
        except ValueError as exc:
            raise EgressRefused(f"webhook_allow_networks: {exc}; give CIDRs such as 10.0.5.0/24 or addresses") from None
        object.__setattr__(self, "networks", nets)

    def check_url(self, url: str) -> list[str]:
        """The checked addresses ``url``'s host resolves to; raises ``EgressRefused`` with the reason."""
        parts = urlsplit(url.strip())
        if parts.scheme not in ("https", "http"):
            raise EgressRefused(f"url {url!r} is not an https URL, e.g. https://crm.example.com/hooks")
        if parts.username is not None or parts.password is not None:
            raise EgressRefused("the url must not carry a user name or password; authenticate with the signature")
        host = parts.hostname
        if not host:
            raise EgressRefused(f"url {url!r} has no host, e.g. https://crm.example.com/hooks")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise EgressRefused(f"url {url!r} has an invalid port") from None
        addresses = self.check_host(host, port)
        if parts.scheme == "http" and not (self.allow_http or all(self._allowed(_ip(a)) for a in addresses)):
            raise EgressRefused("webhooks are sent over https only; use an https:// URL")
        return addresses

    def check_host(self, host: str, port: int) -> list[str]:
        addresses = self.resolver(host, port)
        if not addresses:
            raise EgressRefused(f"host {host!r} resolves to no address")
        for address in addresses:
            reason = self.refusal(_ip(address))
            if reason:
                raise EgressRefused(f"{host!r} resolves to {address}, {reason}: webhooks go to public addresses only")
        return addresses

    def refusal(self, ip: IPAddress) -> str | None:
        """Why ``ip`` may not be reached, or None when it may."""
        if self._allowed(ip):
            return None
        mapped = getattr(ip, "ipv4_mapped", None) or getattr(ip, "sixtofour", None)
        if mapped is not None:
            return self.refusal(mapped)
        for kind, hit in (
            ("an unspecified address", ip.is_unspecified), ("a loopback address", ip.is_loopback),
            ("a link-local address (cloud metadata lives here)", ip.is_link_local),
            ("a multicast address", ip.is_multicast), ("a private address", ip.is_private),
            ("a reserved address", ip.is_reserved),
        ):
            if hit:
                return kind
        return None if ip.is_global else "not a public address"

    def _allowed(self, ip: IPAddress) -> bool:
        return any(ip.version == net.version and ip in net for net in self.networks)


def _ip(address: str) -> IPAddress:
    return ipaddress.ip_address(address.split("%", 1)[0])


class _GuardedBackend(httpcore.SyncBackend):
    """Connects only to addresses the policy allows, and to the address it checked."""

    def __init__(self, policy: EgressPolicy):
        self.policy = policy

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Iterable[SocketOption] | None = None) -> httpcore.NetworkStream:
        try:
            addresses = self.policy.check_host(host, port)
        except EgressRefused as exc:
            raise httpcore.ConnectError(str(exc)) from None
        return super().connect_tcp(addresses[0], port, timeout=timeout, local_address=local_address,
                                   socket_options=socket_options)


def guarded_client(policy: EgressPolicy, timeout: float) -> httpx.Client:
    """An httpx client that refuses to connect where ``policy`` refuses, redirects included."""
    transport = httpx.HTTPTransport(trust_env=False)
    # httpx builds its pool without a way to pass a network backend; this is the one pool it uses.
    transport._pool = httpcore.ConnectionPool(
        ssl_context=httpx.create_ssl_context(trust_env=False), network_backend=_GuardedBackend(policy),
    )
    return httpx.Client(transport=transport, timeout=timeout, follow_redirects=False, trust_env=False)
