"""Plugins (the gateways) loaded, unloaded and reloaded on the running node: through the REST API
(both the /plugins/{name}/load form and the seed's {"active": bool}) and through gatemq ctl."""
import socket

import pytest

from mgmt_api import Api
from mqttsn_e2e import sn, sn_config, wait_for_gateway  # noqa: F401 (fixture)
from tcp_device import Device
from test_ctl import NODE, run_ctl
from test_management_api import rewrite_config, wait_until


@pytest.fixture
def api(broker):
    return Api(broker)


def active(api):
    return {p["name"]: p["active"] for p in api.get("/plugins")[0]["plugins"]}


def refused(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    except ConnectionRefusedError:
        return True
    return False


def test_unload_closes_the_gateway_and_load_brings_it_back(api, broker):
    device = Device(broker.tcp_gateway_port)
    assert device.connect("dev-1")[0] == 0
    api.ok("PUT", "/plugins/tcp/unload")
    device.wait_closed()  # its clients are disconnected
    assert refused(broker.tcp_gateway_port)  # and its listeners closed
    assert active(api)["tcp"] is False and active(api)["stomp"] is True
    assert "tcp" not in {g["name"] for g in api.get("/gateways")}
    assert api.error("GET", "/gateways/tcp/clients") == (404, 102)
    wait_until(lambda: api.get("/clients?protocol=tcp") == [])
    assert api.error("PUT", "/plugins/tcp/unload") == (400, 102)  # not running

    api.ok("PUT", "/plugins/tcp/load")
    assert active(api)["tcp"] is True
    again = Device(broker.tcp_gateway_port)
    assert again.connect("dev-2")[0] == 0
    assert [c["clientid"] for c in api.get("/gateways/tcp/clients")] == ["dev-2"]
    assert api.error("PUT", "/plugins/tcp/load") == (400, 102)  # already running
    device.close()
    again.close()


@pytest.mark.broker_config(sn_config())
def test_a_udp_gateway_rebinds_its_port(api, broker, sn):
    client = sn("sn-1")
    api.ok("PUT", "/plugins/mqtt-sn/unload")
    assert client.expect("DISCONNECT") is not None
    assert active(api)["mqtt-sn"] is False
    # The same port is bound again by the new gateway ("mqttsn" names the same plugin).
    api.ok("PUT", "/plugins/mqttsn/load")
    wait_for_gateway(broker.mqttsn_port)
    assert sn("sn-2") is not None
    assert [c["clientid"] for c in api.get("/gateways/mqtt-sn/clients")] == ["sn-2"]


@pytest.mark.broker_config({"stomp.enable": "off"})
def test_load_starts_a_gateway_the_configuration_turned_off(api, broker):
    assert active(api)["stomp"] is False
    assert refused(broker.stomp_port)
    # The seed's form.
    api.ok("PUT", f"/nodes/{NODE}/plugins/stomp", {"active": True})
    assert active(api)["stomp"] is True
    with socket.create_connection(("127.0.0.1", broker.stomp_port), timeout=10) as stomp:
        stomp.sendall(b"CONNECT\naccept-version:1.2\nhost:x\n\n\x00")
        assert stomp.recv(1024).startswith(b"CONNECTED\n")
    api.ok("PUT", f"/nodes/{NODE}/plugins/stomp", {"active": False})
    assert active(api)["stomp"] is False
    assert api.error("PUT", f"/nodes/{NODE}/plugins/stomp", {"active": "no"}) == (400, 108)
    assert api.error("PUT", f"/nodes/{NODE}/plugins/stomp", {}) == (400, 107)
    assert api.error("PUT", "/nodes/other@host/plugins/stomp", {"active": True}) == (404, 101)


def test_unknown_plugins(api):
    assert api.error("PUT", "/plugins/nope/load") == (404, 102)
    assert api.error("PUT", f"/nodes/{NODE}/plugins/nope/unload") == (404, 102)
    assert api.error("PUT", "/plugins/nope/reload") == (404, 102)


def test_reload_applies_a_changed_section(api, broker):
    device = Device(broker.tcp_gateway_port)
    assert device.connect("dev-1")[0] == 0
    assert [s["topic"] for s in api.get("/gateways/tcp/clients/dev-1/subscriptions")] == \
        ["tcp/dev-1/dn"]
    rewrite_config(broker, tcp__proto__dn_topic="devices/%c/down")
    api.ok("PUT", "/plugins/tcp/reload")
    device.wait_closed()
    again = Device(broker.tcp_gateway_port)
    assert again.connect("dev-1")[0] == 0
    assert [s["topic"] for s in api.get("/gateways/tcp/clients/dev-1/subscriptions")] == \
        ["devices/dev-1/down"]
    device.close()
    again.close()


def test_reload_with_a_bad_section_changes_nothing(api, broker):
    device = Device(broker.tcp_gateway_port)
    assert device.connect("dev-1")[0] == 0
    rewrite_config(broker, tcp__proto__max_packet_size="lots")
    status, envelope, _ = api.request("PUT", "/plugins/tcp/reload")
    assert (status, envelope["code"]) == (400, 102)
    assert "tcp.proto.max_packet_size" in envelope["message"], envelope
    # Still running with its client connected.
    assert active(api)["tcp"] is True
    assert [c["clientid"] for c in api.get("/gateways/tcp/clients")] == ["dev-1"]
    device.close()


def test_ctl_plugins_load_unload_reload(broker):
    assert run_ctl(broker, "plugins", "unload", "stomp")[:2] == \
        (0, "Plugin stomp unloaded successfully.\n")
    code, out, err = run_ctl(broker, "plugins", "unload", "stomp")
    assert (code, out) == (1, "") and err == "Unload plugin stomp error: plugin stomp is not running\n"
    assert "Plugin(stomp, version=" in run_ctl(broker, "plugins", "list")[1]
    assert "active=false" in [line for line in run_ctl(broker, "plugins", "list")[1].splitlines()
                              if line.startswith("Plugin(stomp,")][0]
    assert run_ctl(broker, "plugins", "load", "stomp")[:2] == \
        (0, "Plugin stomp loaded successfully.\n")
    assert run_ctl(broker, "plugins", "reload", "stomp")[:2] == \
        (0, "Plugin stomp reloaded successfully.\n")
    code, out, err = run_ctl(broker, "plugins", "load", "nope")
    assert code == 1 and err == "Load plugin nope error: no such plugin: nope\n"
    assert not refused(broker.stomp_port)  # serving STOMP again after all that


def test_hot_reload_moves_tcp_topic_templates_without_dropping_devices(api, broker, raw):
    """gatemq ctl reload (POST /reload, SIGHUP) applies tcp.proto.* topic templates live."""
    import mqtt_raw
    from tcp_device import DATATRANS, datatrans_frame

    device = Device(broker.tcp_gateway_port)
    assert device.connect("dev-1")[0] == 0
    listener = raw(mqtt_raw.V311)
    listener.connect("app")
    listener.subscribe("devices/+/up")
    rewrite_config(broker, tcp__proto__up_topic="devices/%c/up",
                   tcp__proto__dn_topic="devices/%c/down")
    reloaded = api.ok("POST", "/reload", {})["data"]["reloaded"]
    assert {"tcp.proto.up_topic", "tcp.proto.dn_topic"} <= set(reloaded), reloaded
    # The same connection publishes on the new up topic at once...
    device.send(datatrans_frame(b"21.5"))
    received = listener.expect(mqtt_raw.PUBLISH)
    assert (received.topic, received.payload) == ("devices/dev-1/up", b"21.5")
    # ... and its down subscription moves.
    wait_until(lambda: [s["topic"] for s in api.get("/gateways/tcp/clients/dev-1/subscriptions")]
               == ["devices/dev-1/down"])
    listener.publish("devices/dev-1/down", b"on", qos=1, packet_id=7)
    listener.expect(mqtt_raw.PUBACK)
    assert device.recv() == (DATATRANS, 0, b"on")
    assert [c["clientid"] for c in api.get("/gateways/tcp/clients")] == ["dev-1"]
    # Unchanged templates: nothing to report for the gateway.
    assert not any(key.startswith("tcp.") for key in api.ok("POST", "/reload", {})["data"]["reloaded"])
    device.close()


def test_hot_reload_refuses_a_bad_gateway_section(api, broker):
    rewrite_config(broker, tcp__proto__up_qos="7", log__level="error")
    status, envelope, _ = api.request("POST", "/reload", {})
    assert (status, envelope["code"]) == (400, 102), envelope
    assert "tcp.proto.up_qos" in envelope["message"], envelope
    # Nothing changed, the log level included.
    assert api.get("/log/level") == {"level": "debug"}
