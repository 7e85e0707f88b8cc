"""LwM2M gateway (gateways/lwm2m, issue #8) end to end: the device simulator (lwm2m_device.py)
registers with the real broker while an MQTT client (paho) watches the up topics and sends
commands on the command topic; every published JSON document is asserted exactly."""
import json
import socket
import time

import pytest

from coap_raw import CON, DELETE, POST, encode
from lwm2m_app import device, mqtt, registered  # noqa: F401 (fixtures)
from lwm2m_device import (BAD_REQUEST, CHANGED, CREATED, DELETED, LINK_FORMAT, NOT_FOUND,
                          OMA_JSON, TEXT, TLV)

pytestmark = pytest.mark.gatemq_only

UNSUPPORTED_CONTENT_FORMAT = 0x8F


def wait_for_log(broker, text, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in broker.log():
            return
        time.sleep(0.05)
    raise AssertionError(f"{text!r} not in the broker log")


# ---- registration interface ---------------------------------------------------------------------

def test_register_answers_created_and_publishes_the_registration(broker, mqtt, device):
    dev = device("dev1", lifetime=300)
    response = dev.register()
    assert response.code == CREATED
    assert dev.location[0] == "rd" and len(dev.location) == 2 and dev.location[1]
    assert mqtt.expect_json("lwm2m/dev1/up/resp") == {
        "msgType": "register",
        "data": {"ep": "dev1", "lt": 300, "lwm2m": "1.0", "b": "U", "alternatePath": "/",
                 "objectList": ["/1/0", "/3/0", "/5/0", "/3303/0"]}}
    wait_for_log(broker, "connected through the lwm2m gateway")


def test_registration_refusals(broker, mqtt, device):
    dev = device("dev1")
    # Missing ep, bad ep, lifetime below lwm2m.lifetime_min, bad link format, wrong format.
    assert dev.request(POST, ["rd"], ["lt=300"], b"</3/0>", LINK_FORMAT).code == BAD_REQUEST
    assert dev.request(POST, ["rd"], ["ep=a/b"], b"</3/0>", LINK_FORMAT).code == BAD_REQUEST
    assert dev.request(POST, ["rd"], ["ep=x", "ep=y"], b"", LINK_FORMAT).code == BAD_REQUEST
    assert dev.request(POST, ["rd"], ["ep=x", "lt=0"], b"</3/0>", LINK_FORMAT).code == BAD_REQUEST
    assert dev.request(POST, ["rd"], ["ep=x", "lt=abc"], b"", LINK_FORMAT).code == BAD_REQUEST
    assert dev.request(POST, ["rd"], ["ep=x"], b"</3/0", LINK_FORMAT).code == BAD_REQUEST
    assert dev.request(POST, ["rd"], ["ep=x"], b"</3/0/1/2>", LINK_FORMAT).code == BAD_REQUEST
    assert dev.request(POST, ["rd"], ["ep=x"], b"</3/0>", TEXT).code == UNSUPPORTED_CONTENT_FORMAT
    # Unknown registrations.
    assert dev.request(POST, ["rd", "nope"], ["lt=300"]).code == NOT_FOUND
    assert dev.request(DELETE, ["rd", "nope"]).code == NOT_FOUND
    assert dev.request(POST, ["elsewhere"]).code == NOT_FOUND
    # Nothing was registered or published meanwhile: the next message is this registration.
    registered(device, mqtt, "dev2")


def test_hostile_datagrams_leave_the_gateway_working(broker, mqtt, device):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for garbage in (b"", b"\x00", b"\xff" * 40, b"\x40\x02\x00", bytes(range(256)),
                        encode(CON, POST, 7, b"tok", [(11, b"rd"), (15, b"ep=\xff\xfe")], b"")):
            sock.sendto(garbage, ("127.0.0.1", broker.lwm2m_port))
    registered(device, mqtt, "dev1")


def test_random_registration_requests_do_not_hurt(broker, mqtt, device):
    """Well-formed CoAP, hostile LwM2M: random queries, paths, methods and payloads."""
    import random
    rng = random.Random(8)
    pieces = [b"ep=", b"lt=", b"lwm2m=", b"b=", b"Q", b"ep=\x00", b"lt=-5", b"b=UQ", b"=",
              b"\xff", b"ep=" + b"x" * 300, b"lt=18446744073709551616"]
    payloads = [b"", b"<", b"</>", b"</3/0>,,", b"\xc3\x28", b'</a>;rt="oma.lwm2m",</a/3>',
                b"<" * 500, b'"' * 10, bytes(rng.randrange(256) for _ in range(200))]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for mid in range(400):
            options = [(11, b"rd")] + [(11, rng.choice([b"x", b"", b"\xff" * 3]))
                                       for _ in range(rng.randrange(2))]
            options += [(15, rng.choice(pieces) + rng.choice([b"", b"dev", b"1", b"1.0"]))
                        for _ in range(rng.randrange(5))]
            if rng.random() < 0.3:
                options.append((12, bytes([rng.randrange(256)])))
            datagram = encode(rng.choice([0, 1]), rng.choice([1, 2, 3, 4, 5, 0x45]), mid,
                              rng.randbytes(rng.randrange(9)), options, rng.choice(payloads))
            sock.sendto(datagram, ("127.0.0.1", broker.lwm2m_port))
    dev = device("dev1")
    assert dev.register().code == CREATED
    while True:  # random requests may have registered endpoints too ("ep=1")
        message = mqtt.expect()
        if message.topic == "lwm2m/dev1/up/resp":
            break
    response = mqtt.command("dev1", {"reqID": 1, "msgType": "read", "data": {"path": "/3/0/9"}})
    assert response["data"]["code"] == "2.05"


def test_update_publishes_only_with_an_object_list(broker, mqtt, device):
    dev = registered(device, mqtt)
    assert dev.update(lifetime=600).code == CHANGED  # no object list: nothing published
    assert dev.update(binding="UQ", objects=True).code == CHANGED
    assert mqtt.expect_json("lwm2m/dev1/up/resp") == {
        "msgType": "update",
        "data": {"ep": "dev1", "lt": 600, "lwm2m": "1.0", "b": "UQ", "alternatePath": "/",
                 "objectList": ["/1/0", "/3/0", "/5/0", "/3303/0"]}}
    assert dev.update(extra_query=["lt=0"]).code == BAD_REQUEST
    assert dev.update(extra_query=["ep=other"]).code == BAD_REQUEST


@pytest.mark.broker_config({"lwm2m.update_msg_publish_condition": "always",
                            "lwm2m.topics.update": "lwm2m/%e/up/update"})
def test_update_publish_condition_always(broker, mqtt, device):
    dev = registered(device, mqtt)
    assert dev.update(lifetime=120).code == CHANGED
    message = mqtt.expect_json("lwm2m/dev1/up/update")
    assert message["msgType"] == "update" and message["data"]["lt"] == 120


def test_deregister_disconnects_the_client(broker, mqtt, device):
    dev = registered(device, mqtt)
    location = dev.location
    assert dev.deregister().code == DELETED
    wait_for_log(broker, "disconnected from the lwm2m gateway: lwm2m deregistration")
    assert dev.request(POST, location).code == NOT_FOUND


def test_lifetime_expiry_ends_the_registration(broker, mqtt, device):
    dev = registered(device, mqtt, lifetime=1)
    wait_for_log(broker, "disconnected from the lwm2m gateway: lwm2m registration lifetime expired")
    assert dev.update().code == NOT_FOUND


def test_registering_again_replaces_the_registration(broker, mqtt, device):
    first = registered(device, mqtt)
    old_location = first.location
    second = registered(device, mqtt)
    assert second.location != old_location
    assert first.request(POST, old_location).code == NOT_FOUND
    response = mqtt.command("dev1", {"reqID": 1, "msgType": "read", "data": {"path": "/3/0/9"}})
    assert response["data"]["code"] == "2.05"
    assert second.wait_for_request(method="GET", path="/3/0/9")
    assert not first.requests


def test_alternate_path(broker, mqtt, device):
    dev = device("alt", alternate_path="/lwm2m")
    assert dev.register().code == CREATED
    message = mqtt.expect_json("lwm2m/alt/up/resp")
    assert message["data"]["alternatePath"] == "/lwm2m"
    assert message["data"]["objectList"] == ["/1/0", "/3/0", "/5/0", "/3303/0"]
    response = mqtt.command("alt", {"reqID": 3, "msgType": "read", "data": {"path": "/3/0/2"}})
    assert response["data"]["content"] == [{"path": "/3/0/2", "value": "SN-0001"}]
    assert dev.wait_for_request(path="/lwm2m/3/0/2")


# ---- commands -----------------------------------------------------------------------------------

def test_read_a_resource(broker, mqtt, device):
    registered(device, mqtt)
    response = mqtt.command("dev1", {"reqID": 1, "msgType": "read", "data": {"path": "/3/0/0"},
                                     "extra": {"kept": True}})
    assert response == {"reqID": 1, "msgType": "read", "extra": {"kept": True},
                        "data": {"reqPath": "/3/0/0", "code": "2.05", "codeMsg": "content",
                                 "content": [{"path": "/3/0/0", "value": "gatemq-sim"}]}}


@pytest.mark.parametrize("name, read_format", [("tlv", TLV), ("json", OMA_JSON)])
def test_read_an_instance(broker, mqtt, device, name, read_format):
    dev = registered(device, mqtt)
    response = mqtt.command("dev1", {"reqID": "r2", "msgType": "read",
                                     "data": {"path": "/1/0", "format": name}})
    assert dev.wait_for_request(method="GET", path="/1/0").accept == read_format
    assert response == {"reqID": "r2", "msgType": "read",
                        "data": {"reqPath": "/1/0", "code": "2.05", "codeMsg": "content",
                                 "content": [{"path": "/1/0/0", "value": 101},
                                             {"path": "/1/0/1", "value": 300},
                                             {"path": "/1/0/6", "value": False},
                                             {"path": "/1/0/7", "value": "U"}]}}


def test_read_a_multiple_resource_and_a_missing_one(broker, mqtt, device):
    registered(device, mqtt)
    response = mqtt.command("dev1", {"reqID": 4, "msgType": "read", "data": {"path": "/3/0/7"}})
    assert response["data"]["content"] == [{"path": "/3/0/7/0", "value": 3800},
                                           {"path": "/3/0/7/1", "value": 5000}]
    response = mqtt.command("dev1", {"reqID": 5, "msgType": "read", "data": {"path": "/3/1/0"}})
    assert response == {"reqID": 5, "msgType": "read",
                        "data": {"reqPath": "/3/1/0", "code": "4.04", "codeMsg": "not_found"}}


def test_write_single_and_batch(broker, mqtt, device):
    dev = registered(device, mqtt)
    response = mqtt.command("dev1", {"reqID": 6, "msgType": "write",
                                     "data": {"path": "/3/0/14", "type": "String",
                                              "value": "+02:00"}})
    assert response == {"reqID": 6, "msgType": "write",
                        "data": {"reqPath": "/3/0/14", "code": "2.04", "codeMsg": "changed"}}
    assert dev.get_value("/3/0/14") == "+02:00"
    request = dev.wait_for_request(method="PUT", path="/3/0/14")
    assert request.content_format == TEXT and request.payload == b"+02:00"

    response = mqtt.command("dev1", {"reqID": 7, "msgType": "write",
                                     "data": {"basePath": "/1/0",
                                              "content": [{"path": "1", "value": "600"},
                                                          {"path": "/1/0/7", "type": "String",
                                                           "value": "UQ"}]}})
    assert response == {"reqID": 7, "msgType": "write",
                        "data": {"reqPath": "/1/0", "code": "2.04", "codeMsg": "changed"}}
    assert (dev.get_value("/1/0/1"), dev.get_value("/1/0/7")) == (600, "UQ")
    assert dev.wait_for_request(method="POST", path="/1/0").content_format == TLV

    # The device refuses a write to a read-only resource: its code is published.
    response = mqtt.command("dev1", {"reqID": 8, "msgType": "write",
                                     "data": {"path": "/3/0/9", "value": 5}})
    assert response["data"] == {"reqPath": "/3/0/9", "code": "4.05",
                                "codeMsg": "method_not_allowed"}


def test_execute_discover_and_write_attributes(broker, mqtt, device):
    dev = registered(device, mqtt)
    response = mqtt.command("dev1", {"reqID": 9, "msgType": "execute",
                                     "data": {"path": "/3/0/4", "args": "0='now',1"}})
    assert response == {"reqID": 9, "msgType": "execute",
                        "data": {"reqPath": "/3/0/4", "code": "2.04", "codeMsg": "changed"}}
    assert dev.executions[0].path == "/3/0/4"
    assert dev.executions[0].arguments == {0: "now", 1: None}

    response = mqtt.command("dev1", {"reqID": 10, "msgType": "write-attr",
                                     "data": {"path": "/3/0/9", "pmin": 10, "pmax": "60",
                                              "gt": 50.5}})
    assert response["data"] == {"reqPath": "/3/0/9", "code": "2.04", "codeMsg": "changed"}
    assert dev.attributes[(3, 0, 9)] == {"pmin": "10", "pmax": "60", "gt": "50.5"}

    response = mqtt.command("dev1", {"reqID": 11, "msgType": "discover",
                                     "data": {"path": "/3/0/9"}})
    assert response == {"reqID": 11, "msgType": "discover",
                        "data": {"reqPath": "/3/0/9", "code": "2.05", "codeMsg": "content",
                                 "content": ["</3/0/9>;pmin=10;pmax=60;gt=50.5"]}}
    response = mqtt.command("dev1", {"reqID": 12, "msgType": "discover",
                                     "data": {"path": "/1/0"}})
    assert response["data"]["content"] == ["</1/0>", "</1/0/0>", "</1/0/1>", "</1/0/6>",
                                           "</1/0/7>", "</1/0/8>"]


def test_observe_notify_and_cancel(broker, mqtt, device):
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
    dev.set_value("/3/0/9", 70, notify=True)
    assert mqtt.expect_json("lwm2m/dev1/up/notify")["seqNum"] == 3

    response = mqtt.command("dev1", {"reqID": 21, "msgType": "cancel-observe",
                                     "data": {"path": "/3/0/9"}})
    assert response["data"] == {"reqPath": "/3/0/9", "code": "2.05", "codeMsg": "content",
                                "content": [{"path": "/3/0/9", "value": 70}]}
    assert not dev.observers, [(r.token, r.mid, r.type) for r in dev.requests]
    cancel = dev.wait_for_request(method="GET", predicate=lambda r: r.observe == 1)
    observe = dev.wait_for_request(method="GET", predicate=lambda r: r.observe == 0)
    assert cancel.token == observe.token, "cancelled with the observation's token"


def test_bad_commands_are_answered_with_4_00(broker, mqtt, device):
    dev = registered(device, mqtt)
    assert mqtt.command("dev1", b"{not json") == {
        "data": {"reqPath": "", "code": "4.00", "codeMsg": "bad_request"}}
    no_xml = {"reqID": 30, "msgType": "read", "data": {"path": "/3303/0/5700"}}
    assert mqtt.command("dev1", no_xml) == {
        "reqID": 30, "msgType": "read",
        "data": {"reqPath": "/3303/0/5700", "code": "4.00", "codeMsg": "bad_request"}}
    for document in (
            {"reqID": 31, "msgType": "teleport", "data": {"path": "/3/0/1"}},
            {"reqID": 31, "msgType": "read", "data": {"path": "/3//0"}},
            {"reqID": 31, "msgType": "read"},
            {"reqID": 31, "msgType": ["read"], "data": {"path": "/3/0/1"}},
            {"reqID": 31, "msgType": "write", "data": {"path": "/3/0/13", "value": "soon"}},
            {"reqID": 31, "msgType": "write", "data": {"basePath": "/3/0", "content": []}},
            {"reqID": 31, "msgType": "execute", "data": {"path": "/3/0", "args": 5}},
            {"reqID": 31, "msgType": "write-attr", "data": {"path": "/3/0/9", "pmin": -1}}):
        response = mqtt.command("dev1", document)
        assert response["data"]["code"] == "4.00", document
        assert {k: v for k, v in response.items() if k != "data"} == \
            {k: v for k, v in document.items() if k != "data"}
    assert mqtt.command("dev1", "[" * 60000)["data"]["code"] == "4.00"
    assert not dev.requests, "nothing reached the device"


@pytest.mark.broker_config({"lwm2m.ack_timeout": "200ms", "lwm2m.max_retransmit": "1"})
def test_a_device_that_never_answers_gets_a_timeout_response(broker, mqtt, device):
    dev = registered(device, mqtt)
    dev.sleep()
    response = mqtt.command("dev1", {"reqID": 40, "msgType": "read", "data": {"path": "/3/0/0"}})
    assert response == {"reqID": 40, "msgType": "read",
                        "data": {"reqPath": "/3/0/0", "code": "5.04",
                                 "codeMsg": "gateway_timeout"}}


@pytest.mark.broker_config({"lwm2m.topics.command": "lwm2m/%e/command",
                            "lwm2m.topics.response": "lwm2m/%e/resp",
                            "lwm2m.topics.register": "lwm2m/%e/register"})
def test_the_lwm2m_chapter_topic_layout(broker, mqtt, device):
    device_ = device("dev9")
    assert device_.register().code == CREATED
    assert mqtt.expect_json("lwm2m/dev9/register")["msgType"] == "register"
    mqtt.publish("lwm2m/dev9/command",
                 json.dumps({"reqID": 1, "msgType": "read", "data": {"path": "/3/0/1"}}), qos=1)
    assert mqtt.expect_json("lwm2m/dev9/resp")["data"]["content"] == [
        {"path": "/3/0/1", "value": "sim-1"}]


# ---- create / delete, with an operator-supplied object definition --------------------------------

TEMPERATURE_XML = """<?xml version="1.0" encoding="UTF-8"?>
<LWM2M>
  <Object ObjectType="MODefinition">
    <Name>Temperature</Name>
    <ObjectID>3303</ObjectID>
    <ObjectURN>urn:oma:lwm2m:ext:3303</ObjectURN>
    <MultipleInstances>Multiple</MultipleInstances>
    <Mandatory>Optional</Mandatory>
    <Resources>
      <Item ID="5700"><Name>Sensor Value</Name><Operations>R</Operations>
        <MultipleInstances>Single</MultipleInstances><Mandatory>Mandatory</Mandatory>
        <Type>Float</Type></Item>
      <Item ID="5701"><Name>Sensor Units</Name><Operations>RW</Operations>
        <MultipleInstances>Single</MultipleInstances><Mandatory>Optional</Mandatory>
        <Type>String</Type></Item>
    </Resources>
  </Object>
</LWM2M>
"""


@pytest.fixture
def extra_objects(tmp_path):
    """lwm2m_xml/ in the broker's working directory (its default xml_dir): the shipped objects
    plus 3303 Temperature. Requested before `broker`, so it exists when the broker starts."""
    import shutil
    from conftest import REPO
    directory = tmp_path / "lwm2m_xml"
    shutil.copytree(REPO / "lwm2m_xml", directory)
    (directory / "temperature.xml").write_text(TEMPERATURE_XML)
    (directory / "broken.xml").write_text("<LWM2M><Object>")  # reported and skipped
    return directory


def test_create_read_and_delete_an_instance(extra_objects, broker, mqtt, device):
    dev = registered(device, mqtt)
    assert "broken.xml" in broker.log()
    response = mqtt.command("dev1", {"reqID": 50, "msgType": "create",
                                     "data": {"basePath": "/3303",
                                              "content": [{"path": "1/5701", "value": "K"}]}})
    assert response == {"reqID": 50, "msgType": "create",
                        "data": {"reqPath": "/3303", "code": "2.01", "codeMsg": "created"}}
    assert dev.get_value("/3303/1/5701") == "K"
    response = mqtt.command("dev1", {"reqID": 51, "msgType": "read",
                                     "data": {"path": "/3303/0"}})
    assert response["data"]["content"] == [{"path": "/3303/0/5700", "value": 21.5},
                                           {"path": "/3303/0/5701", "value": "Cel"}]
    response = mqtt.command("dev1", {"reqID": 52, "msgType": "delete",
                                     "data": {"path": "/3303/1"}})
    assert response == {"reqID": 52, "msgType": "delete",
                        "data": {"reqPath": "/3303/1", "code": "2.02", "codeMsg": "deleted"}}
    assert 1 not in dev.values[3303]


# ---- queue mode and auto-observe -----------------------------------------------------------------

@pytest.mark.broker_config({"lwm2m.qmode_time_window": "0"})
def test_queue_mode_holds_commands_until_the_device_wakes(broker, mqtt, device):
    # A zero window: the device is taken as asleep right after each message it sends.
    dev = registered(device, mqtt, binding="UQ")
    dev.sleep()
    mqtt.publish("lwm2m/dev1/dn/cmd",
                 json.dumps({"reqID": 60, "msgType": "read", "data": {"path": "/3/0/9"}}), qos=1)
    wait_for_log(broker, "held until the device wakes")
    assert dev.wake().code == CHANGED
    assert mqtt.expect_json("lwm2m/dev1/up/resp") == {
        "reqID": 60, "msgType": "read",
        "data": {"reqPath": "/3/0/9", "code": "2.05", "codeMsg": "content",
                 "content": [{"path": "/3/0/9", "value": 95}]}}
    assert not dev.missed, "nothing was sent while the device slept"


@pytest.mark.broker_config({"lwm2m.auto_observe": "/3/0/9, /3303/0"})
def test_auto_observe_after_registration(broker, mqtt, device):
    dev = registered(device, mqtt)
    assert mqtt.expect_json("lwm2m/dev1/up/resp") == {
        "msgType": "observe",
        "data": {"reqPath": "/3/0/9", "code": "2.05", "codeMsg": "content",
                 "content": [{"path": "/3/0/9", "value": 95}]}}
    dev.wait_until(lambda: dev.observers)
    dev.set_value("/3/0/9", 42, notify=True)
    assert mqtt.expect_json("lwm2m/dev1/up/notify") == {
        "msgType": "notify", "seqNum": 2,
        "data": {"reqPath": "/3/0/9", "code": "2.05", "codeMsg": "content",
                 "content": [{"path": "/3/0/9", "value": 42}]}}
    assert [r.path for r in dev.requests] == ["/3/0/9"], "/3303 has no XML: not observed"


@pytest.mark.broker_config({"lwm2m.ack_timeout": "60s"})
def test_commands_in_flight_are_bounded(broker, mqtt, device):
    dev = registered(device, mqtt)
    dev.sleep()  # answers nothing: every read stays in flight
    for number in range(65):
        mqtt.publish("lwm2m/dev1/dn/cmd", json.dumps(
            {"reqID": number, "msgType": "read", "data": {"path": "/3/0/0"}}), qos=1)
    assert mqtt.expect_json("lwm2m/dev1/up/resp") == {
        "reqID": 64, "msgType": "read",
        "data": {"reqPath": "/3/0/0", "code": "5.03", "codeMsg": "service_unavailable"}}


# ---- addresses, placeholders and mountpoint ------------------------------------------------------

def test_an_update_from_a_new_address_moves_the_registration(broker, mqtt, device):
    first = registered(device, mqtt)
    moved = device("dev1")  # the same device behind a new NAT binding: another source port
    moved.location = first.location
    assert moved.update().code == CHANGED
    response = mqtt.command("dev1", {"reqID": 70, "msgType": "read", "data": {"path": "/3/0/0"}})
    assert response["data"]["code"] == "2.05"
    assert moved.wait_for_request(method="GET", path="/3/0/0")
    assert not first.requests


@pytest.mark.broker_config({"lwm2m.topics.command": "lwm2m/%a/%e/dn/#",
                            "lwm2m.topics.response": "lwm2m/%e/up/resp/%a"})
def test_topic_placeholders(broker, mqtt, device):
    registered(device, mqtt)
    mqtt.publish("lwm2m/127.0.0.1/dev1/dn/x",
                 json.dumps({"reqID": 71, "msgType": "read", "data": {"path": "/3/0/9"}}), qos=1)
    assert mqtt.expect_json("lwm2m/dev1/up/resp/127.0.0.1")["data"]["code"] == "2.05"


@pytest.mark.broker_config({"lwm2m.mountpoint": "site/%e/"})
def test_mountpoint_applies_both_ways(broker, paho, device):
    app = paho("lwm2m-app")
    app.subscribe("site/#", 1)
    dev = device("dev1")
    assert dev.register().code == CREATED
    message = app.expect()
    assert message.topic == "site/dev1/lwm2m/dev1/up/resp"
    app.publish("site/dev1/lwm2m/dev1/dn/cmd",
                json.dumps({"reqID": 72, "msgType": "read", "data": {"path": "/3/0/9"}}), qos=1)
    while (message := app.expect()).topic != "site/dev1/lwm2m/dev1/up/resp":
        pass
    assert json.loads(message.payload)["data"]["content"] == [{"path": "/3/0/9", "value": 95}]


# ---- object definitions reloaded without a restart (gatemq ctl reload, POST /reload, SIGHUP) ----

@pytest.fixture
def shipped_objects(tmp_path):
    """lwm2m_xml/ in the broker's working directory (its default xml_dir) with the shipped
    objects only. Requested before `broker`, so it exists when the broker starts."""
    import shutil
    from conftest import REPO
    directory = tmp_path / "lwm2m_xml"
    shutil.copytree(REPO / "lwm2m_xml", directory)
    return directory


def test_reload_reads_xml_dir_again_without_dropping_devices(shipped_objects, broker, mqtt,
                                                            device):
    """An operator drops a new object definition into xml_dir and reloads: the registered device
    stays, and the next command is typed by the new definition."""
    from mgmt_api import Api
    registered(device, mqtt)
    read = {"reqID": 60, "msgType": "read", "data": {"path": "/3303/0/5700"}}
    assert mqtt.command("dev1", read)["data"]["code"] == "4.00"  # no definition yet

    (shipped_objects / "temperature.xml").write_text(TEMPERATURE_XML)
    api = Api(broker)
    assert "lwm2m.xml_dir" in api.ok("POST", "/reload", {})["data"]["reloaded"]
    assert mqtt.command("dev1", read) == {
        "reqID": 60, "msgType": "read",
        "data": {"reqPath": "/3303/0/5700", "code": "2.05", "codeMsg": "content",
                 "content": [{"path": "/3303/0/5700", "value": 21.5}]}}
    assert [c["clientid"] for c in api.get("/gateways/lwm2m/clients")] == ["dev1"]
    # Nothing changed on disk: nothing to report.
    assert "lwm2m.xml_dir" not in api.ok("POST", "/reload", {})["data"]["reloaded"]
    # An emptied directory is refused, and the definitions in force stay.
    for file in shipped_objects.iterdir():
        file.unlink()
    status, envelope, _ = api.request("POST", "/reload", {})
    assert status == 400 and "no object definitions" in envelope["message"], envelope
    assert mqtt.command("dev1", read)["data"]["code"] == "2.05"
