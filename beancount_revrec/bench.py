"""The benchmark: ``python -m beancount_revrec.bench``. Not a test: it measures.

In one run, on the same machine, it reports:

1. the plugin's time and its share of the whole load (Beancount's timing log)
   on example ledgers of several sizes, and the time per line across sizes, next
   to the time per line of Beancount loading the same ledgers written out (the
   machine's own growth with ledger size);
2. a pure amortisation workload (N invoices, each amortised monthly over 12
   months) under beancount_revrec and under beancount-periodic's ``amortize``,
   and the same on expenses (N prepaid costs, beancount-periodic's home ground;
   ``bench_amortize``). ``--only amortize`` runs this section alone;
3. our load against the same ledger with every generated entry written out as
   text and loaded without the plugin;
4. the peak memory of each load;
5. the Fava Revenue page after Fava has loaded the ledger: first render, breakdowns, downloads
   (``bench_fava``);
6. "faces": the command line against ``bean-check`` on the 10,000-line example
   ledger (the middle size when 10,000 is not measured): ``bean-check LEDGER``,
   then ``bean-revrec contracts|schedule|rules|corrections LEDGER``, each with
   its default options, and each command's time as a ratio to bean-check's
   (issue 14: at most 1.15). ``--only faces`` runs this section alone;
7. the Stripe importer on an export of ``--stripe`` invoices (10,000 by default) against Beancount
   loading what it printed (``bench_import``). ``--only import`` runs this section alone, ``--only fava``
   section 5.

Every load runs in a fresh Python process (no load cache), best of ``--repeat``.

The load cache and the faces. Beancount's loader pickles a load that took over
a second into ``.NAME.picklecache`` beside the ledger and reads it back on the
next load; bean-check and bean-revrec both load with ``loader.load_file``, so
a cached run would time the unpickling, not the work. The faces therefore run
with ``BEANCOUNT_DISABLE_LOAD_CACHE=1`` in their environment (and without
``BEANCOUNT_LOAD_CACHE_FILENAME``): Beancount's loader then neither reads nor
writes a cache, for both programs alike, with their default options. As a check
that this held, every ``.*.picklecache`` in the ledger's folder is deleted
before each run (and found gone), and the bench stops if one is there after a
run. Each face is run as its console script is, in a fresh interpreter:
``sys.executable -c "import sys; from MODULE import main; sys.exit(main())"``
with the ledger's folder as the working directory (so the ``-c`` path entry
shadows nothing) and this process's environment otherwise unchanged: the
``beancount_revrec`` measured is the one that environment imports (the report
names its file). The time is the wall clock of the whole process, interpreter
start and imports included, as a user waits for it; the faces take turns within
each repeat, so a drift of the machine touches them all alike. A face that exits
with a non-zero code is reported as failed with one line of its standard error,
never timed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from beancount import loader
from beancount.parser import printer

from beancount_revrec.bench_amortize import PLUGIN, amortisation, format_amortisation
from beancount_revrec.bench_fava import fava_first_render, format_fava
from beancount_revrec.bench_import import format_import, stripe_import
from beancount_revrec.example import example_ledger

_MEASURE = r"""
import json, re, sys, time
from beancount import loader
import beancount_revrec
loader.initialize(use_cache=False)
own = []
def timed(*args, plugin=beancount_revrec.revrec):
    start = time.perf_counter()
    result = plugin(*args)
    own.append((time.perf_counter() - start) * 1000)
    return result
beancount_revrec.revrec = timed  # our function alone: Beancount's timing adds its re-sort of all entries
lines = []
start = time.perf_counter()
entries, errors, _ = loader.load_file(sys.argv[1], log_timings=lines.append)
total = (time.perf_counter() - start) * 1000
ops = {}
for line in lines:
    match = re.match(r"Operation: '([^']+)'\s+Time:\s+([\d.]+) ms", line)
    if match:
        ops[match.group(1)] = float(match.group(2))
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent that forked us
peak_kb = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"total": total, "ops": ops, "own": sum(own), "errors": len(errors), "entries": len(entries),
                  "peak_mb": peak_kb / 1024}))
"""


_CALLS = r"""
import cProfile, pstats, sys
from beancount import loader
import beancount_revrec
loader.initialize(use_cache=False)
calls = []
def counted(*args, plugin=beancount_revrec.revrec):
    profile = cProfile.Profile()
    result = profile.runcall(plugin, *args)
    calls.append(pstats.Stats(profile).total_calls)
    return result
