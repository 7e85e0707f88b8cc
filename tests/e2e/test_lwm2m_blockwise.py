"""Block-wise transfers (RFC 7959) through the LwM2M gateway end to end: device answers and
notifications in Block2 blocks are reassembled by the gateway (which asks for each next block
itself), registrations and updates in Block1 blocks are collected before they are handled, and
hostile block sequences end cleanly with the gateway still serving."""
import base64

import pytest

from lwm2m_app import device, mqtt, registered  # noqa: F401 (fixtures)
from lwm2m_device import (BLOCK1, CHANGED, CONTINUE, CREATED, LOCATION_PATH, NOT_FOUND, POST,
                          REQUEST_ENTITY_INCOMPLETE, REQUEST_ENTITY_TOO_LARGE, SIZE1, TLV,
                          ResourceDef, parse_block)

pytestmark = pytest.mark.gatemq_only


def read(mqtt, endpoint, path, req_id=1, timeout=10):
    return mqtt.command(endpoint, {"reqID": req_id, "msgType": "read", "data": {"path": path}},
                        timeout=timeout)


def make_package_readable(dev, value):
    dev.definitions[5].resources[0] = ResourceDef(0, "Package", "Opaque", "RW")
    dev.values[5][0][0] = value


# ---- Block2: device answers ----------------------------------------------------------------------

def test_an_object_read_in_blocks_equals_the_unsplit_read(broker, mqtt, device):
    plain = registered(device, mqtt, "plain")
    split = registered(device, mqtt, "split", block_size=16)
    whole = read(mqtt, "plain", "/3")
    assert whole["data"]["code"] == "2.05" and len(whole["data"]["content"]) > 10
    assert read(mqtt, "split", "/3") == whole
    gets = [r for r in split.requests if r.path == "/3"]
    assert len(gets) > 5, "several blocks"
    assert all(r.observe is None for r in gets)
    assert [r for r in plain.requests if r.path == "/3"][0].response_payload == b"".join(
        r.response_payload for r in gets)


def test_a_discover_in_blocks(broker, mqtt, device):
    registered(device, mqtt, "plain")
    registered(device, mqtt, "split", block_size=32)
    document = {"reqID": 2, "msgType": "discover", "data": {"path": "/3"}}
    whole = mqtt.command("plain", document)
    assert whole["data"]["code"] == "2.05"
    assert mqtt.command("split", document) == whole


