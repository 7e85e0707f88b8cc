"""What the LwM2M e2e tests share: the `device` fixture (simulators that close at the end), the
`mqtt` fixture (an application on every lwm2m topic with JSON helpers) and `registered()`.
A test module imports the fixtures by name: `from lwm2m_app import device, mqtt, registered`."""
import json

import pytest

from lwm2m_device import CREATED, Device


@pytest.fixture
def device(broker):
    created = []

    def make(endpoint="dev1", **kwargs):
        made = Device(broker.lwm2m_port, endpoint=endpoint, **kwargs)
        created.append(made)
        return made

    yield make
    for made in created:
        made.close()


def watch_lwm2m(paho):
    """An MQTT application subscribed to lwm2m/#: expect_json(topic) skips the commands it sees
    itself and decodes the next message; command(endpoint, document) sends one and returns the
    answer. Call it after any broker restart, so it does not miss what follows."""
    client = paho("lwm2m-app")
    client.subscribe("lwm2m/#", 1)

    def expect(topic, timeout=10):
        message = client.expect(timeout)
        while "/dn/" in message.topic or message.topic.endswith("/command"):
            message = client.expect(timeout)  # the client's own commands, seen through lwm2m/#
        assert message.topic == topic, (message.topic, message.payload)
        return json.loads(message.payload)

    def command(endpoint, document, topic=None, timeout=10):
        payload = document if isinstance(document, (str, bytes)) else json.dumps(document)
        client.publish(topic or f"lwm2m/{endpoint}/dn/cmd", payload, qos=1)
        return expect(f"lwm2m/{endpoint}/up/resp", timeout)

    client.expect_json = expect
    client.command = command
    return client


@pytest.fixture
def mqtt(paho):
    return watch_lwm2m(paho)


def registered(device, mqtt, endpoint="dev1", **kwargs):
    """A simulator registered as `endpoint`, its register message already taken."""
    made = device(endpoint, **kwargs)
    assert made.register().code == CREATED
    assert mqtt.expect_json(f"lwm2m/{endpoint}/up/resp")["msgType"] == "register"
    return made
