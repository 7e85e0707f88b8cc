"""Content formats per device (issue #26): the gateway asks a LwM2M 1.0 device for TLV and a 1.1
device for SenML CBOR (lwm2m.default_format_1_1) with the Accept option of reads and
observations, writes batches in that format, and a command may name its own (data.format). The
1.1 device is the simulator in its stock-Wakaama mode (has_tlv=False): no TLV, and 5.00 for a read
without Accept, which is what every read got before."""
import pytest

from lwm2m_app import device, mqtt, registered  # noqa: F401 (fixtures)
from lwm2m_device import CONTENT, SENML_CBOR, SENML_JSON, TEXT, TLV

pytestmark = pytest.mark.gatemq_only

DEVICES = {"tlv-1.0": {"version": "1.0"}, "wakaama-1.1": {"version": "1.1", "has_tlv": False}}
FORMAT_OF = {"tlv-1.0": TLV, "wakaama-1.1": SENML_CBOR}

SERVER_INSTANCE = [{"path": "/1/0/0", "value": 101}, {"path": "/1/0/1", "value": 300},
                   {"path": "/1/0/6", "value": False}, {"path": "/1/0/7", "value": "U"}]


@pytest.fixture(params=list(DEVICES))
def kind(request):
    return request.param


def content(req_id, msg_type, path, values):
    return {"reqID": req_id, "msgType": msg_type,
            "data": {"reqPath": path, "code": "2.05", "codeMsg": "content",
                     "content": list(values)}}


def changed(req_id, path):
    return {"reqID": req_id, "msgType": "write",
            "data": {"reqPath": path, "code": "2.04", "codeMsg": "changed"}}


def test_read_asks_for_the_devices_format(broker, mqtt, device, kind):
    dev = registered(device, mqtt, **DEVICES[kind])
    response = mqtt.command("dev1", {"reqID": 1, "msgType": "read", "data": {"path": "/1/0"}})
    assert response == content(1, "read", "/1/0", SERVER_INSTANCE)
    response = mqtt.command("dev1", {"reqID": 2, "msgType": "read", "data": {"path": "/3/0/9"}})
    assert response == content(2, "read", "/3/0/9", [{"path": "/3/0/9", "value": 95}])
    for path in ("/1/0", "/3/0/9"):
        request = dev.wait_for_request(method="GET", path=path)
        assert (request.accept, request.response_code) == (FORMAT_OF[kind], CONTENT)


def test_observe_and_its_notifications_in_the_devices_format(broker, mqtt, device, kind):
    dev = registered(device, mqtt, **DEVICES[kind])
    response = mqtt.command("dev1", {"reqID": 3, "msgType": "observe", "data": {"path": "/1/0"}})
    assert response == content(3, "observe", "/1/0", SERVER_INSTANCE)
    dev.wait_until(lambda: dev.observers)
    (observer,) = dev.observers.values()
    assert observer.format == FORMAT_OF[kind]
    assert dev.set_value("/1/0/1", 600, notify=True) == 1
    notification = {**content(3, "notify", "/1/0", SERVER_INSTANCE), "seqNum": 2}
    notification["data"]["content"][1] = {"path": "/1/0/1", "value": 600}
    assert mqtt.expect_json("lwm2m/dev1/up/notify") == notification
    assert dev.notifications[-1].payload == dev._encode((1, 0), FORMAT_OF[kind])


def test_single_and_batch_writes(broker, mqtt, device, kind):
    dev = registered(device, mqtt, **DEVICES[kind])
    response = mqtt.command("dev1", {"reqID": 4, "msgType": "write",
                                     "data": {"path": "/3/0/14", "value": "+02:00"}})
    assert response == changed(4, "/3/0/14")
    assert dev.get_value("/3/0/14") == "+02:00"
    # One value goes as text, which every device takes.
    assert dev.wait_for_request(method="PUT", path="/3/0/14").content_format == TEXT

    response = mqtt.command("dev1", {"reqID": 5, "msgType": "write",
                                     "data": {"basePath": "/1/0",
                                              "content": [{"path": "1", "value": 900},
                                                          {"path": "7", "value": "UQ"}]}})
    assert response == changed(5, "/1/0")
    assert (dev.get_value("/1/0/1"), dev.get_value("/1/0/7")) == (900, "UQ")
    assert dev.wait_for_request(method="POST", path="/1/0").content_format == FORMAT_OF[kind]


def test_a_command_names_its_format(broker, mqtt, device):
    dev = registered(device, mqtt, version="1.1", has_tlv=False)
    response = mqtt.command("dev1", {"reqID": 6, "msgType": "read",
                                     "data": {"path": "/1/0", "format": "senml-json"}})
    assert response == content(6, "read", "/1/0", SERVER_INSTANCE)
    assert dev.wait_for_request(method="GET", path="/1/0").accept == SENML_JSON
    # The device's own answer to a format it lacks is published as it is.
    response = mqtt.command("dev1", {"reqID": 7, "msgType": "read",
                                     "data": {"path": "/3/0/9", "format": "tlv"}})
    assert response == {"reqID": 7, "msgType": "read",
                        "data": {"reqPath": "/3/0/9", "code": "5.00",
                                 "codeMsg": "internal_server_error"}}
    response = mqtt.command("dev1", {"reqID": 8, "msgType": "write",
                                     "data": {"path": "/3/0/14", "value": "-05:00",
                                              "format": "senml-cbor"}})
    assert response == changed(8, "/3/0/14")
    assert dev.get_value("/3/0/14") == "-05:00"
    assert dev.wait_for_request(method="PUT", path="/3/0/14").content_format == SENML_CBOR
    response = mqtt.command("dev1", {"reqID": 9, "msgType": "write",
                                     "data": {"basePath": "/1/0", "format": "senml-json",
                                              "content": [{"path": "6", "value": True}]}})
    assert response == changed(9, "/1/0")
    assert dev.get_value("/1/0/6") is True
    assert dev.wait_for_request(method="POST", path="/1/0").content_format == SENML_JSON
    response = mqtt.command("dev1", {"reqID": 10, "msgType": "read",
                                     "data": {"path": "/1/0", "format": "xml"}})
    assert response == {"reqID": 10, "msgType": "read",
                        "data": {"reqPath": "/1/0", "code": "4.00", "codeMsg": "bad_request"}}


@pytest.mark.broker_config({"lwm2m.default_format_1_1": "senml-json"})
def test_default_format_1_1_setting(broker, mqtt, device):
    dev = registered(device, mqtt, version="1.1", has_tlv=False)
    response = mqtt.command("dev1", {"reqID": 11, "msgType": "read", "data": {"path": "/1/0"}})
    assert response == content(11, "read", "/1/0", SERVER_INSTANCE)
    assert dev.wait_for_request(method="GET", path="/1/0").accept == SENML_JSON
    response = mqtt.command("dev1", {"reqID": 12, "msgType": "write",
                                     "data": {"basePath": "/1/0",
                                              "content": [{"path": "1", "value": 120}]}})
    assert response == changed(12, "/1/0")
    assert dev.get_value("/1/0/1") == 120
    assert dev.wait_for_request(method="POST", path="/1/0").content_format == SENML_JSON
