"""Starts a broker per test: gatemq ($GATEMQ_BIN) by default, or Mosquitto with
GATEMQ_E2E_TARGET=mosquitto to check that the tests themselves expect standard behaviour.

    GATEMQ_BIN=/path/to/gatemq /usr/bin/python3 -m pytest -q -n 2 -p no:cacheprovider tests/e2e
    GATEMQ_E2E_TARGET=mosquitto /usr/bin/python3 -m pytest -q -n 2 -p no:cacheprovider tests/e2e

Per test: @pytest.mark.broker_config({...}) adds gatemq keys (a key without a Mosquitto
equivalent skips the test there), @pytest.mark.broker_env({...}) adds GATEMQ_* environment
overrides, @pytest.mark.gatemq_only marks behaviour Mosquitto 2.0.11 does not share. Each broker
gets free ports for every listener, logs to tmp_path/broker.log (attached to failure reports),
and must exit 0 within 20 s of SIGTERM at teardown."""
import os
import pathlib
import queue
import random
import signal
import socket
import subprocess
import sys
import time

import paho.mqtt.client as mqtt
import pytest

sys.path.insert(0, os.path.dirname(__file__))

TARGET = os.environ.get("GATEMQ_E2E_TARGET", "gatemq")


def size_in_bytes(text):
    """gatemq sizes ("1MB", "512KB", "10B", "2048") in bytes."""
    text = str(text).strip().upper()
    for suffix, factor in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10), ("B", 1)):
        if text.endswith(suffix):
            return int(text[:-len(suffix)]) * factor
    return int(text)


def on_off(text):
    return "true" if str(text).lower() in ("on", "true", "1", "yes") else "false"


# gatemq keys the Mosquitto run can reproduce, with its own spelling (None: no line needed).
# Any other key makes a Mosquitto run skip the test.
MOSQUITTO_EQUIVALENTS = {
    "zone.external.max_inflight": lambda v: f"max_inflight_messages {v}",
    "zone.external.max_mqueue_len": lambda v: f"max_queued_messages {v}",
    "zone.external.mqueue_store_qos0": lambda v: f"queue_qos0_messages {on_off(v)}",
    "zone.external.upgrade_qos": lambda v: f"upgrade_outgoing_qos {on_off(v)}",
    "mqtt.max_topic_alias": lambda v: f"max_topic_alias {v}",
    "mqtt.max_packet_size": lambda v: f"max_packet_size {size_in_bytes(v)}",
    "mqtt.retain_available": lambda v: f"retain_available {on_off(v)}",
    "mqtt.max_qos_allowed": lambda v: f"max_qos {v}",
    "zone.external.retry_interval": None,  # Mosquitto 2 never resends while connected
}


def pytest_configure(config):
    config.addinivalue_line("markers", "broker_config(dict): extra gatemq configuration keys")
    config.addinivalue_line("markers", "gatemq_only: behaviour Mosquitto does not share")
    config.addinivalue_line("markers", "broker_env(dict): extra environment for the gatemq process")


def pytest_collection_modifyitems(config, items):
    if TARGET != "mosquitto":
        return
    skip = pytest.mark.skip(reason="gatemq-only behaviour")
    for item in items:
        if item.get_closest_marker("gatemq_only"):
            item.add_marker(skip)


# Keys that only some builds know (a compiled-in gateway's own listener, which otherwise takes a
# fixed default port and makes parallel brokers clash). Each group is written while the binary
# accepts it; a start-up failure naming one of its keys drops the group for the session.
OPTIONAL_KEYS_UNKNOWN = set()

REPO = pathlib.Path(__file__).resolve().parents[2]
CERTS = REPO / "etc" / "certs"

