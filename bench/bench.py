"""Benchmark: generate.py, the handler's cold import, handler time per event, template sizes.

Not a test: it prints figures and asserts no timing. Each timed figure is the median of RUNS runs
(PAIRS for generate.py and its import floor), with min and max beside it.
Run: python bench/bench.py (or tox -e bench).

How each figure is measured:
- generate: `python generate.py --check` in a fresh interpreter per run, wall time around the
  subprocess (/usr/bin/time's own start adds about a millisecond); peak memory is the child's max
  RSS as reported by `/usr/bin/time -f %M` (GNU time, KiB). Twice: as tox runs it (bytecode
  cached outside the tree in PYTHONPYCACHEPREFIX, here a temporary one filled by one run first:
  every run after a checkout's first), and a first run (PYTHONDONTWRITEBYTECODE=1, no cache:
  templates/ compiled from source, as on a fresh clone).
- import floor: after each generate.py run, `python -c "import ..."` of every troposphere and
  awacs module generate.py loads (found by importing it), in the same environment; the pair's
  ratio is generate's wall time over the floor's. `generate_vs_import_floor` is the median ratio
  as tox runs it: both sides then load bytecode (the floor's modules have theirs in
  site-packages), so it compares like with like; `generate_vs_import_floor_first_run` is the
  median ratio when generate.py must compile its own modules and the floor need not.
- import: a copy of handler/ssm_notifier without bytecode (as a Lambda zip built elsewhere has
  none), imported with `python -I -B` and timed with perf_counter around the import statement.
  (a) bare: nothing imported before it; (b) on the runtime: the stdlib modules the Lambda runtime
  interface client (awslambdaric) imports before it loads a handler are imported first.
- per event: notify.process_batch on one batch of the fleet benchmark's events, SSM, SNS, the state
  table and S3 faked,
  pacing on a virtual clock, log lines (INFO, as deployed) written to a buffer.
- templates: build/*.yaml against CloudFormation's quotas.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]
HANDLER = ROOT / "handler"
sys.path[:0] = [str(ROOT), str(HANDLER), str(ROOT / "bench"), str(ROOT / "tests" / "handler")]

import fleet  # noqa: E402  (after the path set-up above)
from cfn_tools import load_yaml  # noqa: E402
from notifier_testkit import FakeClock  # noqa: E402
from ssm_notifier import log, notify  # noqa: E402
from ssm_notifier.settings import load_settings  # noqa: E402

from templates.config import Config  # noqa: E402
from templates.readme.sample_email import ENVIRONMENT, EmptyStateTable, ReportBucket  # noqa: E402

RUNS = 7
PAIRS = 15  # generate.py and its import floor, run in turn; more runs: the ratio is the goal
TIME_COMMAND = "/usr/bin/time"
HANDLER_MODULES = ("ssm_notifier.notify", "ssm_notifier.sweep")
# Module-level stdlib imports of awslambdaric 4.x before it imports the handler: bootstrap.py,
# lambda_runtime_client.py (+ concurrent.futures when it polls from a thread, python3.12 and
# later), lambda_runtime_marshaller.py, lambda_runtime_log_utils.py, lambda_context.py, and
# __main__ -> lambda_multi_concurrent_utils.py. simplejson (vendored there) is left out.
RUNTIME_PRELOAD = (
    "importlib",
    "json",
    "logging",
    "os",
    "sys",
    "time",
    "traceback",
    "datetime",
    "enum",
    "decimal",
    "math",
    "concurrent.futures",
    "socket",
    "multiprocessing",
)
IMPORT_CASES = {"bare": (), "on runtime": RUNTIME_PRELOAD}
# Runs in the child: preload, then time the handler import alone. Only builtins are used before
# the timer stops, so the probe itself imports nothing the handler could have needed.
IMPORT_PROBE = """
import sys, time
preload, code_root, module = sys.argv[1:4]
for name in filter(None, preload.split(",")):
    __import__(name)
