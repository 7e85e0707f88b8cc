"""gatemq-bench (bench/) against the broker under test: it connects, publishes (over MQTT, and
over MQTT-SN and STOMP to gatemq's gateways), receives and prints a valid JSON summary. Counts only, never
timing: this runs on loaded CI machines.

The binary is $GATEMQ_BENCH_BIN, or bench/gatemq-bench in the build directory that holds
$GATEMQ_BIN; the tests skip when neither exists (a build with GATEMQ_BENCH=OFF)."""
import json
import os
import pathlib
import socket
import subprocess
import time

import pytest

from mqttsn_e2e import PREDEFINED, sn_config, wait_for_gateway


def bench_binary():
    explicit = os.environ.get("GATEMQ_BENCH_BIN")
    if explicit:
        return explicit
    broker = os.environ.get("GATEMQ_BIN")
    if broker:
        # <build>/app/gatemq -> <build>/bench/gatemq-bench
        candidate = pathlib.Path(broker).resolve().parents[1] / "bench" / "gatemq-bench"
        if candidate.exists():
            return str(candidate)
    pytest.skip("gatemq-bench not built (set GATEMQ_BENCH_BIN)")


def run_json(command, timeout=60):
    out = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, f"{command} exited {out.returncode}:\n{out.stderr}"
    return json.loads(out.stdout)


