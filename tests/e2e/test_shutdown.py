"""SIGTERM/SIGINT: stop accepting, tell clients, exit 0."""
import signal
import socket

import pytest

import mqtt_raw
from mqtt_raw import V311, V5


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_closes_connections_and_exits_cleanly(broker, sig):
    v5 = mqtt_raw.RawClient(broker.port, V5)
    v5.connect("v5-client")
    v3 = mqtt_raw.RawClient(broker.port, V311)
    v3.connect("v3-client")
    idle = mqtt_raw.RawClient(broker.port, V311)  # connected, no CONNECT yet
    assert broker.stop(sig) == 0
    packets = v5.wait_closed()
    if broker.process.args[0].endswith("gatemq"):
        assert packets and packets[-1].type == mqtt_raw.DISCONNECT and packets[-1].reason == 0x8B
    v3.wait_closed()
    idle.wait_closed()
    with pytest.raises(OSError):
        socket.create_connection((broker.host, broker.port), timeout=2).close()


@pytest.mark.gatemq_only
def test_start_up_log_names_every_listener(broker):
    log = broker.log()
    assert f"tcp:external on 127.0.0.1:{broker.port}" in log


@pytest.mark.gatemq_only
def test_port_in_use_is_a_clear_start_up_error(broker, tmp_path):
    import os
    import subprocess
    config = tmp_path / "second.conf"
    config.write_text(f"listener.tcp.external = 127.0.0.1:{broker.port}\nlog.to = console\n")
    result = subprocess.run([os.environ["GATEMQ_BIN"], "--config", str(config)],
                            capture_output=True, timeout=20)
    assert result.returncode == 1
    output = result.stdout.decode() + result.stderr.decode()
    assert f"listener tcp:external: cannot bind 127.0.0.1:{broker.port}" in output


@pytest.mark.gatemq_only
def test_bad_config_is_a_clear_start_up_error(tmp_path):
    import os
    import subprocess
    config = tmp_path / "bad.conf"
    config.write_text("# comment\nzone.external.idle_timout = 15s\n")
    result = subprocess.run([os.environ["GATEMQ_BIN"], "--config", str(config)],
                            capture_output=True, timeout=20)
    assert result.returncode == 1
    assert (f"{config}:2: unknown key 'zone.external.idle_timout' (did you mean "
            f"'zone.external.idle_timeout'?)") in result.stderr.decode()
