"""bench/compare's output: the machine it ran on, the headline table (both figures, their ratio,
the issue's target and whether it is met) and the per-scenario details, as Markdown and JSON."""
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
NUMBERS = {"fan-in": 1, "point-to-point": 2, "fan-out": 3, "idle-connections": 4, "conn-rate": 5,
           "cpu-per-message": 6, "mqttsn-fan-in": 7, "overload-ramp": 8, "overload-unpaced": 9}
NOT_APPLICABLE = "n/a"  # the broker cannot run the scenario at all (e.g. no MQTT-SN)


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


def machine_description(repo, gatemq, mosquitto):
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


def details(report):
    lines = []
    for scenario, results in report["scenarios"].items():
        lines.append(f"### {NUMBERS[scenario]}. {scenario}")
        lines.append("")
        for broker in ("mosquitto", "gatemq"):
            result = results.get(broker, {})
            if "unsupported" in result:
                lines.append(f"- {broker}: {NOT_APPLICABLE}: {result['unsupported']}")
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
                lines.append(f"  - offered {step['offered_per_s']:,}/s → delivered "
                             f"{step['delivered_per_s']:,}/s, p99 {step['p99_ms']:.1f} ms"
                             f"{'' if step['sustained'] else ' (not sustained)'}")
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


def markdown(report, rows):
    m = report["machine"]
    out = [
        "# gatemq vs Mosquitto" + (" (quick run: sizes far below the issue's)"
                                   if report["quick"] else ""),
        "",
        f"Measured {m['date']} by `bench/compare` on {m['cpu']}, {m['cores']} cores, "
        f"{m['memory_gb']} GB RAM, {m['os']}, Linux {m['kernel']}; gatemq commit {m['commit']} "
        f"({m['gatemq']}), {m['mosquitto']}. Everything on loopback, load generator "
        f"(`gatemq-bench`) on the same 2 cores as the broker; each broker started afresh for "
        f"each scenario; total {report['total_seconds']} s. Load average (1/5/15 min) "
        f"{load(m['load_average_start'])} at the start, {load(m.get('load_average_end'))} at "
        f"the end (other work on the machine competes with both brokers).",
        "",
        "| # | Scenario | Metric | gatemq | Mosquitto | gatemq ÷ Mosquitto | Target | Met |",
        "|---|---|---|---:|---:|---:|---|---|",
    ]
    for row in rows:
        ratio = "–" if row["ratio"] is None else f"{row['ratio']:.2f}×"
        better = "↑" if row["better"] == "higher" else "↓"
        out.append(f"| {row['number']} | {row['scenario']} | {row['metric']} {better} | "
                   f"{fmt(row['gatemq'])} | {fmt(row['mosquitto'])} | {ratio} | "
                   f"{row['target']} | {row['met']} |")
    out += ["", "↑ higher is better, ↓ lower is better."]
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
    report["table"] = rows
    text = markdown(report, rows)
    name = "RESULTS-quick" if report["quick"] else "RESULTS"
    with open(os.path.join(directory, name + ".md"), "w") as f:
        f.write(text)
    with open(os.path.join(directory, name.lower() + ".json"), "w") as f:
        json.dump(report, f, indent=2)
    return text
