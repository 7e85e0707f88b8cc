"""MQTT-SN gateway sessions (issue #6): wills, clean and persistent sessions, subs_resume,
sleeping clients, NAT rebinding, takeover by an MQTT client and hostile datagrams, each checked
against a real MQTT client on the broker side."""
import random
import struct

import pytest

from mqttsn_client import (ACCEPTED, TOPIC_SHORT_NAME, Flags, Message,
                           short_name_to_topic_id)
from mqttsn_codec import Codec
from mqttsn_e2e import next_publish, receive, sn, sn_config, subscribe  # noqa: F401

pytestmark = [pytest.mark.gatemq_only, pytest.mark.broker_config(sn_config())]

WILL = {"topic": "sn/will/t", "message": b"gone", "qos": 1}


def wake(client, client_id):
    """PINGREQ with the client id (§6.14), answering everything the gateway sends until PINGRESP:
    returns the PUBLISHes as (topic, payload, qos) and the message types in arrival order."""
    client.send(Message("PINGREQ", client_id=client_id))
    received, seen = [], []
    while True:
        message = client.recv()
        if message is None:
            raise TimeoutError(f"no PINGRESP after {seen}")
        seen.append(message.type)
        if message.type == "PINGRESP":
            return received, seen
        if message.type == "REGISTER":
            client.topics[message.topic_id] = message.topic_name
            client.ack_register(message)
        elif message.type == "PUBLISH":
            received.append((client.topics.get(message.topic_id), bytes(message.data),
                             message.flags.qos))
            client.ack_publish(message, complete=False)  # PUBREL is answered below
        elif message.type == "PUBREL":
            client.ack_pubrel(message)
        else:
            raise AssertionError(f"unexpected {message.type} while awake")


def watch(paho, name, topic):
    watcher = paho(name)
    watcher.subscribe(topic, 1)
    return watcher


def assert_nothing_before_marker(watcher, topic):
    """A marker published now must be the next message: nothing (no will) came before it."""
    watcher.publish(topic, b"marker", 1)
    assert watcher.expect().payload == b"marker"


# ---- wills (§6.3, §6.4) ---------------------------------------------------------------------------

def test_will_is_published_on_keepalive_loss(sn, paho):
    watcher = watch(paho, "watch-will-ka", "sn/will/#")
    client = sn("sn-will-ka", duration=1, will=WILL)
    client.expect("DISCONNECT", timeout=20)  # the gateway gives up on the silent client
    message = watcher.expect(timeout=20)
    assert (message.topic, message.payload, message.qos) == ("sn/will/t", b"gone", 1)


def test_will_is_not_published_on_disconnect(sn, paho):
    watcher = watch(paho, "watch-will-dc", "sn/will/#")
    client = sn("sn-will-dc", duration=1, will=WILL)
    client.disconnect()
    assert_nothing_before_marker(watcher, "sn/will/marker")


def test_will_topic_and_message_updates(sn, paho):
    watcher = watch(paho, "watch-will-upd", "sn/will/#")
    client = sn("sn-will-upd", duration=1, will=WILL)
    assert client.willtopicupd("sn/will/updated", qos=0, retain=False) == ACCEPTED
    assert client.willmsgupd(b"updated message") == ACCEPTED
    message = watcher.expect(timeout=20)
    assert (message.topic, message.payload) == ("sn/will/updated", b"updated message")


def test_empty_willtopicupd_deletes_the_will(sn, paho):
    watcher = watch(paho, "watch-will-del", "sn/will/#")
    client = sn("sn-will-del", duration=1, will=WILL)
    assert client.willtopicupd(None) == ACCEPTED
    client.expect("DISCONNECT", timeout=20)
    assert_nothing_before_marker(watcher, "sn/will/marker")


def test_persistent_session_keeps_its_will(sn, paho):
    watcher = watch(paho, "watch-will-keep", "sn/will/#")
    first = sn("sn-will-keep", clean=False, will=WILL)
    first.disconnect()
    second = sn("sn-will-keep", clean=False, duration=1)  # no will flag: the old will stays
    second.expect("DISCONNECT", timeout=20)
    assert watcher.expect(timeout=20).payload == b"gone"


