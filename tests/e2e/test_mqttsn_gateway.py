"""MQTT-SN 1.2 gateway (gateways/mqtt-sn, issue #6): discovery, connect, topic ids and publish /
subscribe in both directions, each checked against a real MQTT client on the broker side.
Sessions, wills, sleeping clients and hostile datagrams are in test_mqttsn_sessions.py."""
import subprocess

import pytest

from mqttsn_client import (ACCEPTED, INVALID_TOPIC_ID, NOT_SUPPORTED, TOPIC_NORMAL,
                           TOPIC_PREDEFINED, TOPIC_RESERVED, TOPIC_SHORT_NAME, Client, Flags,
                           Message, short_name_to_topic_id)
from mqttsn_e2e import (GATEWAY_ID, PREDEFINED, next_publish, receive, register, sn,  # noqa: F401
                        sn_config, subscribe, wait_for_gateway)

pytestmark = [pytest.mark.gatemq_only, pytest.mark.broker_config(sn_config())]


# ---- discovery (§6.1) ---------------------------------------------------------------------------

def test_searchgw_is_answered_with_gwinfo(broker):
    gwinfo = wait_for_gateway(broker.mqttsn_port)
    assert gwinfo.gw_id == GATEWAY_ID
    assert gwinfo.gw_addr is None  # sent by the gateway itself


def test_advertise_is_broadcast_when_enabled(broker_factory_udp):
    listener, broker = broker_factory_udp
    data, _ = listener.recvfrom(100)
    advertise = Client.__module__ and __import__("mqttsn_codec").Codec.decode(data)
    assert advertise.type == "ADVERTISE"
    assert advertise.gw_id == GATEWAY_ID
    assert advertise.duration == 1


@pytest.fixture
def broker_factory_udp(tmp_path, request):
    """A broker whose ADVERTISE goes to a UDP socket of this test every second."""
    import socket

    from conftest import Broker
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind(("127.0.0.1", 0))
    listener.settimeout(20)
    instance = Broker(tmp_path, sn_config({
        "mqtt.sn.broadcast": "on",
        "mqtt.sn.advertise_duration": "1s",
        "mqtt.sn.broadcast_address": f"127.0.0.1:{listener.getsockname()[1]}",
    }))
    request.node._e2e_broker = instance
    instance.start()
    yield listener, instance
    listener.close()
    assert instance.stop() == 0


# ---- connect (§6.2, §6.3) -------------------------------------------------------------------------

def test_connect_and_disconnect(sn):
    client = sn("sn-basic")
    assert client.pingreq() == []
    assert client.disconnect().duration is None


def test_empty_client_id_is_refused(sn):
    client = sn()
    assert client.connect("") == NOT_SUPPORTED


def test_connect_with_will_runs_the_handshake(sn):
    client = sn("sn-will-hs", will={"topic": "sn/will/hs", "message": b"bye", "qos": 1})
    assert client.pingreq() == []


def test_empty_willtopic_means_no_will(sn, paho):
    watcher = paho("watch-empty-will")
    watcher.subscribe("sn/will/empty/#", 1)
    client = sn()
    client.send(Message("CONNECT", flags=Flags(clean_session=True, will=True), duration=1,
                        client_id="sn-empty-will"))
    client.expect("WILLTOPICREQ")
    client.send(Message("WILLTOPIC"))  # the empty form: no flags, no topic
    assert client.expect("CONNACK").return_code == ACCEPTED
    # Keepalive loss: nothing to publish. A marker shows nothing came before it.
    assert client.expect("DISCONNECT", timeout=20)
    watcher.publish("sn/will/empty/marker", b"marker", 1)
    assert watcher.expect().payload == b"marker"


def test_protocol_order_violation_gets_disconnect(sn):
    client = sn("sn-order")
    client.send(Message("WILLMSG", will_message=b"unasked"))
    client.expect("DISCONNECT")
    # The client is gone: anything else from its address is answered with DISCONNECT too.
    client.send(Message("PINGREQ"))
    client.expect("DISCONNECT")


def test_publish_without_connect_gets_disconnect(sn):
    client = sn()
    client.send(Message("PUBLISH", flags=Flags(qos=1), topic_id=1, msg_id=1, data=b"x"))
    client.expect("DISCONNECT")


def test_gateway_only_message_from_a_client_gets_disconnect(sn):
    client = sn("sn-connack")
    client.send(Message("CONNACK", return_code=0))
    client.expect("DISCONNECT")


# ---- topic ids (§6.5, §6.7, §6.10) ----------------------------------------------------------------

