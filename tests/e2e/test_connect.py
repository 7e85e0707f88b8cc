"""CONNECT handling in every version, with byte-level clients."""
import pytest

import mqtt_raw
from mqtt_raw import V31, V311, V5


@pytest.mark.parametrize("version", [V31, V311, V5])
def test_connack_in_each_version(raw, version):
    client = raw(version)
    connack = client.connect("client-1")
    assert connack.reason == 0
    assert not connack.session_present
    client.send(mqtt_raw.packet(0xC0, b""))  # PINGREQ
    client.expect(mqtt_raw.PINGRESP)


def test_v5_empty_client_id_gets_an_assigned_identifier(raw):
    client = raw(V5)
    connack = client.connect("")
    assert connack.reason == 0
    assigned = connack.props[mqtt_raw.ASSIGNED_CLIENT_ID]
    assert assigned
    # The assigned id is a real session id: a second client can take it over.
    other = raw(V5)
    assert other.connect(assigned, clean=True).reason == 0


def test_v311_empty_client_id_with_persistent_session_is_refused(raw):
    client = raw(V311)
    connack = client.connect("", clean=False)
    assert connack.reason == 2  # identifier rejected
    client.wait_closed()


def test_v311_empty_client_id_with_clean_session_is_accepted(raw):
    assert raw(V311).connect("", clean=True).reason == 0


@pytest.mark.parametrize("version,code", [(V311, 0x01), (V5, 0x01)])
def test_unknown_protocol_level_is_refused(raw, version, code):
    client = raw(version)
    bytes_ = bytearray(mqtt_raw.connect("c", version=V311))
    bytes_[8] = 9  # protocol level
    client.version = V311  # the answer comes in the 3.1.1 shape every client can read
    client.send(bytes(bytes_))
    connack = client.expect(mqtt_raw.CONNACK)
    assert connack.reason == code
    client.wait_closed()


def test_second_connect_closes_the_connection(raw):
    client = raw(V311)
    client.connect("twice")
    client.send(mqtt_raw.connect("twice"))
    client.wait_closed()


@pytest.mark.gatemq_only  # the spec allows closing without a DISCONNECT (Mosquitto does)
def test_v5_second_connect_gets_protocol_error(raw):
    client = raw(V5)
    client.connect("twice")
    client.send(mqtt_raw.connect("twice", version=V5))
    packets = client.wait_closed()
    assert packets and packets[-1].type == mqtt_raw.DISCONNECT
    assert packets[-1].reason == 0x82


def test_first_packet_must_be_connect(raw):
    client = raw(V311)
    client.send(mqtt_raw.packet(0xC0, b""))
    assert client.wait_closed() == []


@pytest.mark.gatemq_only
@pytest.mark.broker_config({"zone.external.idle_timeout": "1s"})
def test_connection_without_connect_is_closed_after_idle_timeout(raw):
    client = raw(V311)
    assert client.wait_closed(timeout=15) == []


@pytest.mark.gatemq_only
@pytest.mark.broker_config({"mqtt.max_clientid_len": "8"})
def test_client_id_longer_than_the_limit_is_refused(raw):
    client = raw(V5)
    assert client.connect("123456789").reason == 0x85
    assert raw(V5).connect("12345678").reason == 0


def test_v31_client_id_must_not_be_empty(raw):
    client = raw(V31)
    assert client.connect("").reason == 2


def test_v5_auth_method_without_configured_auth_is_refused(raw):
    client = raw(V5)
    connack = client.connect("auth", props=[(mqtt_raw.AUTH_METHOD, "SCRAM-SHA-1")])
    assert connack.reason == 0x8C
    client.wait_closed()


@pytest.mark.gatemq_only
def test_connack_advertises_limits(raw):
    client = raw(V5)
    connack = client.connect("limits")
    assert connack.props[mqtt_raw.TOPIC_ALIAS_MAXIMUM] == 10
    assert connack.props[mqtt_raw.MAXIMUM_PACKET_SIZE] == 1024 * 1024
    assert connack.props[0x2A] == 0  # shared subscriptions: not yet


@pytest.mark.gatemq_only
@pytest.mark.broker_config({"zone.external.server_keepalive": "5"})
def test_server_keepalive_is_sent_to_v5_clients(raw):
    client = raw(V5)
    connack = client.connect("ka", keepalive=100)
    assert connack.props[mqtt_raw.SERVER_KEEP_ALIVE] == 5