beancount_revrec.revrec = counted
loader.load_file(sys.argv[1])
print(sum(calls))
"""


def plugin_calls(path: Path) -> int:
    """The Python function calls our plugin makes loading ``path``: its work, whatever the machine's noise."""
    return int(subprocess.run([sys.executable, "-c", _CALLS, str(path)],  # noqa: S603 - our own script
                              capture_output=True, text=True, check=True).stdout)


# The faces, each started as its console script starts it (pyproject.toml's [project.scripts] for bean-revrec).
BEAN_CHECK = "bean-check"
FACES: dict[str, tuple[str, list[str]]] = {
    BEAN_CHECK: ("beancount.scripts.check", []),
    "bean-revrec contracts": ("beancount_revrec.cli", ["contracts"]),
    "bean-revrec schedule": ("beancount_revrec.cli", ["schedule"]),
    "bean-revrec rules": ("beancount_revrec.cli", ["rules"]),
    "bean-revrec corrections": ("beancount_revrec.cli", ["corrections"]),
}
FACES_TARGET = 1.15


def _face_command(module: str, args: list[str], ledger: Path) -> list[str]:
    return [sys.executable, "-c", f"import sys; from {module} import main; sys.exit(main())", *args, str(ledger)]


def _uncached_environment() -> dict[str, str]:
    """This process's environment, with Beancount's load cache disabled (read nor written) and its name the default."""
    environment = {key: value for key, value in os.environ.items() if key != "BEANCOUNT_LOAD_CACHE_FILENAME"}
    environment["BEANCOUNT_DISABLE_LOAD_CACHE"] = "1"
    return environment


def _no_cache(folder: Path) -> None:
    """Delete every pickle cache in ``folder`` and check that none is left."""
    for cache in folder.glob(".*.picklecache"):
        cache.unlink()
    left = list(folder.glob(".*.picklecache"))
    if left:
        raise RuntimeError(f"a load cache is still there: {left[0]}")


