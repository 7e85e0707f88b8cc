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


@pytest.mark.parametrize("name,level", [(b"MQTT", 9), (b"MQTT", 3), (b"MQIsdp", 4), (b"MQTT", 0)])
def test_unknown_protocol_level_is_refused(raw, name, level):
    # MQTT 3.1.1 [MQTT-3.1.2-2]: CONNACK return code 0x01, then close.
    client = raw(V311)
    body = mqtt_raw.string(name) + bytes([level, 0x02, 0, 60]) + mqtt_raw.string("c")
    client.send(mqtt_raw.packet(0x10, body))
    packets = client.wait_closed()
    assert len(packets) == 1 and packets[0].type == mqtt_raw.CONNACK, packets
    assert packets[0].body == bytes([0x00, 0x01])


def test_v5_shaped_connect_with_a_newer_level_is_refused(raw):
    # A v5-layout CONNECT (with properties) claiming level 6. MQTT 5 3.1.2.2: the server MAY
    # answer CONNACK 0x84 (v5 shape) — a 3.1.1-shaped CONNACK 0x01 is the other reading; either
    # way the connection must then be closed and nothing else sent.
    client = raw(V5)
    body = (mqtt_raw.string("MQTT") + bytes([6, 0x02, 0, 60]) + mqtt_raw.properties(
        [(mqtt_raw.SESSION_EXPIRY, 10)]) + mqtt_raw.string("c"))
    client.send(mqtt_raw.packet(0x10, body))
    packets = client.wait_closed()
    assert len(packets) == 1 and packets[0].type == mqtt_raw.CONNACK, packets
    connack = packets[0].body
    assert connack == bytes([0x00, 0x01]) or (connack[:2] == bytes([0x00, 0x84])), connack


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
    # The broker still serves.
    assert raw(V311).connect("after-idle").reason == 0


@pytest.mark.gatemq_only
@pytest.mark.broker_config({"zone.external.idle_timeout": "1s"})
def test_half_a_connect_is_closed_after_idle_timeout(raw):
    client = raw(V5)
    client.send(mqtt_raw.connect("half", version=V5)[:7])
    assert client.wait_closed(timeout=15) == []


def test_v5_second_connect_closes_the_connection(raw):
    client = raw(V5)
    client.connect("twice5")
    client.send(mqtt_raw.connect("twice5", version=V5))
    packets = client.wait_closed()
    assert all(p.type == mqtt_raw.DISCONNECT for p in packets), packets


@pytest.mark.parametrize("version", [V31, V311, V5])
def test_connect_with_username_and_password_is_accepted_without_auth(raw, version):
    client = raw(version)
    assert client.connect(f"user-{version}", username="u", password="p").reason == 0


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
@pytest.mark.broker_config({"mqtt.shared_subscription": "false"})
def test_connack_says_when_shared_subscriptions_are_off(raw):
    client = raw(V5)
    assert client.connect("no-shares").props[0x2A] == 0
    assert client.subscribe("$share/g/t", 1).codes == [0x9E]


@pytest.mark.gatemq_only
def test_connack_advertises_limits(raw):
    client = raw(V5)
    connack = client.connect("limits")
    assert connack.props[mqtt_raw.TOPIC_ALIAS_MAXIMUM] == 10
    assert connack.props[mqtt_raw.MAXIMUM_PACKET_SIZE] == 1024 * 1024
    assert 0x2A not in connack.props  # shared subscriptions available: the default, yes


@pytest.mark.gatemq_only
@pytest.mark.broker_config({"zone.external.server_keepalive": "5"})
def test_server_keepalive_is_sent_to_v5_clients(raw):
    client = raw(V5)
    connack = client.connect("ka", keepalive=100)
    assert connack.props[mqtt_raw.SERVER_KEEP_ALIVE] == 5


@pytest.mark.parametrize("version", [V311, V5])
def test_clients_with_empty_ids_do_not_take_each_other_over(raw, version):
    clients = []
    for _ in range(3):
        client = raw(version)
        connack = client.connect("", clean=True)
        assert connack.reason == 0
        client.subscribe("anon/t", 0)
        clients.append(connack)
        clients[-1] = (client, connack)
    if version == V5:
        ids = {c.props[mqtt_raw.ASSIGNED_CLIENT_ID] for _, c in clients}
        assert len(ids) == 3
    publisher = raw(version)
    publisher.connect("anon-pub")
    publisher.publish("anon/t", "to-all")
    for client, _ in clients:
        assert client.expect(mqtt_raw.PUBLISH).payload == b"to-all"