@pytest.mark.broker_config(sn_config({"mqtt.sn.max_registered_topics": "3"}))
def test_register_rules(sn):
    client = sn("sn-reg")
    first = client.register("sn/reg/a")
    assert first > max(PREDEFINED)  # normal ids start after the highest predefined id
    assert client.register("sn/reg/a") == first  # same name, same id
    second = client.register("sn/reg/b")
    assert second not in (0, first)
    with pytest.raises(Exception) as refused:
        client.register("sn/reg/+")
    assert refused.value.return_code == NOT_SUPPORTED
    with pytest.raises(Exception) as refused:
        client.register("sn/reg/#")
    assert refused.value.return_code == NOT_SUPPORTED
    client.register("sn/reg/c")
    with pytest.raises(Exception) as exhausted:
        client.register("sn/reg/d")
    assert exhausted.value.return_code == 3
    assert client.register("sn/reg/b") == second  # known names still resolve


def test_unknown_topic_ids_and_reserved_type_are_refused(sn):
    client = sn("sn-badid")
    assert client.publish(4242, b"x", qos=1) == INVALID_TOPIC_ID
    assert client.publish(99, b"x", qos=1, topic_id_type=TOPIC_PREDEFINED) == INVALID_TOPIC_ID
    assert client.publish(4242, b"x", qos=1, topic_id_type=TOPIC_RESERVED) == NOT_SUPPORTED
    # QoS 0 to an unknown id is refused too (§6.7)
    client.send(Message("PUBLISH", flags=Flags(qos=0), topic_id=4242, msg_id=0, data=b"x"))
    assert client.expect("PUBACK").return_code == INVALID_TOPIC_ID
    _, topic_id, code = client.subscribe(99, 0, topic_id_type=TOPIC_PREDEFINED)
    assert code == INVALID_TOPIC_ID


# ---- uplink: QoS -1/0/1/2 on each topic id type (§6.6 - §6.8) ----------------------------------

TOPIC_KINDS = ["normal", "predefined", "short"]


def uplink_topic(client, kind, suffix):
    """(topic for Client.publish, topic_id_type, name on the broker side)"""
    if kind == "normal":
        name = f"sn/up/{suffix}"
        return register(client, name), TOPIC_NORMAL, name
    if kind == "predefined":
        return 7, TOPIC_PREDEFINED, PREDEFINED[7]
    return "u" + suffix[-1], TOPIC_SHORT_NAME, "u" + suffix[-1]


@pytest.mark.parametrize("qos", [0, 1, 2])
@pytest.mark.parametrize("kind", TOPIC_KINDS)
def test_uplink_publish(sn, paho, kind, qos):
    watcher = paho(f"watch-up-{kind}-{qos}")
    client = sn(f"sn-up-{kind}-{qos}")
    topic, id_type, name = uplink_topic(client, kind, f"{kind}{qos}")
    watcher.subscribe(name, 2)
    payload = f"{kind} qos {qos}".encode()
    result = client.publish(topic, payload, qos=qos, topic_id_type=id_type)
    assert result == (None if qos == 0 else ACCEPTED)
    message = watcher.expect()
    assert (message.topic, message.payload, message.qos) == (name, payload, qos)


@pytest.mark.parametrize("kind", ["predefined", "short"])
def test_uplink_qos_minus_one_without_connection(sn, paho, kind):
    watcher = paho(f"watch-qos3-{kind}")
    name = PREDEFINED[1] if kind == "predefined" else "q3"
    watcher.subscribe(name, 1)
    client = sn()  # never connects
    topic = 1 if kind == "predefined" else "q3"
    id_type = TOPIC_PREDEFINED if kind == "predefined" else TOPIC_SHORT_NAME
    assert client.publish(topic, b"fire and forget", qos=-1, topic_id_type=id_type) is None
    message = watcher.expect()
    assert (message.topic, message.payload, message.qos) == (name, b"fire and forget", 0)


@pytest.mark.broker_config(sn_config({"mqtt.sn.enable_qos3": "off"}))
def test_qos_minus_one_is_dropped_when_disabled(sn, paho):
    watcher = paho("watch-qos3-off")
    watcher.subscribe("q4", 1)
    stranger = sn()
    stranger.publish("q4", b"dropped", qos=-1)
    client = sn("sn-qos3-off")
    client.publish("q4", b"marker", qos=1)
    assert watcher.expect().payload == b"marker"


def test_uplink_retain_flag(sn, paho):
    client = sn("sn-retain")
    client.publish("rt", b"kept", qos=1, retain=True)
    late = paho("late-retain")
    late.subscribe("rt", 1)
    message = late.expect()
    assert (message.payload, message.retain) == (b"kept", 1)


