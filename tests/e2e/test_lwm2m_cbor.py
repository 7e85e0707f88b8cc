"""LwM2M gateway end to end with SenML CBOR (content format 112, LwM2M 1.1 TS §7.4.6): the
device simulator answers reads and observations in SenML CBOR and the gateway publishes the
same JSON it does for the other formats. The device registers as LwM2M 1.1, so the gateway asks
for SenML CBOR (lwm2m.default_format_1_1); it also prefers CBOR unasked (read_format)."""
from dataclasses import replace

import pytest

from lwm2m_app import device, mqtt  # noqa: F401 (fixtures)
from lwm2m_app import registered as register_device
from lwm2m_device import SENML_CBOR

pytestmark = pytest.mark.gatemq_only


def registered(device, mqtt, endpoint="dev1", **kwargs):
    """A LwM2M 1.1 simulator that answers in SenML CBOR, registered."""
    return register_device(device, mqtt, endpoint, version="1.1", read_format=SENML_CBOR,
                           **kwargs)


def make_readable(device, object_id, resource_id):
    definition = device.definitions[object_id]
    resources = dict(definition.resources)
    resources[resource_id] = replace(resources[resource_id], ops="RW")
    device.definitions[object_id] = replace(definition, resources=resources)


# Object 3 instance 0 of the simulator, typed by the gateway's LWM2M_Device XML: strings,
# integers (multiple resources one value per instance) and a Time.
DEVICE_INSTANCE = [
    {"path": "/3/0/0", "value": "gatemq-sim"},
    {"path": "/3/0/1", "value": "sim-1"},
    {"path": "/3/0/2", "value": "SN-0001"},
    {"path": "/3/0/3", "value": "1.0.0"},
    {"path": "/3/0/6/0", "value": 1},
    {"path": "/3/0/6/1", "value": 5},
    {"path": "/3/0/7/0", "value": 3800},
    {"path": "/3/0/7/1", "value": 5000},
    {"path": "/3/0/9", "value": 95},
    {"path": "/3/0/11/0", "value": 0},
    {"path": "/3/0/13", "value": 1700000000},
    {"path": "/3/0/14", "value": "+01:00"},
    {"path": "/3/0/16", "value": "UQ"},
]


def test_read_an_instance_in_senml_cbor(broker, mqtt, device):
    dev = registered(device, mqtt)
    response = mqtt.command("dev1", {"reqID": 1, "msgType": "read", "data": {"path": "/3/0"}})
    assert response == {"reqID": 1, "msgType": "read",
                        "data": {"reqPath": "/3/0", "code": "2.05", "codeMsg": "content",
                                 "content": DEVICE_INSTANCE}}
    # The device really answered in CBOR: an array of 13 records.
    request = dev.wait_for_request(method="GET", path="/3/0")
    assert request.response_payload[:1] == b"\x8d"


def test_read_resources_in_senml_cbor(broker, mqtt, device):
    dev = registered(device, mqtt)
    response = mqtt.command("dev1", {"reqID": 2, "msgType": "read", "data": {"path": "/3/0/9"}})
    assert response == {"reqID": 2, "msgType": "read",
                        "data": {"reqPath": "/3/0/9", "code": "2.05", "codeMsg": "content",
                                 "content": [{"path": "/3/0/9", "value": 95}]}}
    # [{-2: "/3/0/9", 2: 95}]
    assert dev.wait_for_request(method="GET", path="/3/0/9").response_payload == \
        bytes.fromhex("81 a2 21 66") + b"/3/0/9" + bytes.fromhex("02 18 5f")

    response = mqtt.command("dev1", {"reqID": 3, "msgType": "read", "data": {"path": "/3/0/7"}})
    assert response["data"]["content"] == [{"path": "/3/0/7/0", "value": 3800},
                                           {"path": "/3/0/7/1", "value": 5000}]
    response = mqtt.command("dev1", {"reqID": 4, "msgType": "read", "data": {"path": "/3/0/0"}})
    assert response["data"]["content"] == [{"path": "/3/0/0", "value": "gatemq-sim"}]

    # Opaque travels as a CBOR byte string (vd) and reaches MQTT as base64.
    make_readable(dev, 5, 0)
    dev.set_value("/5/0/0", b"\x00\xff\x10")
    response = mqtt.command("dev1", {"reqID": 5, "msgType": "read", "data": {"path": "/5/0/0"}})
    assert response == {"reqID": 5, "msgType": "read",
                        "data": {"reqPath": "/5/0/0", "code": "2.05", "codeMsg": "content",
                                 "content": [{"path": "/5/0/0", "value": "AP8Q"}]}}


def test_observe_notifications_in_senml_cbor(broker, mqtt, device):
    dev = registered(device, mqtt)
    response = mqtt.command("dev1", {"reqID": 20, "msgType": "observe",
                                     "data": {"path": "/3/0/9"}})
    assert response == {"reqID": 20, "msgType": "observe",
                        "data": {"reqPath": "/3/0/9", "code": "2.05", "codeMsg": "content",
                                 "content": [{"path": "/3/0/9", "value": 95}]}}
    dev.wait_until(lambda: dev.observers)
    assert dev.set_value("/3/0/9", 80, notify=True) == 1
    assert mqtt.expect_json("lwm2m/dev1/up/notify") == {
        "reqID": 20, "msgType": "notify", "seqNum": 2,
        "data": {"reqPath": "/3/0/9", "code": "2.05", "codeMsg": "content",
                 "content": [{"path": "/3/0/9", "value": 80}]}}


def test_observe_an_instance_in_senml_cbor(broker, mqtt, device):
    dev = registered(device, mqtt)
    response = mqtt.command("dev1", {"reqID": 30, "msgType": "observe",
                                     "data": {"path": "/3/0"}})
    assert response["data"] == {"reqPath": "/3/0", "code": "2.05", "codeMsg": "content",
                                "content": DEVICE_INSTANCE}
    dev.wait_until(lambda: dev.observers)
    assert dev.set_value("/3/0/14", "+02:00", notify=True) == 1
    changed = [dict(item, value="+02:00") if item["path"] == "/3/0/14" else item
               for item in DEVICE_INSTANCE]
    assert mqtt.expect_json("lwm2m/dev1/up/notify") == {
        "reqID": 30, "msgType": "notify", "seqNum": 2,
        "data": {"reqPath": "/3/0", "code": "2.05", "codeMsg": "content", "content": changed}}
