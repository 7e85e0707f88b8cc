"""bench/compare's output: the machine it ran on, the headline tables (gatemq against mosquitto,
and the gateways against their peers: both figures, their ratio, the issue's target and whether
it is met) and the per-scenario details, as Markdown and JSON."""
import datetime
import json
import os
import platform
import subprocess

# (scenario, metric label, how to read it from a result, better when "higher"/"lower",
#  target ratio gatemq ÷ Mosquitto or None, target text)
ROWS = [
    ("fan-in", "max delivered msg/s", lambda r: r["max_delivered_per_s"], "higher", 2.0,
     "≥ 2×"),
    ("fan-in", "p99 ms at max sustained", lambda r: r["p99_ms_at_max_sustained"], "lower",
     None, ""),
    ("fan-in", "p99 ms at the highest load both sustain", None, "lower", None, ""),
    ("point-to-point", "p50 latency ms", lambda r: r["p50_ms"], "lower", None, ""),
    ("point-to-point", "p99 latency ms", lambda r: r["p99_ms"], "lower", 0.5, "≤ ½×"),
    ("fan-out", "max delivered msg/s", lambda r: r["max_delivered_per_s"], "higher", 2.0,
     "≥ 2×"),
    ("fan-out", "p99 ms at max sustained", lambda r: r["p99_ms_at_max_sustained"], "lower", None,
     ""),
    ("fan-out", "p99 ms at the highest load both sustain", None, "lower", None, ""),
    ("idle-connections", "broker RSS per connection KB", lambda r: r["rss_per_connection_kb"],
     "lower", 1.0, "≤ 1×"),
    ("conn-rate", "connections accepted/s", lambda r: r["per_s"], "higher", 1.5, "≥ 1.5×"),
    ("cpu-per-message", "broker CPU s per million msgs", lambda r: r["cpu_s_per_million"],
     "lower", 1.0, "< 1×"),
    ("mqttsn-fan-in", "max delivered msg/s", lambda r: r["max_delivered_per_s"], "higher", None,
     ""),
    ("mqttsn-fan-in", "p99 ms at max sustained", lambda r: r["p99_ms_at_max_sustained"],
     "lower", None, ""),
    ("overload-ramp", "max sustained msg/s (4 → 1)", lambda r: r["max_sustained_per_s"],
     "higher", None, ""),
    ("overload-ramp", "lowest delivered msg/s past saturation",
     lambda r: r["delivered_past_saturation_per_s"], "higher", None, ""),
    ("overload-ramp", "that ÷ its own max sustained", lambda r: r["goodput_past_saturation"],
     "higher", None, ""),
    ("overload-unpaced", "lowest delivered msg/s, 1/4/10/100 unpaced → 1",
     lambda r: r["min_delivered_per_s"], "higher", 2.0, "≥ 2×"),
    ("overload-unpaced", "delivered msg/s, 100 unpaced → 10", lambda r: r["fan_in_delivered_per_s"],
     "higher", 2.0, "≥ 2×"),
    ("overload-unpaced", "peak broker RSS MB", lambda r: r["peak_rss_mb"], "lower", None, ""),
]
# The gateways against their peers (issue #27 §3): (scenario, peer, metric label, how to read it,
# better when, target ratio gatemq ÷ peer or None, target text).
PEER_ROWS = [
    ("sn-peer-qos0-20", "paho-mqttsn", "MQTT-SN QoS 0, 20 publishers: max sustained msg/s",
     lambda r: r["max_sustained_per_s"], "higher", 2.0, "≥ 2×"),
    ("sn-peer-qos0-100", "paho-mqttsn", "MQTT-SN QoS 0, 100 publishers: max sustained msg/s",
     lambda r: r["max_sustained_per_s"], "higher", 2.0, "≥ 2×"),
    ("sn-peer-qos1-20", "paho-mqttsn", "MQTT-SN QoS 1, 20 publishers: max sustained msg/s",
     lambda r: r["max_sustained_per_s"], "higher", 2.0, "≥ 2×"),
    ("stomp-paced", "rabbitmq", "STOMP 4 → 1, paced: max sustained msg/s",
     lambda r: r["max_sustained_per_s"], "higher", 2.0, "≥ 2×"),
    ("stomp-paced", "rabbitmq", "STOMP 4 → 1, paced: peak broker RSS MB",
     lambda r: r["peak_rss_mb"], "lower", None, ""),
    ("stomp-unpaced", "rabbitmq", "STOMP 4 → 1, unpaced: delivered msg/s",
     lambda r: r["delivered_per_s"], "higher", 2.0, "≥ 2×"),
    ("stomp-unpaced", "rabbitmq", "STOMP 4 → 1, unpaced: peak broker RSS MB",
     lambda r: r["peak_rss_mb"], "lower", None, "bounded"),
]
PEER_NAMES = {"paho-mqttsn": "Paho MQTT-SN gateway + Mosquitto", "rabbitmq": "RabbitMQ STOMP"}
NUMBERS = {"fan-in": 1, "point-to-point": 2, "fan-out": 3, "idle-connections": 4, "conn-rate": 5,
           "cpu-per-message": 6, "mqttsn-fan-in": 7, "overload-ramp": 8, "overload-unpaced": 9,
           "sn-peer-qos0-20": 10, "sn-peer-qos0-100": 11, "sn-peer-qos1-20": 12,
           "stomp-paced": 13, "stomp-unpaced": 14}