def _one_line(stderr: str) -> str:
    """The line of a failed command's standard error that says what failed: a traceback's last, else the first."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    if not lines:
        return "(no standard error)"
    return lines[-1] if any(line.startswith("Traceback") for line in lines) else lines[0]


def faces(path: Path, repeat: int, commands: dict[str, tuple[str, list[str]]] | None = None) -> dict[str, Any]:
    """Time each command on ``path`` in fresh processes with no load cache (best of ``repeat``), and its ratio.

    The ratio is to bean-check's time from the same runs; it is ``None`` when
    either command failed. A failed command has ``failed``, its exit code and one
    line of its standard error instead of a time, and is not run again.
    """
    commands, path = FACES if commands is None else commands, path.resolve()
    folder, environment = path.parent, _uncached_environment()
    imported = subprocess.run([sys.executable, "-c", "import beancount_revrec; print(beancount_revrec.__file__)"],
                              capture_output=True, text=True, check=True, cwd=folder, env=environment).stdout.strip()
    times: dict[str, list[float]] = {name: [] for name in commands}
    failures: dict[str, dict[str, Any]] = {}
    for _ in range(repeat):
        for name, (module, args) in commands.items():
            if name in failures:
                continue
            _no_cache(folder)
            start = time.perf_counter()
            done = subprocess.run(_face_command(module, args, path), stdout=subprocess.DEVNULL,  # noqa: S603 - our own command
                                  stderr=subprocess.PIPE, text=True, check=False, cwd=folder, env=environment)
            elapsed = (time.perf_counter() - start) * 1000
            cached = list(folder.glob(".*.picklecache"))
            if cached:
                raise RuntimeError(f"{name} wrote a load cache despite BEANCOUNT_DISABLE_LOAD_CACHE: {cached[0]}")
            if done.returncode != 0:
                failures[name] = {"failed": True, "returncode": done.returncode, "error": _one_line(done.stderr)}
            else:
                times[name].append(elapsed)
    rows: dict[str, dict[str, Any]] = {name: failures.get(name) or {"ms": min(times[name])} for name in commands}
    baseline = rows.get(BEAN_CHECK, {}).get("ms")
    for row in rows.values():
        row["ratio"] = row["ms"] / baseline if baseline and "ms" in row else None
    return {"ledger": path.name, "text_lines": len(path.read_text(encoding="utf-8").splitlines()),
            "repeat": repeat, "cache": "disabled: BEANCOUNT_DISABLE_LOAD_CACHE=1, none before or after any run",
            "package": imported, "target": FACES_TARGET, "commands": rows}


def measure(path: Path, repeat: int) -> dict[str, Any]:
    """Load ``path`` in fresh processes: the best time of the load and of each operation, the largest peak memory."""
    runs = []
    for _ in range(repeat):
        output = subprocess.run([sys.executable, "-c", _MEASURE, str(path)],  # noqa: S603 - our own script
                                capture_output=True, text=True, check=True).stdout
        runs.append(json.loads(output))
    ops = {op: min(run["ops"][op] for run in runs) for op in runs[0]["ops"]}
    return {**runs[0], "total": min(run["total"] for run in runs), "ops": ops,
            "own": min(run["own"] for run in runs), "peak_mb": max(run["peak_mb"] for run in runs)}


def written_out(path: Path, folder: Path) -> Path:
    """``path`` loaded with the plugin and printed back as text, without the plugin."""
    entries, errors, _ = loader.load_file(str(path))
    assert not errors, errors[0]
    out = folder / (path.stem + "-written-out.beancount")
    with out.open("w", encoding="utf-8") as stream:
        printer.print_entries(entries, file=stream)  # type: ignore[no-untyped-call]
    return out


def example(size: int, folder: Path) -> Path:
    """The example ledger of ``size`` invoice lines, written in ``folder``."""
    path = folder / f"example-{size}.beancount"
    path.write_text(example_ledger(size, max(1, size // 100), seed=1, years=2), encoding="utf-8")
    return path


SECTIONS = ("faces", "import", "fava", "amortize")


def run(sizes: list[int], amortize: int, repeat: int, folder: Path, small_repeat: int = 1,
        only: str | None = None, stripe: int = 10_000) -> dict[str, Any]:
    """Every measurement, as a dict (also printed as a report by ``main``); ``only``: that section alone.

    Ledgers under 10,000 lines load in well under a second, so the machine's
    noise weighs most on them: they are loaded ``small_repeat`` times as often.
    """
    middle = _middle(sizes)
    if only == "faces":
        return {"faces": faces(example(middle, folder), repeat * (small_repeat if middle < 10_000 else 1))}
    if only == "import":
        return {"import": stripe_import(stripe, folder, repeat)}
    if only == "fava":
        return {"fava": fava_first_render(example(middle, folder), repeat), "size_for_written_out": middle}
    if only == "amortize":
        return {"amortize": amortisation(amortize, folder, lambda path: measure(path, repeat))}
    if only is not None:
        raise ValueError(f"no such section: {only} (choose from {', '.join(SECTIONS)})")
    report: dict[str, Any] = {"sizes": {}}
    for size in sizes:
        path = example(size, folder)
        runs = repeat * (small_repeat if size < 10_000 else 1)
        result, text = measure(path, runs), measure(written_out(path, folder), runs)
        report["sizes"][size] = {"total_ms": result["total"], "plugin_ms": result["ops"].get(PLUGIN, 0.0),
                                 "own_ms": result["own"], "calls": plugin_calls(path),
                                 "peak_mb": result["peak_mb"], "errors": result["errors"],
                                 "written_out_ms": text["total"], "written_out_peak_mb": text["peak_mb"]}
    report["amortize"] = amortisation(amortize, folder, lambda path: measure(path, repeat))
    report["size_for_written_out"] = middle
    report["fava"] = fava_first_render(folder / f"example-{middle}.beancount", repeat)
    report["faces"] = faces(folder / f"example-{middle}.beancount",
                            repeat * (small_repeat if middle < 10_000 else 1))
    report["import"] = stripe_import(stripe, folder, repeat)
    return report


def _middle(sizes: list[int]) -> int:
    """The size compared with its written-out ledger: 10,000 lines when measured, else the median."""
    return 10_000 if 10_000 in sizes else sorted(sizes)[len(sizes) // 2]


def format_report(report: dict[str, Any]) -> str:
    """The report as text, with each target's ratio (the faces alone when only they were measured)."""
    out = _format_sections(report) if "sizes" in report else []
    if "amortize" in report and "sizes" not in report:
        out += format_amortisation(report["amortize"])
    if "fava" in report and "sizes" not in report:
        out += format_fava(report["fava"], report["size_for_written_out"])
    if "faces" in report:
        out += _format_faces(report["faces"])
    if "import" in report:
        out += format_import(report["import"])
    return "\n".join(out) + "\n"