def test_qos2_duplicate_is_delivered_once(sn, paho):
    watcher = paho("watch-dup")
    watcher.subscribe("d2", 2)
    client = sn("sn-dup")
    topic_id = short_name_to_topic_id("d2")
    publish = Message("PUBLISH", flags=Flags(qos=2, topic_id_type=TOPIC_SHORT_NAME),
                      topic_id=topic_id, msg_id=77, data=b"once")
    client.send(publish)
    client.expect("PUBREC", 77)
    publish.flags.dup = True
    client.send(publish)  # our PUBREC was "lost": the device sends again
    client.expect("PUBREC", 77)
    client.send(Message("PUBREL", msg_id=77))
    client.expect("PUBCOMP", 77)
    client.publish("d2", b"marker", qos=2)  # same QoS: paho hands both over in order
    assert watcher.expect_payloads(2) == [b"once", b"marker"]


@pytest.mark.broker_config(sn_config({"zone.external.max_awaiting_rel": "2"}))
def test_congestion_when_the_session_is_full(sn):
    client = sn("sn-congestion")
    flags = Flags(qos=2, topic_id_type=TOPIC_SHORT_NAME)
    for msg_id in (1, 2):
        client.send(Message("PUBLISH", flags=flags, topic_id=short_name_to_topic_id("cg"),
                            msg_id=msg_id, data=b"x"))
        client.expect("PUBREC", msg_id)
    client.send(Message("PUBLISH", flags=flags, topic_id=short_name_to_topic_id("cg"),
                        msg_id=3, data=b"x"))
    assert client.expect("PUBACK", 3).return_code == 1  # CONGESTION
    client.send(Message("PUBREL", msg_id=1))
    client.expect("PUBCOMP", 1)
    assert client.publish("cg", b"room again", qos=2, msg_id=4) == ACCEPTED


# ---- downlink on each topic id type (§6.9, §6.10) ----------------------------------------------

def downlink_subscription(client, kind, suffix, qos):
    """(broker-side topic, expected topic id type, expected topic id)"""
    if kind == "normal":
        name = f"sn/dn/{suffix}"
        _, topic_id = subscribe(client, name, qos)
        assert topic_id > max(PREDEFINED)
        return name, TOPIC_NORMAL, topic_id
    if kind == "predefined":
        _, topic_id = subscribe(client, 1, qos)
        return PREDEFINED[1], TOPIC_PREDEFINED, 1
    name = "d" + suffix[-1]
    subscribe(client, name, qos, topic_id_type=TOPIC_SHORT_NAME)
    return name, TOPIC_SHORT_NAME, short_name_to_topic_id(name)


@pytest.mark.parametrize("qos", [0, 1, 2])
@pytest.mark.parametrize("kind", TOPIC_KINDS)
def test_downlink_publish(sn, paho, kind, qos):
    client = sn(f"sn-dn-{kind}-{qos}")
    name, id_type, topic_id = downlink_subscription(client, kind, f"{kind}{qos}", qos)
    publisher = paho(f"pub-dn-{kind}-{qos}")
    publisher.publish(name, b"to the device", qos)
    publish = next_publish(client)
    assert (publish.flags.topic_id_type, publish.topic_id) == (id_type, topic_id)
    assert (bytes(publish.data), publish.flags.qos) == (b"to the device", qos)
    assert (publish.msg_id != 0) == (qos > 0)
    client.ack_publish(publish)  # QoS 2: PUBREC, PUBREL from the gateway, PUBCOMP
    assert client.pingreq() == []  # nothing resent: the handshake completed


def test_downlink_from_mosquitto_pub(broker, sn):
    client = sn("sn-mosquitto")
    subscribe(client, "sn/cli/t", 1)
    subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(broker.port), "-q", "1",
                    "-t", "sn/cli/t", "-m", "from mosquitto_pub"], check=True, timeout=20)
    assert receive(client, 1) == [("sn/cli/t", b"from mosquitto_pub", 1)]


def test_unsubscribe_stops_deliveries(sn, paho):
    client = sn("sn-unsub")
    subscribe(client, "sn/unsub/a", 1)
    subscribe(client, "sn/unsub/b", 1)
    client.unsubscribe("sn/unsub/a")
    publisher = paho("pub-unsub")
    publisher.publish("sn/unsub/a", b"gone", 1)
    publisher.publish("sn/unsub/b", b"still", 1)
    assert receive(client, 1) == [("sn/unsub/b", b"still", 1)]


