"""#26: `off` for every gateway listener key, as `listener.<kind>.<name> = off` in the main file:
the broker starts, that listener is not opened, and the gateway and every other listener serve."""
import socket

import pytest

from coap_raw import ping_until_answered
from conftest import CERTS
from mgmt_api import Api
from tcp_device import Device
from test_plugins import refused

pytestmark = pytest.mark.gatemq_only


def udp_closed(port):
    """True when a datagram to `port` comes back as ICMP port unreachable: nobody bound it."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.connect(("127.0.0.1", port))
        sock.settimeout(2)
        sock.send(b"\x40\x00\x00\x01")  # a CoAP ping; an MQTT-SN gateway drops it
        try:
            sock.recv(2048)
        except ConnectionRefusedError:
            return True
        except socket.timeout:
            pass
        return False


def gateway_listeners(broker, name):
    return next(g for g in Api(broker).get("/gateways") if g["name"] == name)["listeners"]


def mqtt_round_trip(paho):
    client = paho("still-served")
    client.subscribe("off/t", 1)
    client.publish("off/t", "x", qos=1)
    assert client.expect().payload == b"x"


def off(key):
    return pytest.mark.broker_config({key: "off"})


@pytest.mark.parametrize("attribute,transport,gateway", [
    pytest.param("stomp_port", "tcp", "stomp", marks=off("stomp.listener")),
    pytest.param("tcp_gateway_port", "tcp", "tcp", marks=off("tcp.listener.external")),
    pytest.param("mqttsn_port", "udp", "mqtt-sn", marks=off("mqtt.sn.port")),
    pytest.param("coap_port", "udp", "coap", marks=off("coap.port")),
    pytest.param("lwm2m_port", "udp", "lwm2m", marks=off("lwm2m.port")),
])
def test_a_gateway_listener_turned_off(broker, paho, attribute, transport, gateway):
    port = getattr(broker, attribute)
    assert refused(port) if transport == "tcp" else udp_closed(port)
    # The gateway runs without it; MQTT and the other gateways serve as usual.
    assert not any(f":{port}" in listener for listener in gateway_listeners(broker, gateway))
    mqtt_round_trip(paho)
    if gateway == "tcp":
        with socket.create_connection((broker.host, broker.stomp_port), timeout=10) as sock:
            sock.sendall(b"CONNECT\naccept-version:1.2\n\n\0")
            assert sock.recv(4096).startswith(b"CONNECTED\n")
    else:
        device = Device(broker.tcp_gateway_port)
        assert device.connect("tcp-still-served")[0] == 0
        device.close()


@pytest.mark.broker_config({"coap.dtls.port": "off", "coap.bind.udp.1": "off",
                            "lwm2m.dtls.port": "off",  # wins over the certificate below
                            "lwm2m.certfile": str(CERTS / "cert.pem"),
                            "lwm2m.keyfile": str(CERTS / "key.pem")})
def test_dtls_and_extra_endpoints_turned_off(broker):
    for gateway in ("coap", "lwm2m"):
        assert not any("dtls" in listener for listener in gateway_listeners(broker, gateway))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        assert ping_until_answered(sock, broker.coap_port, first_mid=1)  # plain CoAP serves