def _format_faces(faces: dict[str, Any]) -> list[str]:
    """Section 6: each command's time and its ratio to bean-check's, or why it failed."""
    out = [(f"6. Command line faces vs bean-check ({faces['ledger']}, {faces['text_lines']} text lines; "
            f"load cache disabled, none before or after any run; best of {faces['repeat']}; "
            f"target <= {faces['target']})"),
           f"   package measured: {faces['package']}"]
    for name, row in faces["commands"].items():
        if row.get("failed"):
            out.append(f"   {name:<24}  FAILED (exit {row['returncode']}): {row['error']}")
            continue
        ratio = "    n/a" if row["ratio"] is None else f"{row['ratio']:>6.2f}x"
        verdict = "" if name == BEAN_CHECK or row["ratio"] is None else (
            "  ok" if row["ratio"] <= faces["target"] else "  over target")
        out.append(f"   {name:<24}  {row['ms']:>9.0f} ms  {ratio}{verdict}")
    return out


def _format_sections(report: dict[str, Any]) -> list[str]:
    """Sections 1 to 5."""
    out = ["1. Plugin time and share of the whole load (example ledgers). us/line: the plugin's time per line;",
           "   own: our function alone, without Beancount's re-sort; written out: Beancount loading the ledger",
           "   with the generated entries as text and no plugin; calls: our Python function calls per line",
           (f"   {'lines':>7}  {'load ms':>9}  {'plugin ms':>9}  {'share':>6}  {'us/line':>8}  {'own':>6}  "
            f"{'written out':>11}  {'calls':>6}  {'peak MB':>8}")]
    for size, row in report["sizes"].items():
        share = row["plugin_ms"] / row["total_ms"]
        out.append(f"   {size:>7}  {row['total_ms']:>9.0f}  {row['plugin_ms']:>9.0f}  {share:>6.1%}  "
                   f"{1000 * row['plugin_ms'] / size:>8.1f}  {1000 * row['own_ms'] / size:>6.1f}  "
                   f"{1000 * row['written_out_ms'] / size:>11.1f}  {row['calls'] / size:>6.0f}  "
                   f"{row['peak_mb']:>8.0f}")
    if len(report["sizes"]) > 1:
        out.append(f"   time per line, largest / smallest size: {_growth(report, 'plugin_ms'):.2f}x (target: no more "
                   f"than Beancount's own); own {_growth(report, 'own_ms'):.2f}x; Beancount loading the written-out "
                   f"ledgers {_growth(report, 'written_out_ms'):.2f}x; calls per line {_growth(report, 'calls'):.2f}x")
    out += format_amortisation(report["amortize"])
    middle = report["size_for_written_out"]
    row = report["sizes"][middle]
    out += [f"3. Load with the plugin vs the generated entries written out ({middle} lines)",
            (f"   load: {row['total_ms']:.0f} ms vs {row['written_out_ms']:.0f} ms: "
             f"{row['total_ms'] / row['written_out_ms']:.2f}x (target <= 1.0)"),
            (f"4. Peak memory: {row['peak_mb']:.0f} MB vs {row['written_out_peak_mb']:.0f} MB: "
             f"{row['peak_mb'] / row['written_out_peak_mb']:.2f}x (target <= 1.2)")]
    return out + format_fava(report["fava"], middle)


def _growth(report: dict[str, Any], key: str) -> float:
    """How much a measure per line (time or calls) grows from the smallest size to the largest."""
    (small, first), *_, (large, last) = report["sizes"].items()
    return float((last[key] / large) / (first[key] / small))


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its report."""
    parser = argparse.ArgumentParser(prog="python -m beancount_revrec.bench", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000,50000", help="example ledger sizes, in invoice lines")
    parser.add_argument("--amortize", type=int, default=5000,
                        help="invoices (and as many prepaid costs) in the amortisation workload")
    parser.add_argument("--repeat", type=int, default=3, help="loads per measurement (the fastest counts)")
    parser.add_argument("--small-repeat", type=int, default=5,
                        help="how many times as often ledgers under 10,000 lines are loaded (their times are short)")
    parser.add_argument("--stripe", type=int, default=10_000, help="invoices in the Stripe export imported")
    parser.add_argument("--json", action="store_true", help="print the measurements as JSON")
    parser.add_argument("--only", choices=SECTIONS,
                        help="run one section alone; faces: on the 10,000-line ledger if in --sizes, else the median; "
                        "import: the Stripe importer; fava: the Revenue page (section 5); amortize: the amortisation "
                        "workload on revenue and on expenses (section 2)")
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="revrec-bench-") as folder:
        report = run(sizes, args.amortize, args.repeat, Path(folder), args.small_repeat, only=args.only,
                     stripe=args.stripe)
    print(json.dumps(report, indent=2) if args.json else format_report(report))  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
