"""Plugins (core/plugin/plugin.hpp; the gateways are the compiled-in ones today) listed, loaded,
unloaded and reloaded on the running node: through the REST API (the /plugins/{name}/load form
and the seed's {"active": bool}) and through gatemq ctl, with the load state kept in
data/loaded_plugins across restarts."""
import socket

import pytest
import stomp

from mgmt_api import Api
from mqttsn_e2e import sn, sn_config, wait_for_gateway  # noqa: F401 (fixture)
from tcp_device import Device
from test_ctl import NODE, ctl, run_ctl
from test_management_api import rewrite_config, wait_until
from test_stomp_gateway import stomp_client  # noqa: F401 (fixture)

pytestmark = pytest.mark.gatemq_only


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
    api.ok("PUT", "/plugins/emqx_tcp/unload")
    device.wait_closed()  # its clients are disconnected
    assert refused(broker.tcp_gateway_port)  # and its listeners closed
    assert active(api)["emqx_tcp"] is False and active(api)["emqx_stomp"] is True
    assert "tcp" not in {g["name"] for g in api.get("/gateways")}
    assert api.error("GET", "/gateways/tcp/clients") == (404, 102)
    wait_until(lambda: api.get("/clients?protocol=tcp") == [])
    # The seed's 111 "plugin has been unloaded"; the gateway's own name works too.
    assert api.error("PUT", "/plugins/tcp/unload") == (400, 111)

    api.ok("PUT", "/plugins/tcp/load")
    assert active(api)["emqx_tcp"] is True
    again = Device(broker.tcp_gateway_port)
    assert again.connect("dev-2")[0] == 0
    assert [c["clientid"] for c in api.get("/gateways/tcp/clients")] == ["dev-2"]
    assert api.get("/gateways/tcp")["plugin"] == "emqx_tcp"
    assert api.error("PUT", "/plugins/emqx_tcp/load") == (400, 110)  # "plugin has been loaded"
    device.close()
    again.close()


@pytest.mark.broker_config(sn_config())
def test_a_udp_gateway_rebinds_its_port(api, broker, sn):
    client = sn("sn-1")
    api.ok("PUT", "/plugins/mqtt-sn/unload")
    assert client.expect("DISCONNECT") is not None
    assert active(api)["emqx_sn"] is False
    # The same port is bound again by the new gateway ("mqttsn" names the same plugin).
    api.ok("PUT", "/plugins/mqttsn/load")
    wait_for_gateway(broker.mqttsn_port)
    assert sn("sn-2") is not None
    assert [c["clientid"] for c in api.get("/gateways/mqtt-sn/clients")] == ["sn-2"]


@pytest.mark.broker_config({"stomp.enable": "off"})
def test_load_starts_a_gateway_the_configuration_turned_off(api, broker):
    assert active(api)["emqx_stomp"] is False
    assert refused(broker.stomp_port)
    # The seed's form.
    api.ok("PUT", f"/nodes/{NODE}/plugins/emqx_stomp", {"active": True})
    assert active(api)["emqx_stomp"] is True
    with socket.create_connection(("127.0.0.1", broker.stomp_port), timeout=10) as client:
        client.sendall(b"CONNECT\naccept-version:1.2\nhost:x\n\n\x00")
        assert client.recv(1024).startswith(b"CONNECTED\n")
    api.ok("PUT", f"/nodes/{NODE}/plugins/emqx_stomp", {"active": False})
    assert active(api)["emqx_stomp"] is False
    assert api.error("PUT", f"/nodes/{NODE}/plugins/stomp", {"active": "no"}) == (400, 108)
    assert api.error("PUT", f"/nodes/{NODE}/plugins/stomp", {}) == (400, 107)
    assert api.error("PUT", "/nodes/other@host/plugins/stomp", {"active": True}) == (404, 101)


def test_unknown_plugins(api, broker):
    assert api.error("PUT", "/plugins/nope/load") == (404, 102)
    assert api.error("PUT", f"/nodes/{NODE}/plugins/nope/unload") == (404, 102)
    assert api.error("PUT", "/plugins/nope/reload") == (404, 102)
    # Upstream's ctl answer, reason and full stop included.
    for action, verb in (("load", "Load"), ("unload", "Unload"), ("reload", "Reload")):
        assert run_ctl(broker, "plugins", action, "nope") == \
            (1, "", f"{verb} plugin nope error: not_found.\n")


def test_reload_applies_a_changed_section(api, broker):
    device = Device(broker.tcp_gateway_port)
    assert device.connect("dev-1")[0] == 0
    assert [s["topic"] for s in api.get("/gateways/tcp/clients/dev-1/subscriptions")] == \
        ["tcp/dev-1/dn"]
    rewrite_config(broker, tcp__proto__dn_topic="devices/%c/down")
    api.ok("PUT", "/plugins/emqx_tcp/reload")
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
    assert active(api)["emqx_tcp"] is True
    assert [c["clientid"] for c in api.get("/gateways/tcp/clients")] == ["dev-1"]
    device.close()


def plugin_line(broker, name):
    [line] = [line for line in ctl(broker, "plugins", "list").splitlines()
              if line.startswith(f"Plugin({name},")]
    return line