def test_takeover_by_an_mqtt_client(sn, paho):
    watcher = watch(paho, "watch-takeover", "sn/will/#")
    client = sn("shared-id", will=WILL)
    paho("shared-id")
    client.expect("DISCONNECT")  # told it lost the connection
    assert watcher.expect().payload == b"gone"  # lost abnormally: its will goes out


# ---- clean and persistent sessions, subs_resume ---------------------------------------------------

def test_persistent_session_keeps_subscriptions_and_queues(sn, paho):
    first = sn("sn-persist", clean=False)
    subscribe(first, "sn/persist/t", 1)
    first.disconnect()
    paho("pub-persist").publish("sn/persist/t", b"while away", 1)
    second = sn("sn-persist", clean=False)
    # A new connection has no topic ids yet: REGISTER comes before the PUBLISH.
    assert receive(second, 1) == [("sn/persist/t", b"while away", 1)]


def test_clean_session_starts_empty(sn, paho):
    first = sn("sn-clean", clean=False)
    subscribe(first, "sn/clean/old", 1)
    first.disconnect()
    second = sn("sn-clean", clean=True)
    subscribe(second, "sn/clean/new", 1)
    publisher = paho("pub-clean")
    publisher.publish("sn/clean/old", b"not for the new session", 1)
    publisher.publish("sn/clean/new", b"marker", 1)
    assert receive(second, 1) == [("sn/clean/new", b"marker", 1)]


@pytest.mark.broker_config(sn_config({"mqtt.sn.subs_resume": "on"}))
def test_subs_resume_registers_subscribed_topics_before_queued_messages(sn, paho):
    first = sn("sn-resume", clean=False)
    subscribe(first, "sn/resume/a", 1)
    subscribe(first, "sn/resume/+", 1)  # wildcards cannot be registered: skipped
    first.disconnect()
    paho("pub-resume").publish("sn/resume/a", b"queued", 1)
    second = sn("sn-resume", clean=False)
    register_ = second.recv()
    assert register_.type == "REGISTER" and register_.topic_name == "sn/resume/a"
    second.ack_register(register_)
    second.topics[register_.topic_id] = register_.topic_name
    publishes = []
    while len(publishes) < 2:  # one per matching subscription
        publish = next_publish(second)
        assert publish.topic_id == register_.topic_id  # no second REGISTER was needed
        publishes.append(bytes(publish.data))
        second.ack_publish(publish)
    assert publishes == [b"queued", b"queued"]


@pytest.mark.broker_config(sn_config({"mqtt.sn.subs_resume": "on"}))
def test_subs_resume_registers_even_with_nothing_queued(sn):
    first = sn("sn-resume-idle", clean=False)
    subscribe(first, "sn/resume/idle", 0)
    first.disconnect()
    second = sn("sn-resume-idle", clean=False)
    assert second.expect("REGISTER").topic_name == "sn/resume/idle"


def test_without_subs_resume_topics_are_registered_lazily(sn):
    first = sn("sn-lazy", clean=False)
    subscribe(first, "sn/lazy/t", 0)
    first.disconnect()
    second = sn("sn-lazy", clean=False)
    assert second.pingreq() == []


# ---- sleeping clients (§6.14) ---------------------------------------------------------------------

def test_sleeping_client_gets_queued_qos_1_and_2_before_pingresp(sn, paho):
    client = sn("sn-sleeper")
    subscribe(client, "sn/sleep/q1", 1)
    subscribe(client, "sn/sleep/q2", 2)
    subscribe(client, "sn/sleep/q0", 0)
    assert client.disconnect(duration=30).type == "DISCONNECT"
    publisher = paho("pub-sleep")
    publisher.publish("sn/sleep/q1", b"one", 1)
    publisher.publish("sn/sleep/q2", b"two", 2)
    publisher.publish("sn/sleep/q0", b"zero", 1)  # acknowledged: routed before the wake-up
    received, seen = wake(client, "sn-sleeper")
    assert received == [("sn/sleep/q1", b"one", 1), ("sn/sleep/q2", b"two", 2),
                        ("sn/sleep/q0", b"zero", 0)]
    # The QoS 2 handshake finished (PUBREL answered with PUBCOMP) before PINGRESP.
    assert "PUBREL" in seen and seen[-1] == "PINGRESP"
    # Back asleep; nothing left to send on the next wake-up.
    assert wake(client, "sn-sleeper") == ([], ["PINGRESP"])


