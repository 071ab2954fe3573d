"""`make bench`'s own rules: the verdicts it prints, the spare tasks its deletes use, and the
host setting it changes for a run and gives back."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "run.py"


@pytest.fixture(scope="module")
def bench() -> Iterator[ModuleType]:
    spec = importlib.util.spec_from_file_location("bench_run", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_run"] = module
    spec.loader.exec_module(module)
    yield module
    del sys.modules["bench_run"]


def results(
    bench: ModuleType, rates: dict[str, float], *, p99_ms: float = 20.0, errors: int = 0
) -> list[object]:
    return [
        bench.Result(name, conns, rates.get(name, 1000.0), 5.0, p99_ms, errors if conns == 256 else 0)
        for conns in (32, 256)
        for name in ["get", "ceiling", *bench.SCENARIOS[1:]]
    ]


def test_each_target_is_met_or_missed_against_its_goal(bench: ModuleType) -> None:
    rates = {"get": 3000.0, "ceiling": 4000.0, "list": 1400.0, "create": 1600.0, "patch": 1500.0}
    verdicts = {v["target"]: v["ok"] for v in bench.targets(results(bench, rates), [120.0, 121.0])}
    assert verdicts == {
        "get-one vs ceiling": False,  # 0.75 < 0.8
        "list-50 vs get-one": False,  # 0.47 < 0.5
        "create vs get-one": True,
        "patch vs get-one": True,  # 0.5 is met
        "p99/p50 at 32 connections (worst)": True,
        "errors at 256 connections": True,
        "RSS per worker (MB, max)": True,
    }


def test_a_ratio_just_under_its_goal_is_never_shown_at_the_goal(bench: ModuleType) -> None:
    rates = {"get": 3000.0, "ceiling": 3000.0, "list": 1499.9}  # list-50: 0.49997
    verdict = next(
        v for v in bench.targets(results(bench, rates), [120.0]) if v["target"] == "list-50 vs get-one"
    )
    assert (verdict["measured"], verdict["ok"]) == (0.499, False)


def test_get_and_the_ceiling_take_turns_to_follow_the_writes_of_the_round_before(bench: ModuleType) -> None:
    orders = [bench.round_order(index) for index in range(4)]
    # Both apps follow the writes (the end of the round before) equally often, and each round
    # measures every compared scenario once.
    assert [order[0] for order in orders] == ["get", "ceiling", "get", "ceiling"]
    assert all(sorted(order) == sorted(bench.INTERLEAVED) for order in orders)
    assert all(order[-1] == "patch" for order in orders)


def test_errors_at_256_connections_and_a_long_tail_are_missed(bench: ModuleType) -> None:
    verdicts = {
        v["target"]: v["ok"] for v in bench.targets(results(bench, {}, p99_ms=60.0, errors=1), [151.0])
    }
    assert verdicts["errors at 256 connections"] is False
    assert verdicts["p99/p50 at 32 connections (worst)"] is False  # 60 / 5 = 12
    assert verdicts["RSS per worker (MB, max)"] is False


def test_every_delete_run_and_thread_has_spare_tasks_of_its_own(bench: ModuleType) -> None:
    threads = 2
    stride = bench._RUN_SPACING // threads
    stretches = [
        range(run * bench._RUN_SPACING + thread * stride, run * bench._RUN_SPACING + (thread + 1) * stride)
        for run in range(len(bench.CONNECTIONS))
        for thread in range(threads)
    ]
    taken = [item for stretch in stretches for item in stretch]
    assert len(taken) == len(set(taken))
    assert max(taken) < bench._ITEMS
    # A whole run at 3,000 deletes/s per thread (6,000/s in all; the fastest host measured 4,700).
    assert stride >= 3000 * bench.DURATION


@pytest.fixture
def autogroups_on(bench: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The kernel setting as Debian ships it, in a file the test may write."""
    setting = tmp_path / "sched_autogroup_enabled"
    setting.write_text("1\n")
    monkeypatch.setattr(bench, "AUTOGROUP", setting)
    monkeypatch.delenv("BENCH_KEEP_SCHEDULER", raising=False)
    return setting


def test_autogroups_are_turned_off_for_the_run_and_restored(bench: ModuleType, autogroups_on: Path) -> None:
    setting = autogroups_on
    during: list[str] = []

    def failing_run() -> None:
        with bench.scheduler_without_autogroups() as measured_under:
            during.extend([setting.read_text(), measured_under])
            raise RuntimeError("the run failed")

    with pytest.raises(RuntimeError):
        failing_run()
    assert during == ["0", "autogroups off for the run"]
    assert setting.read_text().strip() == "1"


def test_the_host_is_left_alone_when_asked(
    bench: ModuleType, autogroups_on: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BENCH_KEEP_SCHEDULER", "1")
    with bench.scheduler_without_autogroups() as measured_under:
        assert autogroups_on.read_text() == "1\n"
    assert measured_under == "autogroups on (BENCH_KEEP_SCHEDULER=1)"


def test_a_host_without_autogroups_is_measured_as_it_is(
    bench: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bench, "AUTOGROUP", tmp_path / "absent")
    with bench.scheduler_without_autogroups() as measured_under:
        pass
    assert measured_under == "no autogroup scheduling"
    assert not (tmp_path / "absent").exists()


class ReadOnlySetting:
    """/proc/sys as a user other than root sees it: readable, not writable."""

    def exists(self) -> bool:
        return True

    def read_text(self) -> str:
        return "1\n"

    def write_text(self, _: str) -> int:
        raise PermissionError("not root")


def test_without_root_the_run_goes_on_under_autogroups_and_says_so(
    bench: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(bench, "AUTOGROUP", ReadOnlySetting())
    monkeypatch.delenv("BENCH_KEEP_SCHEDULER", raising=False)
    with bench.scheduler_without_autogroups() as measured_under:
        pass
    assert measured_under == "autogroups on (could not turn them off)"
    assert "expect stalls" in capsys.readouterr().err