sys.path.insert(0, code_root)
sys.stderr.write("-- handler import --\\n")
sys.stderr.flush()
started = time.perf_counter()
__import__(module)
elapsed = time.perf_counter() - started
loaded = [name for name in ("boto3", "botocore") if name in sys.modules]
print(elapsed * 1000, ",".join(loaded) or "-")
"""
# CloudFormation quotas (per template).
BODY_LIMIT_BYTES = 51_200  # TemplateBody in a request, as `aws cloudformation deploy` sends it
S3_LIMIT_BYTES = 1_000_000  # TemplateURL: nested stacks, or deploy --s3-bucket
MAX_RESOURCES, MAX_PARAMETERS, MAX_OUTPUTS = 500, 200, 200
TOPIC_ARN = f"arn:aws:sns:{fleet.REGION}:{fleet.ACCOUNT}:notifier"


class Figure:
    """The median of several runs, shown with min and max."""

    def __init__(self, samples: list[float]) -> None:
        self.samples = samples
        self.median = statistics.median(samples)

    def show(self, unit: str, digits: int = 1) -> str:
        low, high = min(self.samples), max(self.samples)
        return f"{self.median:.{digits}f} {unit} (min {low:.{digits}f}, max {high:.{digits}f})"


def repeat(run: Callable[[], float], runs: int = RUNS) -> Figure:
    return Figure([run() for _ in range(runs)])


# generate.py


# Modules of the import floor: troposphere, the resource modules generate.py uses, and awacs.
FLOOR_PACKAGES = ("troposphere", "awacs")
FLOOR_PROBE = """
import contextlib, io, sys
import generate
with contextlib.redirect_stderr(io.StringIO()):
    generate.main(["--check"])  # and what it imports while running (awacs.sts)