NOT_APPLICABLE = "n/a"  # the broker cannot run the scenario at all (e.g. no MQTT-SN)
ABSENT = "absent"       # a peer that is not installed here


def run(command):
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def build_type(gatemq):
    """CMAKE_BUILD_TYPE of the build directory holding the gatemq binary, if it is one."""
    cache = os.path.join(os.path.dirname(os.path.abspath(gatemq)), "..", "..", "CMakeCache.txt")
    try:
        with open(cache) as f:
            for line in f:
                if line.startswith("CMAKE_BUILD_TYPE:"):
                    return line.split("=", 1)[1].strip()
    except OSError:
        pass
    return "unknown build type"


def peer_versions(peers):
    """What each peer binary is, or that it is not there: {"paho-mqttsn": path, "rabbitmq": path}."""
    versions = {}
    paho = peers.get("paho-mqttsn")
    if paho and os.access(paho, os.X_OK):
        try:
            with open(os.path.join(os.path.dirname(paho), "VERSION")) as f:
                versions["paho-mqttsn"] = f.read().strip()
        except OSError:
            versions["paho-mqttsn"] = f"{paho} (version unknown: no VERSION file next to it)"
    else:
        versions["paho-mqttsn"] = "not present"
    rabbitmq = peers.get("rabbitmq")
    if rabbitmq and os.access(rabbitmq, os.X_OK):
        version = run(["dpkg-query", "-W", "-f", "${Version}", "rabbitmq-server"])
        versions["rabbitmq"] = f"RabbitMQ {version or '(version unknown)'} (rabbitmq_stomp)"
    else:
        versions["rabbitmq"] = "not present"
    return versions


def machine_description(repo, gatemq, mosquitto, peers=None):
    cpu = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        memory_kb = int(f.readline().split()[1])
    debian = ""
    if os.path.exists("/etc/debian_version"):
        with open("/etc/debian_version") as f:
            debian = "Debian " + f.read().strip()
    commit = run(["git", "-C", str(repo), "rev-parse", "--short", "HEAD"])
    dirty = run(["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no"])
    mosquitto_version = run([mosquitto, "-h"]).splitlines()
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(memory_kb / 2**20, 1),
        "kernel": platform.release(),
        "os": debian,
        "commit": commit + (" + uncommitted changes" if dirty else ""),
        "gatemq": run([gatemq, "--version"]) + ", " + build_type(gatemq),
        "mosquitto": mosquitto_version[0] if mosquitto_version else "",
        "peers": peer_versions(peers or {}),
        # Other work on the machine skews the figures (a single-threaded broker loses more
        # to it): say how busy it was.
        "load_average_start": os.getloadavg(),
    }


def ratio_of(ours, theirs):
    numbers = (int, float)
    if not isinstance(ours, numbers) or not isinstance(theirs, numbers) or theirs == 0:
        return None
    return ours / theirs


def verdict(ratio, better, target):
    if target is None:
        return ""
    if ratio is None:
        return "n/a"
    if better == "higher":
        return "yes" if ratio >= target else "no"
    return "yes" if ratio <= target else "no"


def fmt(value):
    if value is None:
        return "–"
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value < 100:
        return f"{value:.2f}"
    return f"{value:,.0f}"


