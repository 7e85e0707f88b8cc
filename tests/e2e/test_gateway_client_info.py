"""#26: what a gateway client is reported as, the same in the $SYS connected event, the REST API
and `gatemq ctl clients show`: `keepalive` is the interval its protocol agreed (MQTT-SN Duration,
the TCP framing's keepalive, the STOMP client's heart-beat, coap.keepalive, the LwM2M lifetime),
`proto_name` its protocol as the specification spells it and `proto_ver` that protocol's version,
1 for every gateway protocol (docs/management.md)."""
import json

import paho.mqtt.client as paho_mqtt
import pytest
import stomp

from coap_raw import POST, RawCoap, code
from lwm2m_app import device  # noqa: F401 (fixture)
from lwm2m_device import CREATED
from mgmt_api import Api
from mqttsn_client import Client as MqttSnClient
from tcp_device import Device as TcpDevice
from test_ctl import ctl
from test_sys_topics import PREFIX, latest

pytestmark = pytest.mark.gatemq_only


@pytest.fixture
def watcher(paho):
    client = paho("sys-watcher")
    client.subscribe(PREFIX + "clients/+/connected")
    return client


def assert_reported(broker, watcher, client_id, protocol, proto_name, proto_ver, keepalive):
    event = json.loads(latest(watcher, PREFIX + f"clients/{client_id}/connected"))
    assert (event["proto_name"], event["proto_ver"], event["keepalive"]) == \
        (proto_name, proto_ver, keepalive), event
    [client] = Api(broker).get(f"/clients/{client_id}")
    assert (client["protocol"], client["proto_name"], client["proto_ver"], client["keepalive"]) == \
        (protocol, proto_name, proto_ver, keepalive), client
    line = ctl(broker, "clients", "show", client_id)
    assert (f", protocol={protocol}, proto_name={proto_name}, proto_ver={proto_ver}, "
            f"keepalive={keepalive}, ") in line, line


def test_mqtt_client_for_comparison(broker, watcher, paho):
    paho("mqtt-5", protocol=paho_mqtt.MQTTv5, keepalive=42)
    assert_reported(broker, watcher, "mqtt-5", "mqtt", "MQTT", 5, 42)


def test_mqttsn_client_reports_its_duration(broker, watcher):
    with MqttSnClient(port=broker.mqttsn_port) as client:
        assert client.connect("sn-30", duration=30) == 0
        assert_reported(broker, watcher, "sn-30", "mqtt-sn", "MQTT-SN", 1, 30)


def test_tcp_device_reports_its_keepalive(broker, watcher):
    device = TcpDevice(broker.tcp_gateway_port)
    try:
        assert device.connect("tcp-25", keepalive=25)[0] == 0
        assert_reported(broker, watcher, "tcp-25", "tcp", "TCP", 1, 25)
    finally:
        device.close()


@pytest.mark.parametrize("version,heartbeats,keepalive", [
    ("1.2", (4000, 0), 4),     # the client sends every 4 s
    ("1.1", (1500, 1000), 2),  # in whole seconds, rounded up
    ("1.2", (0, 1000), 0),     # the client sends none: nothing to watch
    ("1.0", None, 0),          # 1.0 has no heart-beating
])
def test_stomp_client_reports_its_heartbeat(broker, watcher, version, heartbeats, keepalive):
    classes = {"1.0": stomp.Connection10, "1.1": stomp.Connection11, "1.2": stomp.Connection12}
    kwargs = {"heartbeats": heartbeats} if heartbeats else {}
    conn = classes[version]([(broker.host, broker.stomp_port)], **kwargs)
    client_id = f"stomp-{version}-{keepalive}"
    conn.connect(wait=True, headers={"client-id": client_id})
    try:
        assert_reported(broker, watcher, client_id, "stomp", "STOMP", 1, keepalive)
    finally:
        conn.disconnect()


@pytest.mark.broker_config({"coap.keepalive": "45s"})
def test_coap_client_reports_coap_keepalive(broker, watcher):
    client = RawCoap(broker.coap_port)
    try:
        reply = client.request(POST, "/mqtt/connection", {"clientid": "coap-45"})
        assert reply.code == code("2.01"), reply.payload
        assert_reported(broker, watcher, "coap-45", "coap", "CoAP", 1, 45)
    finally:
        client.close()


def test_lwm2m_device_reports_its_lifetime(broker, watcher, device):
    # Beyond 16 bits: the lifetime may be up to lwm2m.lifetime_max (86400 s).
    assert device("lw-70000", lifetime=70000).register().code == CREATED
    assert_reported(broker, watcher, "lw-70000", "lwm2m", "LwM2M", 1, 70000)