# Every listener gatemq opens by default, as (attribute, address key, gateway or None). Each gets
# a free loopback port so parallel brokers never clash; TLS ones get the test certificates by
# absolute path (the broker runs in the test's tmp directory).
LISTENERS = [
    ("port", "listener.tcp.external", None),
    ("internal_port", "listener.tcp.internal", None),
    ("ssl_port", "listener.ssl.external", None),
    ("ws_port", "listener.ws.external", None),
    ("wss_port", "listener.wss.external", None),
    ("tcp_gateway_port", "tcp.listener.external", "tcp"),
    ("tcp_gateway_ssl_port", "tcp.listener.ssl.external", "tcp"),
    ("stomp_port", "stomp.listener", "stomp"),
    ("mqttsn_port", "mqtt.sn.port", "mqtt.sn"),
    ("coap_port", "coap.port", "coap"),
    ("lwm2m_port", "lwm2m.port", "lwm2m"),
    ("management_port", "management.listener.http", None),  # the REST API (HTTP)
]
# The plugin of each gateway above (data/loaded_plugins names plugins).
GATEWAY_PLUGINS = {"tcp": "emqx_tcp", "stomp": "emqx_stomp", "mqtt.sn": "emqx_sn",
                   "coap": "emqx_coap", "lwm2m": "emqx_lwm2m"}
# Free UDP ports; not waited for with a TCP connect.
UDP_LISTENERS = ("mqtt.sn.port", "coap.port", "lwm2m.port")
TLS_LISTENERS = ("listener.ssl.external", "listener.wss.external", "tcp.listener.ssl.external")


# Below Linux's ephemeral range (32768-60999): a port the kernel hands out as the source port of
# some test's client connection would make a broker restart on the same ports fail to bind.
LISTEN_PORTS = range(20000, 32000)


# Logged by gatemq after every listener (the management API's included) is bound.
STARTED_LINE = " started as "


