"""Webhook targets: refused addresses are never contacted, at registration or delivery.

Every address here is a string checked by the policy, or a listener on 127.0.0.1 that
counts what reaches it; nothing is sent anywhere else.
"""

from __future__ import annotations

import pytest

from listenlens.service.domain.egress import EgressPolicy, EgressRefused, guarded_client
from service_helpers import WebhookReceiver


def _fixed(*addresses: str):
    """A resolver that answers ``addresses`` for any name, without asking DNS."""
    return lambda host, port: list(addresses)


REFUSED_URLS = [
    "https://127.0.0.1/hook", "https://127.9.9.9:8443/hook", "https://localhost/hook", "https://[::1]/hook",
    "https://0.0.0.0/hook", "https://[::]/hook", "https://2130706433/hook", "https://0x7f000001/hook",
    "https://0177.0.0.1/hook", "https://169.254.169.254/latest/meta-data", "https://[fe80::1]/hook",
    "https://10.1.2.3/hook", "https://172.16.0.9/hook", "https://192.168.1.20/hook", "https://[fd00:ec2::254]/hook",
    "https://100.64.0.1/hook", "https://224.0.0.1/hook", "https://[ff02::1]/hook", "https://[::ffff:127.0.0.1]/hook",
    "https://[::ffff:10.0.0.1]/hook", "https://198.18.0.1/hook", "https://240.0.0.1/hook",
]


@pytest.mark.parametrize("url", REFUSED_URLS)
def test_non_public_targets_are_refused_by_default(url):
    with pytest.raises(EgressRefused, match="public addresses only"):
        EgressPolicy().check_url(url)


@pytest.mark.parametrize("url, message", [
    ("ftp://example.com/hook", "https"),
    ("https:///hook", "no host"),
    ("https://user:pw@example.com/hook", "user name or password"),
    ("https://example.com:99999/hook", "invalid port"),
])
def test_malformed_urls_are_refused_with_the_reason(url, message):
    with pytest.raises(EgressRefused, match=message):
        EgressPolicy(resolver=_fixed("93.184.215.14")).check_url(url)


def test_a_name_is_judged_by_every_address_it_resolves_to():
    public_then_private = EgressPolicy(resolver=_fixed("93.184.215.14", "10.0.0.7"))
    with pytest.raises(EgressRefused, match="10.0.0.7, a private address"):
        public_then_private.check_url("https://hooks.example.com/x")
    assert EgressPolicy(resolver=_fixed("93.184.215.14")).check_url("https://hooks.example.com/x") == ["93.184.215.14"]


def test_plain_http_needs_a_setting_or_an_allowed_network():
    public = _fixed("93.184.215.14")
    with pytest.raises(EgressRefused, match="https only"):
        EgressPolicy(resolver=public).check_url("http://hooks.example.com/x")
    assert EgressPolicy(allow_http=True, resolver=public).check_url("http://hooks.example.com/x")
    assert EgressPolicy(allow_networks=["127.0.0.1/32"]).check_url("http://127.0.0.1:9/x") == ["127.0.0.1"]


def test_the_allow_list_opens_only_what_it_names():
    policy = EgressPolicy(allow_networks=["127.0.0.1/32", "10.20.0.0/16"])
    assert policy.check_url("https://10.20.3.4/x") == ["10.20.3.4"]
    for url in ("https://127.0.0.2/x", "https://10.21.0.1/x", "https://[::1]/x"):
        with pytest.raises(EgressRefused):
            policy.check_url(url)
    with pytest.raises(EgressRefused, match="webhook_allow_networks"):
        EgressPolicy(allow_networks=["not-a-network"])


def test_a_refused_address_is_never_contacted_even_when_a_name_turns_to_it():
    """DNS rebinding: the name was public at registration and resolves to loopback at sending."""
    receiver = WebhookReceiver()
    try:
        url = receiver.url.replace("127.0.0.1", "hooks.example.com")
        port = int(receiver.url.rsplit(":", 1)[1].split("/")[0])
        policy = EgressPolicy(allow_http=True, resolver=_fixed("127.0.0.1"))
        with guarded_client(policy, timeout=2.0) as client:
            with pytest.raises(Exception, match="public addresses only"):
                client.post(url, content=b"{}")
        assert receiver.requests == [], "the refused listener was contacted"
        # The same listener, allowed by the operator, is reached through the same client code.
        allowed = EgressPolicy(allow_networks=["127.0.0.1/32"])
        with guarded_client(allowed, timeout=5.0) as client:
            answer = client.post(f"http://127.0.0.1:{port}/hook", content=b"{}")
        assert answer.status_code == 200 and len(receiver.requests) == 1
    finally:
        receiver.close()
