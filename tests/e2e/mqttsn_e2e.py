"""Shared pieces of the MQTT-SN gateway end-to-end tests (test_mqttsn_*.py): the gateway
configuration they run with, a fixture making MQTT-SN clients, and receive helpers that answer
the gateway's REGISTERs the way a device would."""
import time

import pytest

from mqttsn_client import ACCEPTED, Client

PREDEFINED = {1: "sn/pre/one", 7: "sn/pre/seven"}
GATEWAY_ID = 9

BASE_CONFIG = {
    "mqtt.sn.gateway_id": str(GATEWAY_ID),
    "mqtt.sn.enable_qos3": "on",
    "mqtt.sn.idle_timeout": "5s",
    **{f"mqtt.sn.predefined.topic.{id_}": name for id_, name in PREDEFINED.items()},
}


def sn_config(extra=None):
    """The gateway keys every MQTT-SN test uses, plus `extra`."""
    config = dict(BASE_CONFIG)
    config.update(extra or {})
    return config


def wait_for_gateway(port, timeout=20):
    """SEARCHGW until GWINFO: the UDP socket binds with the other listeners, but a TCP connect
    cannot tell when."""
    deadline = time.monotonic() + timeout
    with Client(port=port, timeout=0.2) as probe:
        while True:
            try:
                return probe.searchgw()
            except TimeoutError:
                if time.monotonic() > deadline:
                    raise


@pytest.fixture
def sn(broker):
    """make(client_id=None, clean=True, duration=60, will=None): an MQTT-SN client of this
    broker's gateway, connected (CONNACK accepted) when a client id is given."""
    wait_for_gateway(broker.mqttsn_port)
    made = []

    def make(client_id=None, clean=True, duration=60, will=None, local_port=None):
        client = Client(port=broker.mqttsn_port, local_port=local_port, timeout=10)
        client.topics = {}  # topic id -> name, from SUBACK/REGACK/REGISTER
        made.append(client)
        if client_id is not None:
            assert client.connect(client_id, clean=clean, duration=duration, will=will) == ACCEPTED
        return client

    yield make
    for client in made:
        client.close()


def next_publish(client, ack_registers=True):
    """The next PUBLISH from the gateway. REGISTERs on the way are recorded in client.topics
    and (ack_registers) answered with REGACK; anything else fails the test."""
    while True:
        message = client.recv()
        if message is None:
            raise TimeoutError(f"no PUBLISH (queued: {[m.type for m in client.pending]})")
        if message.type == "REGISTER":
            client.topics[message.topic_id] = message.topic_name
            if ack_registers:
                client.ack_register(message)
            continue
        assert message.type == "PUBLISH", f"expected PUBLISH, got {message}"
        return message


def receive(client, count, ack=True):
    """`count` PUBLISHes as (topic name, payload, qos), each acknowledged (QoS 2 completed)."""
    received = []
    for _ in range(count):
        publish = next_publish(client)
        received.append((client.topics.get(publish.topic_id), bytes(publish.data),
                         publish.flags.qos))
        if ack:
            client.ack_publish(publish)
    return received


def subscribe(client, topic, qos=0, **kwargs):
    """SUBSCRIBE that must be accepted; records the topic id for normal names."""
    granted, topic_id, code = client.subscribe(topic, qos, **kwargs)
    assert code == ACCEPTED, f"SUBACK return code {code}"
    if isinstance(topic, str) and topic_id:
        client.topics[topic_id] = topic
    return granted, topic_id


def register(client, topic):
    topic_id = client.register(topic)
    client.topics[topic_id] = topic
    return topic_id
