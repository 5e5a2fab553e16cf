"""`make bench`'s × floor (scripts/bench_report.py): each phase over the floor phases that ran just
before and just after it, also in repetitions whose plan runs the instances in another order."""

import importlib.util
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[3]


def bench_report():
    spec = importlib.util.spec_from_file_location("bench_report", ROOT / "scripts" / "bench_report.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_each_phase_is_divided_by_the_floor_phases_around_it_as_run():
    # Repetition 1 runs on, off; repetition 2 off, on (bench_wire.rotated_plan). Floor phases as run:
    # 100 | on | 200 | off | 300 || 400 | off | 500 | on | 600
    floors = [{"cpu_us": us} for us in (100, 200, 300, 400, 500, 600)]
    rows = {
        ("floor", "-"): floors,
        ("health", "on"): [{"cpu_us": 300, "floor_before": 0}, {"cpu_us": 1100, "floor_before": 4}],
        ("health", "off"): [{"cpu_us": 500, "floor_before": 1}, {"cpu_us": 900, "floor_before": 3}],
    }
    ratios = bench_report().ratios_to_floor(rows)
    assert ratios[("health", "on")] == [2.0, 2.0]  # 300 / 150, 1100 / 550
    assert ratios[("health", "off")] == [2.0, 2.0]  # 500 / 250, 900 / 450
    assert ratios[("floor", "-")] == [1.0]


def test_a_floor_phase_under_one_clock_tick_gives_no_ratio_rather_than_an_error():
    rows = {("pay", "on"): [{"cpu_us": 3000.0}, {"cpu_us": 4000.0}]}
    waiting = {
        ("pay", "on"): [{"cpu_us": 0.0, "wait_ms": 90.0, "pieces": 6}, {"cpu_us": 1000.0, "wait_ms": 95.0, "pieces": 6}]
    }
    table = bench_report().waiting_floor_table(rows, waiting)
    assert table.splitlines()[-1].endswith("| 4.0 |")
    waiting[("pay", "on")][1]["cpu_us"] = 0.0
    assert bench_report().waiting_floor_table(rows, waiting).splitlines()[-1].endswith("| — (under a clock tick) |")