print(",".join(sorted(name for name in sys.modules if name.split(".")[0] in {packages})))
"""


def floor_modules(environ: dict[str, str]) -> list[str]:
    """The troposphere and awacs modules generate.py imports, found by running it."""
    probe = FLOOR_PROBE.format(packages=set(FLOOR_PACKAGES))
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=environ, capture_output=True, text=True
    )
    done.check_returncode()
    return done.stdout.strip().split(",")


class GenerateFigures(NamedTuple):
    wall: Figure  # seconds, python generate.py --check
    peak: Figure | None  # MiB, None without /usr/bin/time
    code: int  # exit code of the last run
    floor: Figure  # seconds, python -c "import <the floor modules>"
    ratio: Figure  # generate / floor, pair by pair


def generate_figures(environ: dict[str, str], floor: list[str]) -> GenerateFigures:
    """generate.py and the bare import of its floor modules, PAIRS pairs, the two in turn and
    each going first in every other pair: a pair shares whatever load the machine has at that
    moment, so the ratio is steadier than either figure."""
    has_time = Path(TIME_COMMAND).exists()
    wall: list[float] = []
    peak: list[float] = []
    floor_wall: list[float] = []
    code = 0
    floor_command = [sys.executable, "-c", "import " + ", ".join(floor)]
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "maxrss"
        prefix = [TIME_COMMAND, "-f", "%M", "-o", str(report)] if has_time else []

        def run_generate() -> None:
            nonlocal code
            started = time.perf_counter()
            done = subprocess.run(
                [*prefix, sys.executable, "generate.py", "--check"],
                cwd=ROOT,
                env=environ,
                capture_output=True,
            )
            wall.append(time.perf_counter() - started)
            code = done.returncode
            if has_time:
                peak.append(int(report.read_text().split()[-1]) / 1024)  # KiB -> MiB

        def run_floor() -> None:
            started = time.perf_counter()
            subprocess.run([*prefix, *floor_command], cwd=ROOT, env=environ, check=True)
            floor_wall.append(time.perf_counter() - started)

        for pair in range(PAIRS):
            for run in (run_generate, run_floor) if pair % 2 == 0 else (run_floor, run_generate):
                run()
    return GenerateFigures(
        Figure(wall),
        Figure(peak) if peak else None,
        code,
        Figure(floor_wall),
        Figure([ours / bare for ours, bare in zip(wall, floor_wall, strict=True)]),
    )


# Handler import


def handler_copy(into: Path) -> Path:
    """handler/ssm_notifier's sources alone, no __pycache__: what a foreign-built zip gives."""
    shutil.copytree(
        HANDLER / "ssm_notifier",
        into / "ssm_notifier",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    return into


def import_once(code_root: Path, module: str, preload: tuple[str, ...]) -> tuple[float, str]:
    """(milliseconds, boto modules loaded) for one import in a fresh isolated interpreter."""
    done = subprocess.run(
        [sys.executable, "-I", "-B", "-c", IMPORT_PROBE, ",".join(preload), str(code_root), module],
        capture_output=True,
        text=True,
        check=True,
    )
    ms, loaded = done.stdout.split()
    return float(ms), loaded


def import_figures(code_root: Path) -> dict[tuple[str, str], tuple[Figure, str]]:
    """(module, case) -> (milliseconds, boto modules loaded in any run).

    The cases take turns run by run, so a burst of load on the machine hits them all alike.
    """
    samples: dict[tuple[str, str], list[float]] = {}
    loaded: dict[tuple[str, str], set[str]] = {}
    for _ in range(RUNS):
        for module in HANDLER_MODULES:
            for case, preload in IMPORT_CASES.items():
                ms, boto = import_once(code_root, module, preload)
                samples.setdefault((module, case), []).append(ms)
                loaded.setdefault((module, case), set()).add(boto)
    return {key: (Figure(samples[key]), ",".join(sorted(loaded[key]))) for key in samples}


def import_breakdown(code_root: Path, module: str, preload: tuple[str, ...]) -> list[str]:
    """The handler import's biggest self times, from one run under -X importtime."""
    arguments = [",".join(preload), str(code_root), module]
    done = subprocess.run(
        [sys.executable, "-I", "-B", "-X", "importtime", "-c", IMPORT_PROBE, *arguments],
        capture_output=True,
        text=True,
        check=True,
    )
    after = done.stderr.split("-- handler import --", 1)[-1]
    rows = []
    for line in after.splitlines():
        if line.startswith("import time:") and "|" in line and "self [us]" not in line:
            own, _, name = line.removeprefix("import time:").split("|")
            rows.append((int(own), name.strip()))
    rows.sort(reverse=True)
    total_ms = sum(own for own, _ in rows) / 1000
    top = ", ".join(f"{name} {own / 1000:.1f}" for own, name in rows[:6])
    others = sorted(name for _, name in rows if not name.startswith("ssm_notifier"))
    return [
        f"{len(rows)} modules, {total_ms:.1f} ms self time (inflated by -X importtime); "
        f"biggest (ms): {top}",
        f"not the handler's own: {', '.join(others) or '-'}",
    ]


# Handler time per event


class CountingSns:
    def __init__(self) -> None:
        self.published = 0

    def publish(self, **message: str) -> dict:
        self.published += 1
        return {"MessageId": f"bench-{self.published}"}


def per_event_figure(batch: list[dict]) -> tuple[Figure, int, int, int]:
    """Microseconds per event; and messages published, records failed, log lines of one run."""
    settings = load_settings({**ENVIRONMENT, "TOPIC_ARN": TOPIC_ARN})
    log.configure(settings.log_level)
    outcome: dict[str, int] = {}

    def run() -> float:
        sns, clock, logs = CountingSns(), FakeClock(), io.StringIO()
        with contextlib.redirect_stdout(logs):
            started = time.perf_counter()
            # The state table starts empty each run: every instance is a first report.
            clients = {
                "ssm": fleet.CannedSsm(),
                "sns": sns,
                "dynamodb": EmptyStateTable(),
                "s3": ReportBucket(),
                "sqs": None,
            }
            result = notify.process_batch(
                batch, settings, clients=clients, clock=clock, sleep=clock.sleep
            )
            elapsed = time.perf_counter() - started
        outcome.update(
            published=sns.published,
            failed=len(result["batchItemFailures"]),
            log_lines=logs.getvalue().count("\n"),
        )
        return elapsed / len(batch) * 1e6

    figure = repeat(run)
    return figure, outcome["published"], outcome["failed"], outcome["log_lines"]


# Template sizes


def template_rows() -> list[tuple[str, int, int, int, int]]:
    """(file, bytes, resources, parameters, outputs) for each build/*.yaml."""
    rows = []
    for path in sorted((ROOT / "build").glob("*.yaml")):
        text = path.read_bytes()
        template = load_yaml(text.decode("utf-8")) or {}
        rows.append(
            (
                path.name,
                len(text),
                len(template.get("Resources") or {}),
                len(template.get("Parameters") or {}),
                len(template.get("Outputs") or {}),
            )
        )
    return rows


def used(value: int, limit: int) -> str:
    return f"{value:,}/{limit:,} {value / limit:6.1%}"


# Report


def report_generate() -> tuple[GenerateFigures, GenerateFigures]:
    print(f"\n== python generate.py --check (fresh interpreter per run, {PAIRS} runs) ==")
    first_env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    first_env.pop("PYTHONPYCACHEPREFIX", None)
    floor = floor_modules(first_env)
    first = generate_figures(first_env, floor)
    with tempfile.TemporaryDirectory() as cache:
        tox_env = {**first_env, "PYTHONPYCACHEPREFIX": cache}
        del tox_env["PYTHONDONTWRITEBYTECODE"]
        # One run fills the cache, as a checkout's first tox run does (the floor's modules have
        # theirs in site-packages already).
        subprocess.run(
            [sys.executable, "generate.py", "--check"], cwd=ROOT, env=tox_env, capture_output=True
        )
        as_tox = generate_figures(tox_env, floor)
    memory = "peak RSS (/usr/bin/time -f %M)"
    cases = [("as tox runs it (bytecode cache):", as_tox), ("first run (no bytecode):", first)]
    for label, figures in cases:
        print(f"{label:<30}{figures.wall.show('s', 3)}, exit {figures.code}")
        peak = figures.peak.show("MiB") if figures.peak else "n/a, no /usr/bin/time"
        print(f"  {memory}: {peak}")
        print(f"  import floor alone:          {figures.floor.show('s', 3)}")
        print(f"  generate / floor, per pair:  {figures.ratio.show('x', 2)}")
    print(f"import floor: python -c 'import ...' of the {len(floor)} troposphere and awacs modules")
    print("  generate.py loads (" + ", ".join(floor) + ")")
    print("targets: <= 0.2 s, <= 60 MiB, generate / floor <= 1.5")
    return as_tox, first


def report_imports() -> tuple[float, float, bool]:
    """The slower handler's median import, bare and on the runtime; whether boto stayed out."""
    print("\n== handler import, cold: no bytecode, fresh `python -I -B` per run ==")
    imports: dict[tuple[str, str], Figure] = {}
    boto_free = True
    with tempfile.TemporaryDirectory() as scratch:
        code_root = handler_copy(Path(scratch))
        for (module, case), (figure, loaded) in import_figures(code_root).items():
            imports[module, case] = figure
            boto_free = boto_free and loaded == "-"
            boto = "boto3/botocore NOT imported" if loaded == "-" else f"IMPORTED {loaded}"
            print(f"{module:<20} {case:<10} {figure.show('ms')}  [{boto}]")
        for module in HANDLER_MODULES:
            print(f"  {module} on runtime, one run under -X importtime:")
            for line in import_breakdown(code_root, module, RUNTIME_PRELOAD):
                print(f"    {line}")
        written = any(code_root.rglob("__pycache__"))
        print(f"bytecode written by the probes: {'yes' if written else 'none'}")
    print("runtime preload (awslambdaric 4.x): " + ", ".join(RUNTIME_PRELOAD))
    print("target: <= 20 ms on the runtime, without boto3 (the summary takes the slower handler)")
    return (
        max(imports[module, "bare"].median for module in HANDLER_MODULES),
        max(imports[module, "on runtime"].median for module in HANDLER_MODULES),
        boto_free,
    )


def report_per_event() -> Figure:
    print("\n== handler time per event: process_batch, fakes for SSM, SNS, state and S3 ==")
    batch = fleet.fleet_records()[: Config().validate().batch_size]
    figure, published, failed, log_lines = per_event_figure(batch)
    print(
        f"{len(batch):,} events (1 association, every {fleet.FAILED_EVERY}th fails, every "
        f"{fleet.DUPLICATE_EVERY}th a duplicate): {figure.show('us/event')}"
    )
    print(f"  per run: {published} message published, {failed} failed, {log_lines} log lines")
    return figure


def report_templates() -> int:
    """Print the table; return the largest template's bytes."""
    print("\n== templates against CloudFormation quotas (bytes: body / via S3) ==")
    rows = template_rows()
    print(
        f"{'template':<20} {'bytes vs body':>22} {'bytes vs S3':>26} {'resources':>16} "
        f"{'parameters':>16} {'outputs':>16}"
    )
    for name, size, resources, parameters, outputs in rows:
        print(
            f"{name:<20} {used(size, BODY_LIMIT_BYTES):>22} {used(size, S3_LIMIT_BYTES):>26} "
            f"{used(resources, MAX_RESOURCES):>16} {used(parameters, MAX_PARAMETERS):>16} "
            f"{used(outputs, MAX_OUTPUTS):>16}"
        )
    print(
        "parent.yaml goes up as a request body (`deploy`), the nested ones via S3 (TemplateURL); "
        "`package` makes the parent a little longer (S3 URLs for local paths)"
    )
    return max(size for _, size, *_ in rows)


def main() -> int:
    started = time.perf_counter()
    print(f"bench: median of {RUNS} runs (min, max); python {sys.version.split()[0]}, ", end="")
    print(f"{os.cpu_count()} CPUs")
    generate, generate_first_run = report_generate()
    import_bare, import_on_runtime, boto_free = report_imports()
    per_event = report_per_event()
    largest = report_templates()
    print(f"\nbench took {time.perf_counter() - started:.1f} s")
    mib = f"{generate.peak.median:.1f}" if generate.peak else "nan"
    print(f"generate_vs_import_floor={generate.ratio.median:.2f}")
    print(f"generate_vs_import_floor_first_run={generate_first_run.ratio.median:.2f}")
    print(
        f"bench: generate_s={generate.wall.median:.3f} generate_mib={mib} "
        f"import_ms={import_bare:.1f} import_on_runtime_ms={import_on_runtime:.1f} "
        f"us_per_event={per_event.median:.1f} largest_template_bytes={largest}"
    )
    # Not a timing: importing boto3 at cold start is a defect, so the run fails on it.
    return 0 if boto_free else 1


if __name__ == "__main__":
    sys.exit(main())