def test_sleeping_client_with_wildcard_subscription(sn, paho):
    client = sn("sn-sleep-wild")
    subscribe(client, "sn/sleepw/#", 2)
    client.disconnect(duration=30)
    publisher = paho("pub-sleep-wild")
    publisher.publish("sn/sleepw/x", b"x", 2)
    publisher.publish("sn/sleepw/y", b"y", 1)
    received, seen = wake(client, "sn-sleep-wild")
    assert received == [("sn/sleepw/x", b"x", 2), ("sn/sleepw/y", b"y", 1)]
    assert seen.index("REGISTER") < seen.index("PUBLISH")


def test_sleep_timer_expiry_publishes_the_will(sn, paho):
    watcher = watch(paho, "watch-sleep-will", "sn/will/#")
    client = sn("sn-sleep-will", will=WILL)
    client.disconnect(duration=1)
    assert watcher.expect(timeout=20).payload == b"gone"
    # The client was lost: waking it is refused.
    client.send(Message("PINGREQ", client_id="sn-sleep-will"))
    client.expect("DISCONNECT")


def test_keepalive_does_not_end_a_sleeping_client(sn, paho):
    watcher = watch(paho, "watch-sleep-ka", "sn/will/#")
    client = sn("sn-sleep-ka", duration=1, will=WILL)  # keepalive 1 s: would be lost in 1.5 s
    subscribe(client, "sn/sleepka/t", 1)
    client.disconnect(duration=60)
    import time
    time.sleep(4)  # well past the keepalive, well inside the sleep duration
    paho("pub-sleep-ka").publish("sn/sleepka/t", b"still here", 1)
    received, _ = wake(client, "sn-sleep-ka")
    assert received == [("sn/sleepka/t", b"still here", 1)]
    assert_nothing_before_marker(watcher, "sn/will/marker")


def test_connect_while_asleep_resumes(sn, paho):
    client = sn("sn-sleep-connect")
    subscribe(client, "sn/sleepc/t", 1)
    client.disconnect(duration=30)
    paho("pub-sleep-connect").publish("sn/sleepc/t", b"waiting", 1)
    assert client.connect("sn-sleep-connect", clean=False) == ACCEPTED
    assert receive(client, 1) == [("sn/sleepc/t", b"waiting", 1)]
    assert client.pingreq() == []  # active again: a plain PINGREQ is answered at once


# ---- addresses: NAT rebinding and reused addresses ------------------------------------------------

def test_sleeper_waking_from_a_new_port_keeps_its_session(sn, paho):
    client = sn("sn-nat")
    subscribe(client, "sn/nat/t", 2)
    client.disconnect(duration=30)
    paho("pub-nat").publish("sn/nat/t", b"after rebinding", 2)
    old_port = client.local_port
    assert client.rebind() != old_port  # the NAT gave the device a new source port
    received, _ = wake(client, "sn-nat")
    assert received == [("sn/nat/t", b"after rebinding", 2)]


def test_active_client_reconnecting_from_a_new_port_keeps_its_session(sn, paho):
    client = sn("sn-nat-active", clean=False)
    subscribe(client, "sn/nata/t", 1)
    client.rebind()
    assert client.connect("sn-nat-active", clean=False) == ACCEPTED
    paho("pub-nat-active").publish("sn/nata/t", b"new address", 1)
    assert receive(client, 1) == [("sn/nata/t", b"new address", 1)]


def test_other_client_id_on_a_reused_address_gets_a_fresh_session(sn, paho):
    old = sn("sn-addr-old")
    subscribe(old, "sn/addr/old", 1)
    old.disconnect(duration=60)
    port = old.local_port
    old.close()
    paho("pub-addr").publish("sn/addr/old", b"for the old client only", 1)
    new = sn("sn-addr-new", local_port=port)  # the address is reused by another device
    assert new.pingreq() == []  # none of the old client's messages
    old.rebind()  # the old client comes back from elsewhere, by client id
    received, _ = wake(old, "sn-addr-old")
    assert received == [("sn/addr/old", b"for the old client only", 1)]


