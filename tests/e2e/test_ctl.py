"""`gatemq ctl` (and its `gatemq-ctl` name) against a running node, checked by its output in the
seed's emqx_ctl formats: status, broker, clients, sessions, subscriptions, routes, listeners,
banned, gateways (a TCP device listed and kicked), acl, log and reload; exit statuses for usage
errors, an unreachable node and refused credentials."""
import os
import pathlib
import re
import subprocess

import pytest

import mqtt_raw
from conftest import free_port
from mgmt_api import Api
from tcp_device import Device
from test_auth_acl import use_acl

pytestmark = pytest.mark.gatemq_only

NODE = "gatemq@127.0.0.1"


def run_ctl(broker, *args, program=None):
    """(exit status, stdout, stderr) of `gatemq ctl --config <the broker's file> args...`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEMQ_")}
    command = ([program] if program else [os.environ["GATEMQ_BIN"], "ctl"]) + \
        ["--config", str(broker.directory / "gatemq.conf"), *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, env=env)
    return result.returncode, result.stdout, result.stderr


def ctl(broker, *args):
    """stdout of a ctl command that must succeed."""
    code, out, err = run_ctl(broker, *args)
    assert code == 0, (args, code, out, err)
    return out


def test_status(broker):
    out = ctl(broker, "status")
    assert re.fullmatch(rf"Node '{NODE}' is started\ngatemq \S+ is running\n", out), out


def test_gatemq_ctl_name(broker, tmp_path):
    program = tmp_path / "gatemq-ctl"
    program.symlink_to(pathlib.Path(os.environ["GATEMQ_BIN"]).resolve())
    code, out, err = run_ctl(broker, "status", program=str(program))
    assert code == 0 and out.startswith(f"Node '{NODE}' is started"), err


def test_broker_stats_and_metrics(broker):
    client = mqtt_raw.RawClient(broker.port)
    client.connect("counted")
    client.subscribe("a/#")
    lines = ctl(broker, "broker").splitlines()
    assert [line.split(":")[0] for line in lines] == ["sysdescr  ", "version   ", "uptime    ",
                                                      "datetime  "]
    assert lines[0] == "sysdescr  : gatemq MQTT broker"
    stats = ctl(broker, "broker", "stats").splitlines()
    assert "connections/count             : 1" in stats
    assert "subscriptions/count           : 1" in stats
    assert stats == sorted(stats)
    metrics = ctl(broker, "broker", "metrics").splitlines()
    assert any(re.fullmatch(r"packets/connect         : [1-9]\d*", line) for line in metrics)
    assert all(re.fullmatch(r".{24}: \d+", line) for line in metrics), metrics


def test_clients_list_show_kick(broker):
    first = mqtt_raw.RawClient(broker.port)
    first.connect("c1", username="alice")
    second = mqtt_raw.RawClient(broker.port, mqtt_raw.V5)
    second.connect("c2")
    port = first.sock.getsockname()[1]
    lines = ctl(broker, "clients", "list").splitlines()
    assert len(lines) == 2
    assert re.fullmatch(
        rf"Connection\(c1, clean_start=true, username=alice, peername=127\.0\.0\.1:{port}, "
        r"protocol=mqtt, proto_name=MQTT, proto_ver=4, keepalive=60, "
        r"connected_at=\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\)", lines[0]), lines[0]
    assert lines[1].startswith("Connection(c2, clean_start=true, username=undefined,")
    assert ctl(broker, "clients", "show", "c2") == lines[1] + "\n"
    assert ctl(broker, "clients", "kick", "c2") == "ok\n"
    assert second.expect(mqtt_raw.DISCONNECT).reason == 0x98
    code, out, err = run_ctl(broker, "clients", "show", "nobody")
    assert (code, out, err) == (1, "", "Not Found.\n")
    assert run_ctl(broker, "clients", "kick", "nobody")[0::2] == (1, "Not Found.\n")


def test_sessions(broker):
    client = mqtt_raw.RawClient(broker.port)
    client.connect("s1", clean=False)
    client.subscribe("x/#", 1)
    out = ctl(broker, "sessions", "list")
    assert re.fullmatch(
        r"Session\(s1, clean_start=false, expiry_interval=\d+, subscriptions_count=1, "
        r"max_inflight=\d+, inflight=0, mqueue_len=0, mqueue_dropped=0, awaiting_rel=0, "
        r"created_at=[\d\- :]+\)\n", out), out
    assert ctl(broker, "sessions", "show", "s1") == out
    assert run_ctl(broker, "sessions", "show", "nope")[0] == 1


def test_subscriptions_and_routes(broker):
    client = mqtt_raw.RawClient(broker.port)
    client.connect("sub")
    client.subscribe("t/+/x", 1)
    assert ctl(broker, "subscriptions", "list") == "sub -> t/+/x:1\n"
    assert ctl(broker, "subscriptions", "add", "sub", "extra/#", "2") == "ok\n"
    assert ctl(broker, "subscriptions", "show", "sub") == "sub -> extra/#:2\nsub -> t/+/x:1\n"
    assert ctl(broker, "routes", "list") == f"extra/# -> {NODE}\nt/+/x -> {NODE}\n"
    assert ctl(broker, "routes", "show", "t/+/x") == f"t/+/x -> {NODE}\n"
    assert run_ctl(broker, "routes", "show", "none")[0::2] == (1, "Not Found.\n")
    assert ctl(broker, "subscriptions", "del", "sub", "extra/#") == "ok\n"
    assert ctl(broker, "subscriptions", "show", "sub") == "sub -> t/+/x:1\n"
    code, _, err = run_ctl(broker, "subscriptions", "add", "sub", "t", "5")
    assert code == 2 and "QoS" in err


def test_listeners(broker):
    out = ctl(broker, "listeners")
    block = (f"listener on mqtt:tcp:127.0.0.1:{broker.port}\n"
             "  acceptors       : 1\n")
    assert block in out
    assert f"listener on http:management:127.0.0.1:{broker.management_port}\n" in out
    assert re.search(r"  current_conn    : 0\n", out)


def test_banned_add_list_del(broker):
    assert ctl(broker, "banned", "add", "clientid", "evil", "600", "too loud") == "ok\n"
    out = ctl(broker, "banned", "list")
    assert re.fullmatch(r"Banned\(evil, as=clientid, reason=too loud, by=gatemq ctl, at=\d+, "
                        r"until=\d+\)\n", out), out
    assert mqtt_raw.RawClient(broker.port).connect("evil").reason != 0
    assert ctl(broker, "banned", "del", "clientid", "evil") == "ok\n"
    assert ctl(broker, "banned", "list") == ""
    assert run_ctl(broker, "banned", "add", "clientid", "x", "soon")[0] == 2


def test_gateway_client_listed_and_kicked(broker):
    device = Device(broker.tcp_gateway_port)
    assert device.connect("dev-7")[0] == 0
    gateways = ctl(broker, "gateways", "list")
    assert re.search(r"^Gateway\(tcp, status=running, clients=1, connects=1, listeners=.+\)$",
                     gateways, re.M), gateways
    line = ctl(broker, "gateways", "clients", "tcp")
    assert line.startswith("Connection(dev-7, ") and "protocol=tcp" in line
    assert ctl(broker, "gateways", "show", "tcp", "dev-7") == line
    assert "dev-7" in ctl(broker, "clients", "list")
    assert ctl(broker, "gateways", "kick", "tcp", "dev-7") == "ok\n"
    device.wait_closed()
    device.close()
    assert run_ctl(broker, "gateways", "kick", "tcp", "dev-7")[0::2] == (1, "Not Found.\n")


def test_acl_log_and_reload(broker):
    acl = use_acl(broker, "{allow, all}.\n")
    client = mqtt_raw.RawClient(broker.port)
    client.connect("stays")
    assert ctl(broker, "acl", "reload") == "ok\n"
    assert ctl(broker, "acl", "cache-clean", "all") == "ok\n"
    assert ctl(broker, "acl", "cache-clean", "stays") == "ok\n"
    assert ctl(broker, "log", "set-level", "warning") == "warning\n"
    assert ctl(broker, "log", "primary-level") == "warning\n"
    code, _, err = run_ctl(broker, "log", "set-level", "loud")
    assert code == 1 and "unknown log level" in err
    assert ctl(broker, "reload") == "reloaded: auth, acl_file, log.level\n"
    assert ctl(broker, "log", "primary-level") == "debug\n"  # back to the file's log.level
    assert [c["clientid"] for c in Api(broker).get("/clients")] == ["stays"]
    acl.write_text("{allow")
    code, _, err = run_ctl(broker, "acl", "reload")
    assert code == 1 and "ACL not reloaded" in err


def test_usage_errors_exit_2(broker):
    code, out, err = run_ctl(broker)
    assert code == 2 and err.startswith("usage: gatemq ctl")
    assert run_ctl(broker, "frobnicate")[0] == 2
    assert run_ctl(broker, "clients", "show")[0] == 2
    assert run_ctl(broker, "--port", "0", "status")[0] == 2
    code, out, _ = run_ctl(broker, "help")
    assert code == 0 and "clients list" in out


def test_unreachable_node_and_refused_credentials_exit_1(broker):
    code, _, err = run_ctl(broker, "--port", str(free_port()), "status")
    assert code == 1 and "cannot reach the management API" in err
    code, _, err = run_ctl(broker, "--user", "admin:wrong", "status")
    assert code == 1 and "refused the credentials" in err


def test_plugins_list(broker):
    lines = ctl(broker, "plugins", "list").splitlines()
    # The seed's names, sorted, one Plugin(...) line each.
    assert [line.split(",")[0] for line in lines] == [
        "Plugin(emqx_coap", "Plugin(emqx_lwm2m", "Plugin(emqx_sn", "Plugin(emqx_stomp",
        "Plugin(emqx_tcp"], lines
    assert re.search(r"^Plugin\(emqx_stomp, version=\S+, description=STOMP 1.0/1.1/1.2 Gateway, "
                     r"active=true\)$", "\n".join(lines), re.M), lines


def test_trace_start_list_stop(broker):
    path = broker.directory / "c1.trace"
    assert ctl(broker, "trace", "start", "client", "c1", str(path)) == \
        "trace client c1 successfully\n"
    assert ctl(broker, "trace", "start", "topic", "t/1", str(path) + ".t", "error") == \
        "trace topic t/1 successfully\n"
    assert ctl(broker, "trace", "list") == (
        f'Trace(client_id=c1, level=debug, destination="{path}")\n'
        f'Trace(topic=t/1, level=error, destination="{path}.t")\n')
    client = mqtt_raw.RawClient(broker.port)
    client.connect("c1")
    assert ctl(broker, "clients", "kick", "c1") == "ok\n"
    client.wait_closed()
    assert "c1" in path.read_text()
    assert ctl(broker, "trace", "stop", "client", "c1") == \
        "stop tracing client_id c1 successfully\n"
    assert ctl(broker, "trace", "stop", "topic", "t/1") == "stop tracing topic t/1 successfully\n"
    assert ctl(broker, "trace", "list") == ""
    assert run_ctl(broker, "trace", "stop", "client", "c1")[0] == 1
    assert run_ctl(broker, "trace", "start", "node", "x", "f")[0] == 2