def test_a_big_opaque_resource_in_blocks(broker, mqtt, device):
    # Too big for one datagram: only block-wise gets it through.
    value = bytes(range(256)) * 12
    split = registered(device, mqtt, "split", block_size=512)
    make_package_readable(split, value)
    assert read(mqtt, "split", "/5/0/0") == {
        "reqID": 1, "msgType": "read",
        "data": {"reqPath": "/5/0/0", "code": "2.05", "codeMsg": "content",
                 "content": [{"path": "/5/0/0", "value": base64.b64encode(value).decode()}]}}
    # A LwM2M 1.0 device is asked for TLV: the value with its TLV header, 512 bytes a block.
    blocks = -(-len(split._encode((5, 0, 0), TLV)) // 512)
    assert len([r for r in split.requests if r.path == "/5/0/0"]) == blocks == 7


def test_an_observation_with_block_wise_notifications(broker, mqtt, device):
    dev = registered(device, mqtt, block_size=32)
    expected = read(mqtt, "dev1", "/3/0")["data"]["content"]
    response = mqtt.command("dev1", {"reqID": 20, "msgType": "observe",
                                     "data": {"path": "/3/0"}})
    assert response == {"reqID": 20, "msgType": "observe",
                        "data": {"reqPath": "/3/0", "code": "2.05", "codeMsg": "content",
                                 "content": expected}}
    dev.wait_until(lambda: dev.observers)
    assert dev.set_value("/3/0/9", 80, notify=True) == 1
    changed = [item if item["path"] != "/3/0/9" else {"path": "/3/0/9", "value": 80}
               for item in expected]
    assert mqtt.expect_json("lwm2m/dev1/up/notify") == {
        "reqID": 20, "msgType": "notify", "seqNum": 2,
        "data": {"reqPath": "/3/0", "code": "2.05", "codeMsg": "content", "content": changed}}
    # The rest of a notification is fetched with plain GETs (RFC 7959 §2.6).
    observe = dev.wait_for_request(method="GET", predicate=lambda r: r.observe == 0)
    later = [r for r in dev.requests if r.path == "/3/0" and r.token != observe.token]
    assert later and all(r.observe is None for r in later)

    response = mqtt.command("dev1", {"reqID": 21, "msgType": "cancel-observe",
                                     "data": {"path": "/3/0"}})
    assert response["data"]["code"] == "2.05"
    assert response["data"]["content"] == changed
    cancel = dev.wait_for_request(method="GET", predicate=lambda r: r.observe == 1)
    assert cancel.token == observe.token, "cancelled with the observation's token"
    assert not dev.observers


# ---- Block1: registrations and updates -----------------------------------------------------------

def test_a_registration_of_200_instances_in_blocks(broker, mqtt, device):
    dev = device("big")
    for instance in range(1, 201):
        dev.add_instance(3303, instance, {5700: 20.0, 5701: "Cel"})
    links = dev.object_links()
    assert len(links) > 2000
    responses = dev.request_blockwise(POST, ["rd"], ["ep=big", "lt=300", "lwm2m=1.0", "b=U"],
                                      links.encode(), 40, 128)
    assert [r.code for r in responses[:-1]] == [CONTINUE] * (len(responses) - 1)
    for num, response in enumerate(responses[:-1]):
        assert parse_block(response.option(BLOCK1)) == (num, True, 3)
    last = responses[-1]
    assert last.code == CREATED
    assert parse_block(last.option(BLOCK1)) == (len(responses) - 1, False, 3)
    assert [v for n, v in last.options if n == LOCATION_PATH][0] == b"rd"
    objects = ["/1/0", "/3/0", "/5/0", "/3303/0"] + [f"/3303/{i}" for i in range(1, 201)]
    assert mqtt.expect_json("lwm2m/big/up/resp") == {
        "msgType": "register",
        "data": {"ep": "big", "lt": 300, "lwm2m": "1.0", "b": "U", "alternatePath": "/",
                 "objectList": objects}}
    # Update in blocks too, then the device is served as usual.
    assert dev.update(objects=True, block1_size=256).code == CHANGED
    update = mqtt.expect_json("lwm2m/big/up/resp")
    assert update["msgType"] == "update" and update["data"]["objectList"] == objects
    assert read(mqtt, "big", "/3/0/0")["data"]["content"] == [
        {"path": "/3/0/0", "value": "gatemq-sim"}]


def test_the_register_helper_sends_blocks(broker, mqtt, device):
    dev = device("helper")
    assert dev.register(block1_size=16).code == CREATED
    assert mqtt.expect_json("lwm2m/helper/up/resp")["data"]["objectList"] == [
        "/1/0", "/3/0", "/5/0", "/3303/0"]
    assert dev.location and dev.location[0] == "rd"


# ---- hostile block sequences ---------------------------------------------------------------------

def test_a_block1_gap_is_refused_with_4_08(broker, mqtt, device):
    dev = device("gap")
    payload = dev.object_links().encode()
    query = ["ep=gap", "lt=300", "lwm2m=1.0", "b=U"]
    responses = dev.request_blockwise(POST, ["rd"], query, payload, 40, 16, order=[0, 2])
    assert [r.code for r in responses] == [CONTINUE, REQUEST_ENTITY_INCOMPLETE]
    # A block with no transfer before it is refused the same way.
    responses = dev.request_blockwise(POST, ["rd"], query, payload, 40, 16, order=[3])
    assert [r.code for r in responses] == [REQUEST_ENTITY_INCOMPLETE]
    assert dev.register(block1_size=32).code == CREATED
    assert mqtt.expect_json("lwm2m/gap/up/resp")["msgType"] == "register"


def test_a_block1_body_over_the_cap_is_refused_with_4_13(broker, mqtt, device):
    dev = device("huge")
    query = ["ep=huge", "lt=300", "lwm2m=1.0", "b=U"]
    responses = dev.request_blockwise(POST, ["rd"], query, b"<" * 1024, 40, 1024,
                                      size1=1 << 20)
    assert responses[0].code == REQUEST_ENTITY_TOO_LARGE
    assert int.from_bytes(responses[0].option(SIZE1), "big") == 64 * 1024
    links = ",".join(f"</3303/{i}>" for i in range(9000)).encode()  # ~100 KiB
    responses = dev.request_blockwise(POST, ["rd"], query, links, 40, 1024)
    assert responses[-1].code == REQUEST_ENTITY_TOO_LARGE
    assert all(r.code == CONTINUE for r in responses[:-1])
    assert dev.register().code == CREATED


def test_a_block2_with_the_wrong_num_ends_the_read(broker, mqtt, device):
    dev = registered(device, mqtt, block_size=16)
    dev.block2_hook = lambda num, more, szx, chunk: (num + 3 if num else 0, more, szx, chunk)
    response = read(mqtt, "dev1", "/3/0")
    assert response["data"]["code"] == "5.02"
    dev.block2_hook = None
    assert read(mqtt, "dev1", "/3/0", 2)["data"]["code"] == "2.05"


def test_a_block2_answer_over_the_cap_ends_the_read(broker, mqtt, device):
    dev = registered(device, mqtt, block_size=1024)
    make_package_readable(dev, bytes(1024 * 1024 + 1))
    response = read(mqtt, "dev1", "/5/0/0", timeout=120)
    assert response["data"]["code"] == "4.13"
    assert "answer over 1048576 bytes" in broker.log()
    make_package_readable(dev, b"small")
    assert read(mqtt, "dev1", "/5/0/0", 2)["data"]["code"] == "2.05"


def test_a_block2_without_more_blocks_of_the_wrong_size(broker, mqtt, device):
    dev = registered(device, mqtt, block_size=16)
    # A middle block shorter than its size is not a block-wise answer.
    dev.block2_hook = lambda num, more, szx, chunk: (num, more, szx,
                                                     chunk[:5] if num == 1 else chunk)
    assert read(mqtt, "dev1", "/3/0")["data"]["code"] == "5.02"
    dev.block2_hook = None
    assert read(mqtt, "dev1", "/3/0", 2)["data"]["code"] == "2.05"


@pytest.mark.broker_config({"lwm2m.ack_timeout": "200ms", "lwm2m.max_retransmit": "1"})
def test_a_device_gone_in_the_middle_of_a_transfer_gets_one_timeout(broker, mqtt, device):
    dev = registered(device, mqtt, block_size=16)

    def vanish(num, more, szx, chunk):
        if num == 2:
            dev.sleep()  # answers this block, then hears nothing more
        return num, more, szx, chunk

    dev.block2_hook = vanish
    response = read(mqtt, "dev1", "/3/0", 40, timeout=30)
    assert response == {"reqID": 40, "msgType": "read",
                        "data": {"reqPath": "/3/0", "code": "5.04",
                                 "codeMsg": "gateway_timeout"}}
    dev.block2_hook = None
    assert dev.wake().code == CHANGED
    assert read(mqtt, "dev1", "/3/0/0", 41)["data"]["code"] == "2.05"
    # One answer per command: nothing else about reqID 40 comes.
    with pytest.raises(Exception):
        mqtt.expect_json("lwm2m/dev1/up/resp", timeout=2)


def test_failed_and_many_block_wise_notifications_leave_nothing_in_flight(broker, mqtt, device):
    dev = registered(device, mqtt, block_size=32)
    response = mqtt.command("dev1", {"reqID": 30, "msgType": "observe",
                                     "data": {"path": "/3/0"}})
    assert response["data"]["code"] == "2.05"
    dev.wait_until(lambda: dev.observers)
    # The rest of a notification that comes wrong is dropped: nothing is published for it.
    dev.block2_hook = lambda num, more, szx, chunk: (num + 1 if num else 0, more, szx, chunk)
    dev.set_value("/3/0/9", 1, notify=True)
    dev.wait_for_request(method="GET", predicate=lambda r: r.observe is None)
    dev.block2_hook = None
    # More block-wise notifications than commands may be in flight (64): each one completed
    # leaves nothing counted, so a command still goes through afterwards.
    for level in range(2, 72):
        dev.set_value("/3/0/9", level, notify=True)
        notify = mqtt.expect_json("lwm2m/dev1/up/notify")
        assert {"path": "/3/0/9", "value": level} in notify["data"]["content"]
    assert read(mqtt, "dev1", "/3/0/0", 31)["data"]["content"] == [
        {"path": "/3/0/0", "value": "gatemq-sim"}]


# ---- Block1: the gateway's own writes ------------------------------------------------------------

def test_a_big_write_goes_in_block1_blocks(broker, mqtt, device):
    dev = registered(device, mqtt)
    value = bytes(range(256)) * 12
    response = mqtt.command("dev1", {"reqID": 60, "msgType": "write",
                                     "data": {"path": "/5/0/0", "type": "Opaque",
                                              "value": base64.b64encode(value).decode()}})
    assert response == {"reqID": 60, "msgType": "write",
                        "data": {"reqPath": "/5/0/0", "code": "2.04", "codeMsg": "changed"}}
    assert dev.get_value("/5/0/0") == value
    puts = [r for r in dev.requests if r.method_name == "PUT" and r.path == "/5/0/0"]
    assert [len(r.payload) for r in puts[:-1]] == [1024, 1024]
    assert puts[-1].payload == value  # the device's record of the whole request
    # A short write stays one datagram.
    mqtt.command("dev1", {"reqID": 61, "msgType": "write",
                          "data": {"path": "/3/0/14", "type": "String", "value": "+03:00"}})
    assert dev.requests[-1].payload == b"+03:00"


def test_a_device_asking_for_smaller_block1_blocks(broker, mqtt, device):
    dev = registered(device, mqtt, block_size=256)
    text = "x" * 2500
    response = mqtt.command("dev1", {"reqID": 62, "msgType": "write",
                                     "data": {"path": "/3/0/14", "type": "String",
                                              "value": text}})
    assert response["data"]["code"] == "2.04"
    assert dev.get_value("/3/0/14") == text
    puts = [r for r in dev.requests if r.method_name == "PUT" and r.path == "/3/0/14"]
    # 1024 first, then the device's 256: 1024 + 5 * 256 + 196.
    assert [len(r.payload) for r in puts[:-1]] == [1024] + [256] * 5
    assert len(puts) == 1 + 5 + 1


def test_block1_outside_the_registration_interface_collects_nothing(broker, mqtt, device):
    dev = device("stray")
    responses = dev.request_blockwise(POST, ["other"], [], b"x" * 64, 40, 16)
    assert [r.code for r in responses] == [NOT_FOUND]
    assert dev.register(block1_size=16).code == CREATED