def common_step_p99(results):
    """p99 of each broker at the highest ladder step both sustained: latency at equal load,
    where "at max sustained" compares different loads. Returns ({broker: p99}, rate)."""
    try:
        ours, theirs = results["gatemq"]["steps"], results["mosquitto"]["steps"]
    except KeyError:
        return {}, None
    both = [i for i in range(min(len(ours), len(theirs)))
            if ours[i]["sustained"] and theirs[i]["sustained"]]
    if not both:
        return {}, None
    i = both[-1]
    return {"gatemq": ours[i]["p99_ms"], "mosquitto": theirs[i]["p99_ms"]}, \
        theirs[i]["offered_per_s"]


def headline(report):
    rows = []
    for scenario, label, read, better, target, target_text in ROWS:
        results = report["scenarios"].get(scenario)
        if not results:
            continue
        values = {}
        if read is None:
            values, rate = common_step_p99(results)
            if rate is None:
                continue
            label = f"p99 ms at {rate:,} msg/s (highest load both sustain)"
        for broker in ("gatemq", "mosquitto"):
            if "unsupported" in results.get(broker, {}):
                values[broker] = NOT_APPLICABLE
                continue
            try:
                values.setdefault(broker, read(results[broker]) if read else None)
            except (KeyError, TypeError):
                values[broker] = None
        ratio = ratio_of(values["gatemq"], values["mosquitto"])
        met = verdict(ratio, better, target)
        if scenario == "cpu-per-message" and ratio is not None:
            met = "yes" if ratio < 1.0 else "no"  # strictly less CPU
        rows.append({"scenario": scenario, "number": NUMBERS[scenario], "metric": label,
                     "better": better, "gatemq": values["gatemq"],
                     "mosquitto": values["mosquitto"],
                     "ratio": None if ratio is None else round(ratio, 3),
                     "target": target_text, "met": met})
    return rows


def peer_headline(report):
    rows = []
    for scenario, peer, label, read, better, target, target_text in PEER_ROWS:
        results = report["scenarios"].get(scenario)
        if not results:
            continue
        values = {}
        for broker in ("gatemq", peer):
            result = results.get(broker, {})
            if "absent" in result:
                values[broker] = ABSENT
                continue
            try:
                values[broker] = read(result)
            except (KeyError, TypeError):
                values[broker] = None
        ratio = ratio_of(values["gatemq"], values[peer])
        rows.append({"scenario": scenario, "number": NUMBERS[scenario], "metric": label,
                     "better": better, "gatemq": values["gatemq"], "peer": peer,
                     "peer_value": values[peer],
                     "ratio": None if ratio is None else round(ratio, 3),
                     "target": target_text, "met": verdict(ratio, better, target)})
    return rows


def details(report):
    lines = []
    for scenario, results in report["scenarios"].items():
        lines.append(f"### {NUMBERS[scenario]}. {scenario}")
        lines.append("")
        for broker, result in results.items():
            if "unsupported" in result:
                lines.append(f"- {broker}: {NOT_APPLICABLE}: {result['unsupported']}")
                continue
            if "absent" in result:
                lines.append(f"- {broker}: {result['absent']}")
                continue
            if "error" in result:
                lines.append(f"- **{broker}: failed**: `{result['error'].splitlines()[0]}`")
                continue
            text = f"- {broker}: {result.get('describe', '')} ({result.get('seconds', '?')} s)"
            if result.get("note"):
                text += f". Note: {result['note']}"
            lines.append(text)
            for run in result.get("runs", []):
                lines.append(f"  - {run['publishers']} unpaced → {run['subscribers']}: sent "
                             f"{run['sent_per_s']:,}/s, delivered {run['delivered_per_s']:,}/s, "
                             f"peak RSS {run['peak_rss_mb']} MB")
            for step in result.get("steps", []):
                rss = f", peak RSS {step['peak_rss_mb']} MB" if "peak_rss_mb" in step else ""
                lines.append(f"  - offered {step['offered_per_s']:,}/s → delivered "
                             f"{step['delivered_per_s']:,}/s, p99 {step['p99_ms']:.1f} ms{rss}"
                             f"{'' if step['sustained'] else ' (not sustained)'}")
            if "runs" not in result and "delivered_per_s" in result and "peak_rss_mb" in result:
                lines.append(f"  - sent {result['sent_per_s']:,}/s, delivered "
                             f"{result['delivered_per_s']:,}/s, peak RSS "
                             f"{result['peak_rss_mb']} MB")
            for key in ("p50_ms", "p99_ms", "p99_9_ms", "max_ms", "rss_before_mb",
                        "rss_after_mb", "connections", "failed", "handshake_p99_ms", "cpu_s",
                        "delivered", "sent", "acked", "received"):
                if key in result and key not in ("sent", "received", "delivered", "acked"):
                    lines.append(f"  - {key}: {fmt(result[key])}")
            counts = [f"{k} {result[k]:,}" for k in ("sent", "acked", "received", "delivered")
                      if k in result]
            if counts:
                lines.append("  - " + ", ".join(counts))
        lines.append("")
    return lines