def stomp_refused(broker):
    conn = stomp.Connection12([(broker.host, broker.stomp_port)], reconnect_attempts_max=1)
    try:
        conn.connect(wait=True)
    except stomp.exception.ConnectFailedException:
        return True
    conn.disconnect()
    return False


def stomp_to_mqtt(paho, stomp_client, topic):
    """A message a stomp.py client sends reaches a paho subscriber."""
    subscriber = paho("sub-" + topic.replace("/", "-"))
    subscriber.subscribe(topic, qos=1)
    conn, _ = stomp_client()
    conn.send(topic, "hello from stomp")
    assert subscriber.expect().payload == b"hello from stomp"
    conn.disconnect()


def test_ctl_plugins_list_unload_load_reload(broker, paho, stomp_client):
    out = ctl(broker, "plugins", "list")
    version = out.split("version=")[1].split(",")[0]
    assert out == "".join(
        f"Plugin({name}, version={version}, description={description}, active=true)\n"
        for name, description in (
            ("emqx_coap", "CoAP Gateway"), ("emqx_lwm2m", "LwM2M 1.0/1.1 Gateway"),
            ("emqx_sn", "MQTT-SN 1.2 Gateway"), ("emqx_stomp", "STOMP 1.0/1.1/1.2 Gateway"),
            ("emqx_tcp", "TCP Gateway (the private length-prefixed framing)")))

    assert run_ctl(broker, "plugins", "unload", "emqx_stomp") == \
        (0, "Plugin emqx_stomp unloaded successfully.\n", "")
    assert plugin_line(broker, "emqx_stomp").endswith("active=false)")
    assert stomp_refused(broker)
    assert run_ctl(broker, "plugins", "unload", "emqx_stomp") == \
        (1, "", "Unload plugin emqx_stomp error: not_started.\n")

    assert run_ctl(broker, "plugins", "load", "emqx_stomp") == \
        (0, "Start apps: [emqx_stomp]\nPlugin emqx_stomp loaded successfully.\n", "")
    assert plugin_line(broker, "emqx_stomp").endswith("active=true)")
    stomp_to_mqtt(paho, stomp_client, "after/load")
    assert run_ctl(broker, "plugins", "load", "emqx_stomp") == \
        (1, "", "Load plugin emqx_stomp error: already_started.\n")

    assert run_ctl(broker, "plugins", "reload", "emqx_stomp") == \
        (0, "Plugin emqx_stomp reloaded successfully.\n", "")
    stomp_to_mqtt(paho, stomp_client, "after/reload")


def test_rest_plugins_unload_load_reload_a_gateway(api, broker, paho, stomp_client):
    assert api.get(f"/nodes/{NODE}/plugins") == api.get("/plugins")[0]["plugins"]
    api.ok("PUT", f"/nodes/{NODE}/plugins/emqx_stomp/unload")
    assert active(api)["emqx_stomp"] is False
    assert stomp_refused(broker)
    # The seed's older API version serves the same paths.
    api.ok("PUT", f"/nodes/{NODE}/plugins/emqx_stomp/load", prefix="/api/v3")
    assert active(api)["emqx_stomp"] is True
    stomp_to_mqtt(paho, stomp_client, "rest/load")
    api.ok("PUT", f"/nodes/{NODE}/plugins/emqx_stomp/reload")
    stomp_to_mqtt(paho, stomp_client, "rest/reload")
    assert api.error("PUT", "/nodes/other@host/plugins/emqx_stomp/load") == (404, 101)


def test_load_state_survives_a_restart(api, broker):
    loaded_file = broker.directory / "data" / "loaded_plugins"
    assert not loaded_file.exists()  # nothing changed yet: the configuration decides
    api.ok("PUT", "/plugins/emqx_stomp/unload")
    assert loaded_file.read_text() == "emqx_coap.\nemqx_lwm2m.\nemqx_sn.\nemqx_tcp.\n"
    broker.restart()
    assert active(api)["emqx_stomp"] is False
    assert refused(broker.stomp_port)

    api.ok("PUT", "/plugins/emqx_stomp/load")
    api.ok("PUT", "/plugins/emqx_coap/unload")
    assert loaded_file.read_text() == "emqx_lwm2m.\nemqx_sn.\nemqx_tcp.\nemqx_stomp.\n"
    broker.restart()
    assert active(api) == {"emqx_coap": False, "emqx_lwm2m": True, "emqx_sn": True,
                           "emqx_stomp": True, "emqx_tcp": True}
    assert not refused(broker.stomp_port)


@pytest.mark.broker_config({"stomp.enable": "off"})
def test_the_loaded_file_overrides_enable_off(api, broker):
    """A plugin listed in data/loaded_plugins loads whatever its enable key says, as a plugin
    loaded by hand does; without the file, `enable = off` keeps it unloaded."""
    assert active(api)["emqx_stomp"] is False
    (broker.directory / "data").mkdir()
    (broker.directory / "data" / "loaded_plugins").write_text("% by hand\nemqx_stomp.\nnope.\n")
    broker.restart()
    assert active(api) == {"emqx_coap": False, "emqx_lwm2m": False, "emqx_sn": False,
                           "emqx_stomp": True, "emqx_tcp": False}
    wait_until(lambda: not refused(broker.stomp_port))
    assert refused(broker.tcp_gateway_port)
    assert "lists nope, which this build does not have" in broker.log()


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
