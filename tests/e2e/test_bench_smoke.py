"""gatemq-bench (bench/) against the broker under test: it connects, publishes, receives and
prints a valid JSON summary. Counts only, never timing: this runs on loaded CI machines.

The binary is $GATEMQ_BENCH_BIN, or bench/gatemq-bench in the build directory that holds
$GATEMQ_BIN; the tests skip when neither exists (a build with GATEMQ_BENCH=OFF)."""
import json
import os
import pathlib
import subprocess
import time

import pytest


def bench_binary():
    explicit = os.environ.get("GATEMQ_BENCH_BIN")
    if explicit:
        return explicit
    broker = os.environ.get("GATEMQ_BIN")
    if broker:
        # <build>/core/app/gatemq -> <build>/bench/gatemq-bench
        candidate = pathlib.Path(broker).resolve().parents[2] / "bench" / "gatemq-bench"
        if candidate.exists():
            return str(candidate)
    pytest.skip("gatemq-bench not built (set GATEMQ_BENCH_BIN)")


def run_json(command, timeout=60):
    out = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, f"{command} exited {out.returncode}:\n{out.stderr}"
    return json.loads(out.stdout)


def start_subscribers(binary, broker, tmp_path, args):
    ready = tmp_path / "ready"
    process = subprocess.Popen([binary, "sub", "-p", str(broker.port), "--json", "--quiet",
                                "--ready-file", str(ready)] + args,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not ready.exists():
        assert process.poll() is None, process.communicate()[1]
        assert time.monotonic() < deadline, "subscribers never got ready"
        time.sleep(0.05)
    return process


@pytest.mark.parametrize("version,qos", [(4, 0), (4, 1), (5, 2)])
def test_pub_sub_counts(broker, tmp_path, version, qos):
    binary = bench_binary()
    # 2 subscribers on smoke/#, 3 publishers x 100 messages: each subscriber gets all 300.
    sub = start_subscribers(binary, broker, tmp_path,
                            ["-c", "2", "-t", "smoke/#", "-q", str(qos), "-V", str(version),
                             "--expect", "600", "-d", "60"])
    try:
        pub = run_json([binary, "pub", "-p", str(broker.port), "--json", "--quiet", "-c", "3",
                        "-t", "smoke/%i/%c", "-q", str(qos), "-V", str(version), "-L", "100",
                        "-s", "32", "-d", "60"])
        stdout, stderr = sub.communicate(timeout=60)
    finally:
        if sub.poll() is None:
            sub.kill()
            sub.communicate()
    assert sub.returncode == 0, stderr
    received = json.loads(stdout)

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