def free_port(udp=False):
    for _ in range(1000):
        port = random.choice(LISTEN_PORTS)
        with socket.socket(type=socket.SOCK_DGRAM if udp else socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port below the ephemeral range")


class Broker:
    def __init__(self, directory, overrides, env=None):
        self.directory = directory
        self.overrides = overrides
        self.env = env or {}
        self.host = "127.0.0.1"
        for attribute, key, _ in LISTENERS:
            setattr(self, attribute, free_port(key in UDP_LISTENERS))
        self.log_path = directory / "broker.log"
        self.process = None
        self.started = False  # once up, restart() keeps its ports when it can

    def new_ports(self):
        for attribute, key, _ in LISTENERS:
            if getattr(self, attribute) is not None:
                setattr(self, attribute, free_port(key in UDP_LISTENERS))

    def config_text(self):
        keys = {
            "node.name": "gatemq@127.0.0.1",
            "node.workers": "2",
            "log.to": "console",
            "log.level": "debug",
            "mqtt.max_topic_alias": "10",
        }
        for attribute, key, gateway in LISTENERS:
            port = getattr(self, attribute)
            if port is None or gateway in OPTIONAL_KEYS_UNKNOWN:
                continue
            keys[key] = f"127.0.0.1:{port}"
            if key in TLS_LISTENERS:
                keys[key + ".keyfile"] = str(CERTS / "key.pem")
                keys[key + ".certfile"] = str(CERTS / "cert.pem")
        keys.update(self.overrides)
        return "".join(f"{k} = {v}\n" for k, v in keys.items())

    def loaded_plugins(self):
        """The names in data/loaded_plugins, or None without the file."""
        path = self.directory / "data" / "loaded_plugins"
        if not path.exists():
            return None
        return [line.split("%")[0].strip().rstrip(".").strip()
                for line in path.read_text().splitlines() if line.split("%")[0].strip()]

    def ports_to_wait_for(self):
        ports = [self.port]
        if TARGET == "mosquitto":
            return ports
        loaded = self.loaded_plugins()
        for attribute, key, gateway in LISTENERS[1:]:
            port = getattr(self, attribute)
            if port is None or gateway in OPTIONAL_KEYS_UNKNOWN or key in UDP_LISTENERS:
                continue
            if str(self.overrides.get(key, "on")) == "off":
                continue
            if gateway and loaded is not None:
                if GATEWAY_PLUGINS[gateway] not in loaded:
                    continue
            elif gateway and str(self.overrides.get(f"{gateway}.enable", "on")) in ("off", "false"):
                continue
            ports.append(port)
        return ports

    def mosquitto_config_text(self):
        lines = [f"listener {self.port} 127.0.0.1", "allow_anonymous true", "persistence false",
                 "log_type all", "max_topic_alias 10"]
        for key, value in self.overrides.items():
            if key not in MOSQUITTO_EQUIVALENTS:
                pytest.skip(f"{key} has no Mosquitto equivalent")
            convert = MOSQUITTO_EQUIVALENTS[key]
            if convert:
                lines.append(convert(str(value)))
        return "\n".join(lines) + "\n"

    def start(self, _attempt=0):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("GATEMQ_") or k in ("GATEMQ_BIN", "GATEMQ_E2E_TARGET")}
        if self.env and TARGET == "mosquitto":
            pytest.skip("gatemq environment overrides have no Mosquitto equivalent")
        env.update(self.env)
        if TARGET == "mosquitto":
            config = self.directory / "mosquitto.conf"
            config.write_text(self.mosquitto_config_text())
            command = ["/usr/sbin/mosquitto", "-c", str(config)]
        else:
            config = self.directory / "gatemq.conf"
            config.write_text(self.config_text())
            command = [os.environ["GATEMQ_BIN"], "--config", str(config)]
        starts_logged = self.log().count(STARTED_LINE)
        self.log_file = open(self.log_path, "ab")
        self.process = subprocess.Popen(command, stdout=self.log_file, stderr=subprocess.STDOUT,
                                        cwd=self.directory, env=env)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.log_file.close()
                log = self.log()
                for gateway in ("tcp", "stomp", "mqtt.sn", "coap", "lwm2m"):
                    if f"unknown key '{gateway}." in log and gateway not in OPTIONAL_KEYS_UNKNOWN:
                        OPTIONAL_KEYS_UNKNOWN.add(gateway)  # a build without that gateway
                        self.log_path.unlink()
                        return self.start(_attempt)
                clash = "cannot bind" in log or "Address already in use" in log
                if clash and _attempt < 3:
                    # free_port() raced with another worker, or on restart() another worker's
                    # broker took a port in the moment it was free: new ports, new try. Clients
                    # made before a restart then point at the old ports, but a test that makes
                    # its clients after the restart (most do) goes on.
                    if self.started:
                        print(f"broker restart: a port was taken meanwhile, moving ports:\n{log}")
                    self.new_ports()
                    return self.start(_attempt + 1)
                raise RuntimeError(f"broker exited at start-up:\n{log}")
            # gatemq says it started once every listener is bound. Until then a port that answers
            # may be another worker's broker that drew the same free port.
            if TARGET != "mosquitto" and self.log().count(STARTED_LINE) == starts_logged:
                time.sleep(0.05)
                continue
            try:
                # Every listener binds before any serves, but one by one: wait for them all.
                for port in self.ports_to_wait_for():
                    socket.create_connection((self.host, port), timeout=1).close()
                self.started = True
                return
            except OSError:
                time.sleep(0.05)
        self.process.kill()
        self.process.wait()
        self.log_file.close()
        raise RuntimeError(f"broker did not listen on {self.port}:\n{self.log()}")

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
            raise AssertionError(f"broker ignored signal {sig} for {timeout}s")
        finally:
            self.log_file.close()
        return code

    def restart(self):
        """SIGTERM, expect exit 0, start again on the same ports (sessions are in memory)."""
        code = self.stop()
        assert code == 0, f"broker exited with {code}"
        self.start()

    def log(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, "report_" + report.when, report)
    instance = getattr(item, "_e2e_broker", None)
    if report.failed and report.when in ("call", "teardown") and instance is not None:
        report.sections.append(("broker log (last 20000 characters)", instance.log()[-20000:]))