# ---- hostile datagrams -----------------------------------------------------------------------------

def hostile_datagrams():
    rng = random.Random(1234)
    connect = Codec.encode(Message("CONNECT", flags=Flags(clean_session=True), duration=10,
                                   client_id="sn-fuzz"))
    datagrams = [
        b"", b"\x00", b"\x01", b"\x01\x00", b"\x01\x00\x05\x04", b"\x02", b"\x05\x04",
        b"\xff" * 3, connect[:-3], connect + b"extra", bytes([len(connect) + 5]) + connect[1:],
        b"\x02\x03", b"\x03\x11\x00",  # reserved types
        b"\x06\x04\x04\x02\x00\x0a",  # CONNECT with protocol id 2
        b"\x07\x12\x03\x00\x01\x00\x01",  # SUBSCRIBE with the reserved topic id type
        b"\x03\xfe\x00",  # ENCAPSULATED without an inner message
        b"\x03\xfe\x00" + b"\x03\xfe\x00\x02\x16",  # ENCAPSULATED inside ENCAPSULATED
        b"\x01\xff\xff\x0c" + b"\x00" * 100,  # long form claiming 65535 bytes
        bytes(rng.getrandbits(8) for _ in range(60000)),
    ]
    for _ in range(1500):
        size = rng.randint(2, 40)
        body = bytes(rng.getrandbits(8) for _ in range(size - 2))
        datagrams.append(bytes([size, rng.choice([0x04, 0x0A, 0x0C, 0x12, 0x16, 0x18, 0x1A,
                                                  rng.getrandbits(8)])]) + body)
        datagrams.append(bytes(rng.getrandbits(8) for _ in range(size)))
    return datagrams


def test_malformed_datagrams_never_break_the_gateway(sn, paho):
    connected = sn("sn-victim")
    subscribe(connected, "sn/fuzz/t", 1)
    attacker = sn()
    for datagram in hostile_datagrams():
        attacker.send_raw(datagram)
    # A connected client's undecodable datagrams are dropped; its connection stays.
    for datagram in (b"\x00", b"\x04\x0c\x00", b"\x01\x00\x03\x0c", b"\x03\x99\x00"):
        connected.send_raw(datagram)
    # The flood may overrun the socket's receive buffer (UDP drops, it does not block): like a
    # real device, PINGREQ again until the gateway has caught up.
    for _ in range(20):
        try:
            assert connected.pingreq(timeout=3) == []
            break
        except TimeoutError:
            continue
    else:
        raise TimeoutError("the gateway never answered PINGREQ after the flood")
    # Everything still works, both ways.
    watcher = watch(paho, "watch-fuzz", "fz")
    assert connected.publish("fz", b"ok", qos=1) == ACCEPTED
    assert watcher.expect().payload == b"ok"
    paho("pub-fuzz").publish("sn/fuzz/t", b"down", 1)
    assert receive(connected, 1) == [("sn/fuzz/t", b"down", 1)]
    fresh = sn("sn-after-fuzz")
    topic_id = short_name_to_topic_id("af")
    fresh.send(Message("PUBLISH", flags=Flags(qos=1, topic_id_type=TOPIC_SHORT_NAME),
                       topic_id=topic_id, msg_id=5, data=b"after"))
    assert fresh.expect("PUBACK", 5).return_code == ACCEPTED
    assert struct.pack("!H", topic_id) == b"af"


def test_message_unacknowledged_before_sleep_is_sent_again_on_wake(sn, paho):
    client = sn("sn-sleep-unacked")
    subscribe(client, "sn/sleepu/t", 1)
    paho("pub-sleep-unacked").publish("sn/sleepu/t", b"ack me later", 1)
    first = next_publish(client)  # not acknowledged
    client.disconnect(duration=30)
    client.send(Message("PINGREQ", client_id="sn-sleep-unacked"))
    again = next_publish(client)
    assert (again.msg_id, bytes(again.data), again.flags.dup) == (first.msg_id, b"ack me later",
                                                                   True)
    client.ack_publish(again)
    client.expect("PINGRESP")