def test_wildcard_subscription_registers_each_topic_before_its_first_publish(sn, paho):
    client = sn("sn-wild")
    granted, topic_id = subscribe(client, "sn/wild/#", 1)
    assert (granted, topic_id) == (1, 0)
    publisher = paho("pub-wild")
    publisher.publish("sn/wild/a", b"a1", 1)
    publisher.publish("sn/wild/a", b"a2", 1)
    publisher.publish("sn/wild/b", b"b1", 1)
    register_a = client.expect("REGISTER")
    assert register_a.topic_name == "sn/wild/a" and register_a.topic_id > max(PREDEFINED)
    # Messages wait for the REGACK: the next message is b1's REGISTER at the earliest, never a
    # PUBLISH before this REGISTER is answered.
    assert not [m for m in client.pending if m.type == "PUBLISH"]
    client.ack_register(register_a)
    client.topics[register_a.topic_id] = register_a.topic_name
    assert receive(client, 3) == [("sn/wild/a", b"a1", 1), ("sn/wild/a", b"a2", 1),
                                  ("sn/wild/b", b"b1", 1)]
    assert register_a.topic_id != [k for k, v in client.topics.items() if v == "sn/wild/b"][0]


def test_register_refused_by_the_device_drops_that_topic(sn, paho):
    client = sn("sn-regack-refuse")
    subscribe(client, "sn/refuse/#", 1)
    publisher = paho("pub-refuse")
    publisher.publish("sn/refuse/no", b"dropped", 1)
    publisher.publish("sn/refuse/yes", b"kept", 1)
    refused = client.expect("REGISTER")
    assert refused.topic_name == "sn/refuse/no"
    client.ack_register(refused, return_code=NOT_SUPPORTED)
    assert receive(client, 1) == [("sn/refuse/yes", b"kept", 1)]


def test_puback_invalid_topic_id_triggers_register_and_replay(sn, paho):
    client = sn("sn-replay")
    _, topic_id = subscribe(client, "sn/replay/t", 1)
    paho("pub-replay").publish("sn/replay/t", b"again", 1)
    publish = next_publish(client)
    assert publish.topic_id == topic_id
    client.ack_publish(publish, return_code=INVALID_TOPIC_ID)  # "I do not know that id"
    register_ = client.expect("REGISTER")
    assert register_.topic_name == "sn/replay/t"
    client.ack_register(register_)
    replay = next_publish(client)
    assert (replay.topic_id, bytes(replay.data), replay.msg_id) == (register_.topic_id, b"again",
                                                                     publish.msg_id)
    assert replay.flags.dup
    client.ack_publish(replay)
    assert client.pingreq() == []


@pytest.mark.broker_config(sn_config({"mqtt.sn.mountpoint": "site/%c/"}))
def test_mountpoint(sn, paho):
    watcher = paho("watch-mount")
    watcher.subscribe("site/#", 1)
    client = sn("sn-mount")
    subscribe(client, "cmd", 1)
    client.publish("up", b"reading", qos=1)
    message = watcher.expect()
    assert (message.topic, message.payload) == ("site/sn-mount/up", b"reading")
    watcher.publish("site/sn-mount/cmd", b"switch on", 1)
    assert receive(client, 1) == [("cmd", b"switch on", 1)]


@pytest.mark.broker_config(sn_config({
    "allow_anonymous": "false", "auth.user.password_hash": "plain",
    "auth.user.1.username": "sn-gw", "auth.user.1.password": "secret",
    "mqtt.sn.username": "sn-gw", "mqtt.sn.password": "wrong"}))
def test_gateway_identity_goes_through_authentication(sn):
    client = sn()
    assert client.connect("sn-auth") == NOT_SUPPORTED


@pytest.mark.broker_config(sn_config({
    "allow_anonymous": "false", "auth.user.password_hash": "plain",
    "auth.user.1.username": "sn-gw", "auth.user.1.password": "secret",
    "mqtt.sn.username": "sn-gw", "mqtt.sn.password": "secret"}))
def test_gateway_identity_is_accepted(sn):
    sn("sn-auth-ok")


def test_forwarder_encapsulation(sn):
    """§5.5: a forwarder wraps a device's messages; the answers come back wrapped."""
    from mqttsn_codec import Codec
    client = sn()
    inner = Codec.encode(Message("CONNECT", flags=Flags(clean_session=True), duration=30,
                                 client_id="sn-behind-forwarder"))
    client.send(Message("ENCAPSULATED", ctrl=0, node_id=b"\x0a\x0b", message=inner))
    wrapped = client.recv()
    assert wrapped.type == "ENCAPSULATED" and bytes(wrapped.node_id) == b"\x0a\x0b"
    assert Codec.decode(wrapped.message).type == "CONNACK"