@pytest.fixture
def broker(request, tmp_path):
    marker = request.node.get_closest_marker("broker_config")
    env_marker = request.node.get_closest_marker("broker_env")
    instance = Broker(tmp_path, dict(marker.args[0]) if marker else {},
                      dict(env_marker.args[0]) if env_marker else {})
    request.node._e2e_broker = instance
    instance.start()
    yield instance
    code = instance.stop()
    # A clean shutdown (exit 0, no sanitizer report) is part of every test.
    assert code == 0, f"broker exited with {code}:\n{instance.log()[-20000:]}"


class PahoClient:
    """paho-mqtt with its network loop in a thread and received messages in a queue."""

    def __init__(self, broker, client_id, protocol=mqtt.MQTTv311, clean=True, keepalive=60,
                 properties=None, will=None, connect=True, transport="tcp", port=None,
                 tls=None):
        """transport "websockets" talks MQTT over WebSocket (path /mqtt); `tls` holds
        tls_set() arguments; `port` replaces the broker's MQTT/TCP port."""
        self.protocol = protocol
        clean_session = None if protocol == mqtt.MQTTv5 else clean
        self.client = mqtt.Client(client_id=client_id, clean_session=clean_session,
                                  protocol=protocol, transport=transport)
        if tls is not None:
            self.client.tls_set(**tls)
        self.port = port
        self.messages = queue.Queue()
        self.connack = queue.Queue()
        self.disconnects = queue.Queue()
        self.client.on_message = lambda c, u, m: self.messages.put(m)
        if protocol == mqtt.MQTTv5:
            self.client.on_connect = lambda c, u, f, rc, p=None: self.connack.put((f, rc, p))
            self.client.on_disconnect = lambda c, u, rc, p=None: self.disconnects.put(rc)
        else:
            self.client.on_connect = lambda c, u, f, rc: self.connack.put((f, rc, None))
            self.client.on_disconnect = lambda c, u, rc: self.disconnects.put(rc)
        if will:
            self.client.will_set(**will)
        self.broker = broker
        self.clean = clean
        self.keepalive = keepalive
        self.properties = properties
        if connect:
            self.connect()

    def connect(self):
        kwargs = {}
        if self.protocol == mqtt.MQTTv5:
            kwargs = {"clean_start": self.clean, "properties": self.properties}
        self.client.connect(self.broker.host, self.port or self.broker.port, self.keepalive,
                            **kwargs)
        self.client.loop_start()
        flags, rc, props = self.connack.get(timeout=10)
        assert rc == 0, f"CONNACK {rc}"
        self.flags, self.connack_properties = flags, props
        return flags

    def subscribe(self, topic, qos=0, **kwargs):
        done = queue.Queue()
        self.client.on_subscribe = lambda *args: done.put(args)
        if "options" in kwargs:
            result, _ = self.client.subscribe(topic, **kwargs)
        else:
            result, _ = self.client.subscribe(topic, qos, **kwargs)
        assert result == mqtt.MQTT_ERR_SUCCESS
        return done.get(timeout=10)  # the SUBACK

    def publish(self, topic, payload, qos=0, retain=False, properties=None):
        info = self.client.publish(topic, payload, qos, retain, properties=properties)
        if qos:
            info.wait_for_publish(10)
        return info

    def expect(self, timeout=10):
        return self.messages.get(timeout=timeout)

    def expect_payloads(self, count, timeout=10):
        return [self.expect(timeout).payload for _ in range(count)]

    def disconnect(self):
        self.client.disconnect()
        self.client.loop_stop()

    def drop(self):
        """Ends the connection without DISCONNECT (abnormal close)."""
        self.client.socket().shutdown(socket.SHUT_RDWR)
        self.client.loop_stop()


@pytest.fixture
def paho(broker):
    created = []

    def make(client_id, **kwargs):
        client = PahoClient(broker, client_id, **kwargs)
        created.append(client)
        return client

    yield make
    for client in created:
        try:
            client.client.disconnect()
            client.client.loop_stop()
        except Exception:
            pass


@pytest.fixture
def raw(broker):
    import mqtt_raw
    created = []

    def make(version=mqtt_raw.V311):
        client = mqtt_raw.RawClient(broker.port, version)
        created.append(client)
        return client

    yield make
    for client in created:
        client.close()
