"""The Markdown tables `make bench` prints (scripts/bench_http.py), as pasted into docs/benchmarks.md."""

LABELS = {
    "floor": "floor (one JSON route)",
    "health": "GET health",
    "status": "GET status (a page of 20 entries)",
    "initiate": "POST initiate, with a key",
    "credit": "POST webhook (credit)",
    "pay": "POST pay-with-wallet, with a key",
    "refund": "POST refund (admin), with a key",
}
OPERATIONS = ("floor", "health", "status", "initiate", "credit", "pay", "refund")
FLOOR = ("floor", "-")  # the key of the floor phases in the wire run's rows (bench_wire.Phases)


def spread(values, digits=0, scale=1.0):
    """'a–b' over the repetitions (one value when they agree at this precision)."""
    low, high = (f"{value * scale:,.{digits}f}" for value in (min(values), max(values)))
    return low if low == high else f"{low}–{high}"


def ratios_to_floor(rows):
    """(operation, limits) -> the CPU per request of each repetition over the mean of the floor
    phases just before and just after it (`floor_before`: the index of the one before, as run)."""
    floors = [result["cpu_us"] for result in rows[FLOOR]]
    ratios = {
        key: [
            result["cpu_us"] / ((floors[result["floor_before"]] + floors[result["floor_before"] + 1]) / 2)
            for result in results
        ]
        for key, results in rows.items()
        if key != FLOOR
    }
    ratios[FLOOR] = [1.0]
    return ratios


def round_trips(results):
    values = [result["round_trips"] for result in results]
    return spread(values, 2 if any(abs(v - round(v)) > 0.005 for v in values) else 0)


def wire_table(rows):
    ratios = ratios_to_floor(rows)
    lines = [
        "| operation | app CPU per request, µs | × floor | store round trips | p50 ms | p99 ms | req/s | errors |",
        "|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for operation in OPERATIONS:
        key = (operation, "-" if operation == "floor" else "on")
        results = rows.get(key)
        if not results:
            continue
        lines.append(
            f"| {LABELS[operation]} | {spread([r['cpu_us'] for r in results])} | {spread(ratios[key], 1)} "
            f"| {round_trips(results)} | {spread([r['p50'] for r in results], 1)} "
            f"| {spread([r['p99'] for r in results], 1)} | {spread([r['rate'] for r in results])} "
            f"| {sum(r['errors'] for r in results)} |"
        )
    return "\n".join(lines)


def waiting_floor_table(rows, waiting_rows):
    """Each operation's CPU per request (limits on) against the floor's when it waits as that
    operation waited (bench_wire.Phases.run_waiting_floor), paired within each repetition."""
    lines = [
        "| operation | app CPU per request, µs | the floor waiting, µs | its wait, ms (sleeps) | × the floor waiting |",
        "|---|--:|--:|--:|--:|",
    ]
    for operation in OPERATIONS:
        key = (operation, "on")
        if key not in waiting_rows:
            continue
        results, floors = rows[key], waiting_rows[key]
        # A short phase can take less CPU than one clock tick of /proc: 0, and no ratio.
        pairs = zip(results, floors, strict=True)
        ratios = [result["cpu_us"] / floor["cpu_us"] for result, floor in pairs if floor["cpu_us"] > 0]
        lines.append(
            f"| {LABELS[operation]} | {spread([r['cpu_us'] for r in results])} "
            f"| {spread([f['cpu_us'] for f in floors])} "
            f"| {spread([f['wait_ms'] for f in floors], 1)} ({spread([f['pieces'] for f in floors])}) "
            f"| {spread(ratios, 1) if ratios else '— (under a clock tick)'} |"
        )
    return "\n".join(lines)


def limits_table(rows):
    """CPU per request with limits off, on (memory://) and on (redis://), and the differences,
    each paired within its repetition."""
    ratios = ratios_to_floor(rows)
    variants = [limits for limits in ("off", "on", "redis") if ("health", limits) in rows]
    names = {"off": "limits off", "on": "on, memory://", "redis": "on, redis://"}
    header = "| operation | " + " | ".join(f"{names[v]}: µs (× floor)" for v in variants)
    header += "".join(f" | {names[v]} − off, µs" for v in variants if v != "off") + " |"
    lines = [header, "|---|" + "--:|" * (len(variants) * 2 - 1)]
    for operation in ("health", "status", "pay"):
        cells = []
        for limits in variants:
            results = rows[(operation, limits)]
            cells.append(f"{spread([r['cpu_us'] for r in results])} ({spread(ratios[(operation, limits)], 1)})")
        off = rows[(operation, "off")]
        for limits in variants:
            if limits != "off":
                deltas = [
                    on["cpu_us"] - base["cpu_us"] for on, base in zip(rows[(operation, limits)], off, strict=True)
                ]
                cells.append(f"{'+' if min(deltas) >= 0 else ''}{spread(deltas)}")
        lines.append(f"| {LABELS[operation]} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def commands_table(rows):
    """The store's commands per request of each operation (mean over the repetitions)."""
    lines = ["| operation | store commands per request |", "|---|---|"]
    for operation in OPERATIONS[1:]:
        results = rows.get((operation, "on"))
        if not results:
            continue
        names = sorted({name for result in results for name in result["commands"]})
        mean = {name: sum(r["commands"].get(name, 0) for r in results) / len(results) for name in names}
        text = ", ".join(
            f"{name} {value:.2f}".rstrip("0").rstrip(".") for name, value in mean.items() if value >= 0.005
        )
        lines.append(f"| {LABELS[operation]} | {sum(mean.values()):.2f}: {text} |".replace(".00:", ":"))
    return "\n".join(lines)


def embedded_table(rows, round_trips_counted):
    floors = [rows[name]["cpu_us"] for name in ("floor (before)", "floor (after)") if name in rows]
    floor_cpu = sum(floors) / len(floors)
    lines = [
        "| operation | requests | req/s | app CPU per request, µs | × floor | p50 ms | p99 ms | errors "
        "| store round trips |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for name, row in rows.items():
        counted = round_trips_counted.get(row.get("operation"))
        trips = str(counted["total"]) if counted else ("0" if name.startswith("floor") else "")
        lines.append(
            f"| {name} | {row['requests']} | {row['rate']:.0f} | {row['cpu_us']:.0f} | {row['cpu_us'] / floor_cpu:.1f} "
            f"| {row['p50']:.1f} | {row['p99']:.1f} | {row['errors']} | {trips} |"
        )
    return "\n".join(lines)


def calls_table(round_trips_counted):
    lines = ["| operation | calls |", "|---|---|"]
    for operation, counted in round_trips_counted.items():
        calls = ", ".join(f"{key} {n}" if n > 1 else key for key, n in counted["calls"].items())
        lines.append(f"| {operation} | {counted['total']}: {calls} |")
    return "\n".join(lines)