def start_subscribers(binary, broker, tmp_path, args, mode="sub"):
    ready = tmp_path / "ready"
    port = broker.stomp_port if mode == "stompsub" else broker.port
    process = subprocess.Popen([binary, mode, "-p", str(port), "--json", "--quiet",
                                "--ready-file", str(ready)] + args,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not ready.exists():
        assert process.poll() is None, process.communicate()[1]
        assert time.monotonic() < deadline, "subscribers never got ready"
        time.sleep(0.05)
    return process


def run_with_subscribers(binary, broker, tmp_path, sub_args, publish, sub_mode="sub"):
    """Starts subscribers (sub_args), calls publish() once they are ready, then waits for the
    subscribers' summary; returns it with what publish() returned."""
    sub = start_subscribers(binary, broker, tmp_path, sub_args, sub_mode)
    try:
        published = publish()
        stdout, stderr = sub.communicate(timeout=60)
    finally:
        if sub.poll() is None:
            sub.kill()
            sub.communicate()
    assert sub.returncode == 0, stderr
    return json.loads(stdout), published


@pytest.mark.parametrize("version,qos", [(4, 0), (4, 1), (5, 2)])
def test_pub_sub_counts(broker, tmp_path, version, qos):
    binary = bench_binary()
    # 2 subscribers on smoke/#, 3 publishers x 100 messages: each subscriber gets all 300.
    received, pub = run_with_subscribers(
        binary, broker, tmp_path,
        ["-c", "2", "-t", "smoke/#", "-q", str(qos), "-V", str(version), "--expect", "600",
         "-d", "60"],
        lambda: run_json([binary, "pub", "-p", str(broker.port), "--json", "--quiet", "-c", "3",
                          "-t", "smoke/%i/%c", "-q", str(qos), "-V", str(version), "-L", "100",
                          "-s", "32", "-d", "60"]))

    assert pub["mode"] == "pub" and pub["mqtt_version"] == version
    assert pub["connections"]["ready"] == 3
    assert pub["messages"]["sent"] == 300
    if qos:
        assert pub["messages"]["acked"] == 300
    assert pub["errors"] == {"protocol": 0, "failed": 0, "disconnected": 0}

    assert received["connections"]["ready"] == 2
    assert received["messages"]["received"] == 600
    assert received["messages"]["unstamped"] == 0
    assert received["latency_us"]["count"] == 600
    assert received["latency_us"]["p50"] <= received["latency_us"]["max"]
    assert received["errors"]["protocol"] == 0


@pytest.mark.gatemq_only
def test_stomp_pub_sub_counts(broker, tmp_path):
    # 2 STOMP subscribers on /topic/smoke, 3 STOMP publishers x 100 SENDs of 64 bytes (binary:
    # the stamp, so content-length framing is exercised): each subscriber gets all 300.
    binary = bench_binary()
    received, pub = run_with_subscribers(
        binary, broker, tmp_path, ["-c", "2", "-t", "/topic/smoke", "--expect", "600", "-d", "60"],
        lambda: run_json([binary, "stomppub", "-p", str(broker.stomp_port), "--json", "--quiet",
                          "-c", "3", "-t", "/topic/smoke", "-L", "100", "-u", "guest",
                          "-P", "guest", "-d", "60"]),
        sub_mode="stompsub")

    assert pub["mode"] == "stomppub"
    assert pub["connections"]["ready"] == 3
    assert pub["messages"]["sent"] == 300
    assert pub["errors"] == {"protocol": 0, "failed": 0, "disconnected": 0}
    assert received["mode"] == "stompsub"
    assert received["connections"]["ready"] == 2
    assert received["messages"]["received"] == 600
    assert received["messages"]["unstamped"] == 0
    assert received["latency_us"]["count"] == 600
    assert received["errors"]["protocol"] == 0


def test_conn_holds_connections(broker):
    binary = bench_binary()
    summary = run_json([binary, "conn", "-p", str(broker.port), "--json", "--quiet", "-c", "50",
                        "-k", "30", "-d", "0.5"])
    assert summary["connections"]["ready"] == 50
    assert summary["connections"]["failed"] == 0
    assert summary["connections"]["disconnected"] == 0
    assert summary["connections"]["handshake_ms"]["count"] == 50


def test_usage_error_exits_2():
    binary = bench_binary()
    out = subprocess.run([binary, "pub", "--qos", "7"], capture_output=True, text=True)
    assert out.returncode == 2
    assert "--qos" in out.stderr


def run_snpub_and_subscriber(broker, tmp_path, filter_, expected, snpub_runs):
    """One MQTT subscriber on `filter_` expecting `expected` messages, then each snpub argument
    list in turn against the MQTT-SN gateway; returns (subscriber summary, snpub summaries)."""
    binary = bench_binary()
    wait_for_gateway(broker.mqttsn_port)
    return run_with_subscribers(
        binary, broker, tmp_path, ["-c", "1", "-t", filter_, "--expect", str(expected), "-d", "60"],
        lambda: [run_json([binary, "snpub", "-p", str(broker.mqttsn_port), "--json", "--quiet",
                           "-s", "32", "-d", "60"] + args)
                 for args in snpub_runs])


def assert_received(received, count):
    assert received["connections"]["ready"] == 1
    assert received["messages"]["received"] == count
    assert received["messages"]["unstamped"] == 0
    assert received["latency_us"]["count"] == count
    assert received["errors"]["protocol"] == 0


@pytest.mark.gatemq_only
@pytest.mark.broker_config(sn_config())
@pytest.mark.parametrize("qos", [0, 1])
def test_snpub_registered_topics_reach_mqtt_subscribers(broker, tmp_path, qos):
    # 3 MQTT-SN publishers REGISTER snsmoke/<i> and send 50 each; one MQTT subscriber gets all.
    # A modest rate: UDP drops what a busy receiver cannot take, and this test counts exactly.
    received, (pub,) = run_snpub_and_subscriber(
        broker, tmp_path, "snsmoke/#", 150,
        [["-c", "3", "-t", "snsmoke/%i", "-q", str(qos), "-L", "50", "-r", "200"]])

    assert pub["mode"] == "snpub"
    assert pub["connections"]["ready"] == 3
    assert pub["messages"]["sent"] == 150
    assert pub["messages"]["acked"] == (150 if qos else 0)
    assert pub["errors"] == {"protocol": 0, "failed": 0, "disconnected": 0}
    assert_received(received, 150)


@pytest.mark.gatemq_only
@pytest.mark.broker_config(sn_config())
def test_snpub_predefined_id_and_short_topic(broker, tmp_path):
    # 2 publishers on predefined id 7 and 2 on the short names "s0"/"s1", 20 messages each and
    # no REGISTER; the subscriber on # sees all 80.
    topic_id = max(PREDEFINED)  # a topic sn_config() predefines
    received, pubs = run_snpub_and_subscriber(
        broker, tmp_path, "#", 80,
        [["-c", "2", "--topic-id", str(topic_id), "-q", "1", "-L", "20", "-r", "200"],
         ["-c", "2", "--short-topic", "-t", "s%i", "-L", "20", "-r", "200"]])

    for pub in pubs:
        assert pub["connections"]["ready"] == 2
        assert pub["messages"]["sent"] == 40
        assert pub["errors"] == {"protocol": 0, "failed": 0, "disconnected": 0}
    assert pubs[0]["messages"]["acked"] == 40
    assert_received(received, 80)


def test_snpub_without_gateway_fails_the_handshake(tmp_path):
    # Nothing listens on this UDP port: ICMP port unreachable (or the deadline) fails CONNECT.
    binary = bench_binary()
    with socket.socket(type=socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = subprocess.run([binary, "snpub", "-p", str(port), "--json", "--quiet", "-c", "2",
                          "--connect-timeout", "2", "-L", "1"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 1  # nobody got ready
    summary = json.loads(out.stdout)
    assert summary["connections"]["ready"] == 0
    assert summary["connections"]["failed"] == 2