def load(values):
    return "/".join(f"{v:.1f}" for v in values) if values else "?"


def peer_table(rows):
    if not rows:
        return []
    out = ["", "## The gateways against their peers", "",
           "| # | Scenario | Metric | gatemq | Peer | Peer's figure | gatemq ÷ peer | Target | Met |",
           "|---|---|---|---:|---|---:|---:|---|---|"]
    out += [table_row(row, [fmt(row["gatemq"]), PEER_NAMES[row["peer"]], fmt(row["peer_value"])])
            for row in rows]
    return out


def table_row(row, figures):
    """A headline row: number, scenario, metric, `figures`, ratio, target, met."""
    ratio = "–" if row["ratio"] is None else f"{row['ratio']:.2f}×"
    better = "↑" if row["better"] == "higher" else "↓"
    cells = [str(row["number"]), row["scenario"], f"{row['metric']} {better}", *figures, ratio,
             row["target"], row["met"]]
    return "| " + " | ".join(cells) + " |"


def absent_peers(report):
    """One line per peer that was not there, whichever scenarios wanted it."""
    seen = []
    for results in report["scenarios"].values():
        for result in results.values():
            if "absent" in result and result["absent"] not in seen:
                seen.append(result["absent"])
    return seen


def markdown(report, rows, peer_rows):
    m = report["machine"]
    out = [
        "# gatemq vs Mosquitto" + (" and the gateways' peers" if peer_rows else "") +
        (" (quick run: sizes far below the issue's)" if report["quick"] else ""),
        "",
        f"Measured {m['date']} by `bench/compare` on {m['cpu']}, {m['cores']} cores, "
        f"{m['memory_gb']} GB RAM, {m['os']}, Linux {m['kernel']}; gatemq commit {m['commit']} "
        f"({m['gatemq']}), {m['mosquitto']}. Everything on loopback, load generator "
        f"(`gatemq-bench`) on the same 2 cores as the broker; each broker started afresh for "
        f"each scenario; total {report['total_seconds']} s. Load average (1/5/15 min) "
        f"{load(m['load_average_start'])} at the start, {load(m.get('load_average_end'))} at "
        f"the end (other work on the machine competes with both brokers).",
        "",
    ]
    if rows:
        out += ["| # | Scenario | Metric | gatemq | Mosquitto | gatemq ÷ Mosquitto | Target | Met |",
                "|---|---|---|---:|---:|---:|---|---|"]
    out += [table_row(row, [fmt(row["gatemq"]), fmt(row["mosquitto"])]) for row in rows]
    out += peer_table(peer_rows)
    out += ["", "↑ higher is better, ↓ lower is better."]
    peers = m.get("peers", {})
    used = {row["peer"] for row in peer_rows if peers.get(row["peer"], "") != "not present"}
    if used:
        out.append("Peers: " + "; ".join(f"{PEER_NAMES[p]}: {peers.get(p, '?')}"
                                         for p in sorted(used)) + ".")
    for line in absent_peers(report):
        out.append(f"{line}.")
    for scenario, results in report["scenarios"].items():
        for broker, result in results.items():
            if "unsupported" in result:
                out.append(f"{NOT_APPLICABLE} for {broker} in {NUMBERS[scenario]} ({scenario}): "
                           f"{result['unsupported']}.")
    out += ["", "## Details", ""]
    out += details(report)
    return "\n".join(out) + "\n"


def write_reports(report, directory):
    rows = headline(report)
    peer_rows = peer_headline(report)
    report["table"] = rows
    report["peer_table"] = peer_rows
    text = markdown(report, rows, peer_rows)
    name = "RESULTS-quick" if report["quick"] else "RESULTS"
    with open(os.path.join(directory, name + ".md"), "w") as f:
        f.write(text)
    with open(os.path.join(directory, name.lower() + ".json"), "w") as f:
        json.dump(report, f, indent=2)
    return text
