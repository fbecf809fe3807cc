"""All the performance measurements of issues 9 and 16 in one command; prints a Markdown table for the README.

    .venv/bin/python benchmarks/run.py            # everything (the 3 600-package runs take a few minutes)
    .venv/bin/python benchmarks/run.py --quick    # N = 100 and 400 only, fewer repeats

Measured, each as several runs with minimum and median (wall-clock time of a fresh process):
- cold `budsjettkontroll check` of the bundled budget, against `python -c "import pandera.pandas"`, the floor any
  pandera-based tool pays, on the same machine in the same run (runs interleaved, so drift hits both alike);
- batch mode on N synthetic packages (benchmarks/generate.py), N = 100, 400, 3 600, with the default settings
  (--jobs left out: every usable core) and with --jobs 1 (one process): the marginal time per package is
  (time for N − time for 1 package) ÷ (N − 1), with the same options;
- `amend` with one proposal, in one process after a first warm-up call (the marginal cost after start-up);
- one change on the live amendment page: the proposal read from text with one amount changed (a keystroke) and
  applied to the base loaded and checked once (amend.run_amend with base_result, as the page's workspace does);
- peak memory (RSS) of the 3 600-package runs: the largest sum over the process tree (main process and
  workers), sampled every 20 ms from /proc.
Every measured process runs as after a normal install: bytecode is written and reused (PYTHONDONTWRITEBYTECODE is
dropped; the .pyc files go to the work folder). Generated packages go to a temporary folder that is removed
afterwards (or --keep DIR to reuse them).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PYTHON = sys.executable
SCRIPT = Path(PYTHON).parent / "budsjettkontroll"  # the installed console script, as a user runs it
CLI = [str(SCRIPT)] if SCRIPT.exists() else [PYTHON, "-m", "budsjettkontroll.cli"]
ENV: dict[str, str] | None = None  # set in main(): every measured process writes and reuses bytecode (see there)
TARGETS = {"cold_ratio": 1.3, "marginal_ms": 20.0, "marginal_one_ms": 25.0, "amend_ms": 50.0, "rss_mb": 500.0}
DEFAULT_JOBS = None  # --jobs left out: the number of usable cores


# --- machine -----------------------------------------------------------------------------------------------

def machine() -> dict[str, str]:
    model = ""
    try:
        model = next((line.split(":", 1)[1].strip() for line in subprocess.run(
            ["lscpu"], capture_output=True, text=True).stdout.splitlines() if line.startswith("Model name")), "")
    except OSError:
        pass
    mem = ""
    try:
        kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal"))
        mem = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration):
        pass
    versions = subprocess.run([PYTHON, "-c", "import pandas, pandera, rule_engine; print(pandas.__version__, "
                               "pandera.__version__, rule_engine.__version__)"], capture_output=True, text=True).stdout.split()
    return {"date": dt.date.today().isoformat(), "nproc": str(os.cpu_count()), "cpu": model or platform.processor(),
            "ram": mem, "python": platform.python_version(), "os": f"{platform.system()} {platform.release()}",
            "pandas": versions[0] if versions else "", "pandera": versions[1] if len(versions) > 1 else "",
            "rule_engine": versions[2] if len(versions) > 2 else ""}


# --- timing ------------------------------------------------------------------------------------------------

CPU = [0.0]  # CPU seconds (user + system) of the last run of wall(), its workers included


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def wall(cmd: list[str], sample_rss: bool = False, env: dict[str, str] | None = None) -> tuple[float, float]:
    """Seconds for one run of `cmd` (output discarded) and, if asked, the peak RSS of its process tree in MB. The CPU
    time of the run (the process and every worker it waited for) is left in CPU[0]: on a machine shared with other
    work the wall clock measures the others too, the CPU time much less so."""
    cpu_before = _children_cpu()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT, env=env or ENV)
    peak = [0]
    if sample_rss:
        def sample() -> None:
            while proc.poll() is None:
                peak[0] = max(peak[0], tree_rss_kb(proc.pid))
                time.sleep(0.02)
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
    code = proc.wait()
    elapsed = time.perf_counter() - start
    if sample_rss:
        sampler.join()
    CPU[0] = _children_cpu() - cpu_before
    if code not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} ga exit-kode {code}")
    return elapsed, peak[0] / 1024


def tree_rss_kb(root: int) -> int:
    """Sum of VmRSS over `root` and all its descendants."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
                parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    tree, grew = {root}, True
    while grew:
        more = {pid for pid, ppid in parents.items() if ppid in tree and pid not in tree}
        tree |= more
        grew = bool(more)
    total = 0
    for pid in tree:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


def stats(samples: list[float]) -> dict[str, float]:
    return {"min": min(samples), "median": statistics.median(samples), "runs": len(samples)}


WITHOUT_HYPOTHESIS = """
import sys
class _NotInstalled:
    \"\"\"As in a user's install without the test extras: pandera imports hypothesis on its first validation
    when it is installed, which neither the floor nor a production install pays.\"\"\"
    def find_spec(self, name, path=None, target=None):
        if name == "hypothesis" or name.startswith("hypothesis."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None
sys.meta_path.insert(0, _NotInstalled())
"""


def cold(repeat: int, work: Path) -> dict[str, dict[str, dict[str, float]]]:
    """Floor and check, interleaved, as installed here (with the test extras) and as a production install."""
    blocker = work / "uten-hypothesis"
    blocker.mkdir(parents=True, exist_ok=True)
    (blocker / "sitecustomize.py").write_text(WITHOUT_HYPOTHESIS, encoding="utf-8")
    out = {}
    prod = {**ENV, "PYTHONPATH": str(blocker)}
    # The build cache (buildcache.py) is warm after a user's first run, as the bytecode is; "first" measures a run
    # with no cache at all (a fresh CI container), as honestly as the warm one.
    for name, env in (("dev", ENV), ("prod", prod), ("first", {**prod, "BUDSJETTKONTROLL_NO_CACHE": "1"})):
        floor, check, floor_cpu, check_cpu = [], [], [], []
        for _ in range(repeat + 1):  # the first pair warms the file cache and is dropped
            floor.append(wall([PYTHON, "-c", "import pandera.pandas"], env=env)[0])
            floor_cpu.append(CPU[0])
            check.append(wall([*CLI, "check", "--format", "text"], env=env)[0])
            check_cpu.append(CPU[0])
        out[name] = {"floor": stats(floor[1:]), "check": stats(check[1:]), "floor_cpu": stats(floor_cpu[1:]),
                     "check_cpu": stats(check_cpu[1:])}
    return out


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def batch(folder: Path, one: Path, jobs: int | None, repeat: int, rss: bool = False) -> dict[str, float]:
    n = sum(1 for p in folder.iterdir() if p.is_dir())
    flag = [] if jobs is None else ["--jobs", str(jobs)]
    base, base_cpu = [], []
    for _ in range(repeat):
        base.append(wall([*CLI, "check", str(one), "--format", "text", *flag])[0])
        base_cpu.append(CPU[0])
    totals, peaks, cpus = [], [], []
    for _ in range(repeat):
        seconds, peak = wall([*CLI, "check", str(folder), "--format", "text", *flag], sample_rss=rss)
        cpus.append(CPU[0])
        totals.append(seconds)
        peaks.append(peak)
    startup = min(base)
    return {"n": n, "jobs": jobs or usable_cores(), "default": jobs is None, "total_min": min(totals), "total_median": statistics.median(totals),
            "startup": startup, "marginal_ms_min": (min(totals) - startup) / (n - 1) * 1000,
            "marginal_ms_median": (statistics.median(totals) - statistics.median(base)) / (n - 1) * 1000,
            "cpu_marginal_ms_median": (statistics.median(cpus) - statistics.median(base_cpu)) / (n - 1) * 1000,
            "peak_rss_mb": max(peaks) if rss else None}


AMEND_PROBE = """
import statistics, sys, time
from typer.testing import CliRunner
from budsjettkontroll import cli
args = sys.argv[1:]
# the command line as cli.main() builds it: only the command being run (app_for), where the code has that
app = cli.app_for(["budsjettkontroll", *args]) if hasattr(cli, "app_for") else cli.app
runner = CliRunner()
first = runner.invoke(app, args)
if first.exit_code not in (0, 1):
    print("FEIL", first.exit_code, first.output[-500:]); sys.exit(3)
times, cpu = [], []
for _ in range({repeat}):
    start, c = time.perf_counter(), time.process_time(); runner.invoke(app, args)
    times.append(time.perf_counter() - start); cpu.append(time.process_time() - c)
print(min(times), statistics.median(times), statistics.median(cpu))
"""


LIVE_PROBE = """
import re, statistics, sys, time
from pathlib import Path
from budsjettkontroll.amend import run_amend
from budsjettkontroll.amendment import amendment_from_text
from budsjettkontroll.check import run_check
from budsjettkontroll.package import load_package
base = load_package("asker-hp-2024-2027")
base_result = run_check(base)
path = Path(sys.argv[1])
text = path.read_text(encoding="utf-8")
amount = re.compile(r"(beløp: \\{{\\d{{4}}: )(-?\\d+)")
def keystroke(i):
    # the proposal as the page posts it, with one amount changed (a new number each time: no result is reused)
    changed = amount.sub(lambda m: m.group(1) + str(int(m.group(2)) - i), text, count=1)
    return run_amend(base, amendment_from_text(changed, str(path), path), base_result=base_result)
keystroke(0)
times, cpu = [], []
for i in range(1, {repeat} + 1):
    start, c = time.perf_counter(), time.process_time(); keystroke(i)
    times.append(time.perf_counter() - start); cpu.append(time.process_time() - c)
print(min(times), statistics.median(times), statistics.median(cpu))
"""


def live(repeat: int, proposal: Path) -> dict[str, object]:
    """One change on the live amendment page: the proposal parsed and applied to the pre-loaded, pre-checked base."""
    done = subprocess.run([PYTHON, "-c", LIVE_PROBE.format(repeat=repeat), str(proposal)], capture_output=True,
                          text=True, cwd=ROOT, env=ENV)
    if done.returncode != 0:
        return {"available": False, "why": done.stderr.strip()[-300:]}
    low, mid, cpu = map(float, done.stdout.split())
    return {"available": True, "marginal_ms_min": low * 1000, "marginal_ms_median": mid * 1000, "cpu_ms_median": cpu * 1000}


def amend(repeat: int) -> dict[str, object]:
    """`amend` with one proposal; None when the command or an example proposal is not there."""
    has = subprocess.run([*CLI, "amend", "--help"], capture_output=True, text=True, cwd=ROOT, env=ENV)
    proposals = sorted((ROOT / "budsjettkontroll" / "budgets").glob("endringsforslag-*.yaml"))
    if has.returncode != 0 or not proposals:
        return {"available": False, "why": "kommandoen amend finnes ikke" if has.returncode else
                "ingen eksempelforslag (budgets/endringsforslag-*.yaml)"}
    args = ["amend", "asker-hp-2024-2027", str(proposals[0]), "--format", "json"]
    done = subprocess.run([PYTHON, "-c", AMEND_PROBE.format(repeat=repeat), *args], capture_output=True, text=True,
                          cwd=ROOT, env=ENV)
    if done.returncode != 0 or done.stdout.startswith("FEIL"):
        return {"available": False, "why": f"amend feilet: {done.stdout.strip()[:200]} {done.stderr.strip()[-300:]}"}
    low, mid, cpu = map(float, done.stdout.split())
    cold_amend = stats([wall([*CLI, *args])[0] for _ in range(3)])
    return {"available": True, "proposal": proposals[0].name, "marginal_ms_min": low * 1000,
            "marginal_ms_median": mid * 1000, "cpu_ms_median": cpu * 1000, "cold": cold_amend,
            "live": live(repeat, proposals[0])}


# --- the whole run -----------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description="Ytelsesmålinger for budsjettkontroll (issue 9 og 16).")
    parser.add_argument("--quick", action="store_true", help="bare N = 100 og 400, færre gjentak")
    parser.add_argument("--repeat", type=int, default=None, help="gjentak per måling (standard 10 kald, 3 batch)")
    parser.add_argument("--keep", type=Path, default=None, help="lag/bruk de syntetiske pakkene her og behold dem")
    parser.add_argument("--sizes", type=int, nargs="+", default=None, help="andre N enn 100, 400, 3600")
    parser.add_argument("--json", type=Path, default=None, help="skriv rå resultater som JSON hit")
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    import generate

    sizes = args.sizes or ([100, 400] if args.quick else [100, 400, 3600])
    repeat_cold = args.repeat or (5 if args.quick else 10)
    repeat_batch = args.repeat or (2 if args.quick else 3)
    work = args.keep or Path(tempfile.mkdtemp(prefix="bk-bench-"))
    # As after a normal install, where pip has compiled every module to bytecode: a session that sets
    # PYTHONDONTWRITEBYTECODE would otherwise compile this package's modules from source on every start (the
    # floor's pandera has its .pyc from pip). The bytecode goes to a folder in `work`, not into the repository.
    global ENV
    ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    ENV["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    ENV["BUDSJETTKONTROLL_CACHE_DIR"] = str(work / "buildcache")  # not the user's own cache; filled by the first run
    results: dict[str, object] = {"machine": machine()}
    results["machine"]["load_before"] = " ".join(f"{x:.1f}" for x in os.getloadavg())
    try:
        print("kald check …", file=sys.stderr)
        results["cold"] = cold(repeat_cold, work)
        for n in [1, *sizes]:
            folder = work / f"n{n}"
            if not folder.exists():
                print(f"genererer {n} pakker …", file=sys.stderr)
                generate.generate(n, folder)
        runs = []
        for n in sizes:
            for jobs in (DEFAULT_JOBS, 1):
                print(f"batch N={n} jobs={jobs} …", file=sys.stderr)
                runs.append(batch(work / f"n{n}", work / "n1", jobs, 1 if n >= 3600 else repeat_batch,
                                  rss=n == max(sizes)))
        results["batch"] = runs
        print("amend …", file=sys.stderr)
        results["amend"] = amend(20)
        results["machine"]["load_after"] = " ".join(f"{x:.1f}" for x in os.getloadavg())
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    print(markdown(results))


def markdown(r: dict) -> str:
    m = r["machine"]
    ok = lambda good: "oppfylt" if good else "**ikke oppfylt**"  # noqa: E731
    lines = [
        f"Målt {m['date']} på {m['nproc']} kjerner ({m['cpu']}), {m['ram']} RAM, {m['os']}, Python {m['python']}, "
        f"pandas {m['pandas']}, pandera {m['pandera']}, rule-engine {m['rule_engine']}; "
        f"belastning (load average) før/etter: {m.get('load_before', '?')} / {m.get('load_after', '?')}. Bytekode (.pyc) "
        "skrives og brukes om igjen, som etter en vanlig installasjon.",
        "",
        "| måling | min | median | mål | |",
        "|---|---:|---:|---|---|",
    ]
    for env, where in (("dev", "utviklermiljøet (med testavhengigheter, også hypothesis)"),
                       ("prod", "som en vanlig installasjon (uten hypothesis)"),
                       ("first", "vanlig installasjon, første kjøring (uten byggebuffer: BUDSJETTKONTROLL_NO_CACHE=1)")):
        if env not in r["cold"]:
            continue
        c = r["cold"][env]
        ratio_min = c["check"]["min"] / c["floor"]["min"]
        ratio_med = c["check"]["median"] / c["floor"]["median"]
        lines += [
            f"| {where}: `python -c \"import pandera.pandas\"` (gulvet), {c['floor']['runs']} kjøringer | "
            f"{c['floor']['min']:.3f} s | {c['floor']['median']:.3f} s | | |",
            f"| {where}: kald `budsjettkontroll check` (Asker), {c['check']['runs']} kjøringer | {c['check']['min']:.3f} s | "
            f"{c['check']['median']:.3f} s | | |",
            f"| {where}: forhold kald check ÷ gulv | {ratio_min:.2f} | {ratio_med:.2f} | ≤ {TARGETS['cold_ratio']} | "
            f"{ok(ratio_min <= TARGETS['cold_ratio'])} |",
            f"| {where}: forhold i CPU-tid (bruker + system), check ÷ gulv | "
            f"{c['check_cpu']['min'] / c['floor_cpu']['min']:.2f} | {c['check_cpu']['median'] / c['floor_cpu']['median']:.2f} | "
            f"(≤ {TARGETS['cold_ratio']}) | |",
        ]
    def how(b: dict) -> str:
        return (f"standard (--jobs utelatt: {b['jobs']} prosesser)" if b.get("default")
                else f"--jobs {b['jobs']}" + (" (én prosess)" if b["jobs"] == 1 else ""))

    for b in r["batch"]:
        target = TARGETS["marginal_ms"] if b.get("default") else TARGETS["marginal_one_ms"]
        lines.append(f"| batch N = {b['n']}, {how(b)}: totalt | {b['total_min']:.1f} s | {b['total_median']:.1f} s | | |")
        lines.append(f"| batch N = {b['n']}, {how(b)}: marginal per pakke | {b['marginal_ms_min']:.1f} ms | "
                     f"{b['marginal_ms_median']:.1f} ms | ≤ {target:.0f} ms | {ok(b['marginal_ms_median'] <= target)} |")
        lines.append(f"| batch N = {b['n']}, {how(b)}: CPU-tid per pakke (alle prosesser) | | "
                     f"{b['cpu_marginal_ms_median']:.1f} ms | | |")
    big = [b for b in r["batch"] if b["peak_rss_mb"] is not None]
    for b in big:
        lines.append(f"| største RSS (hovedprosess + arbeidere), N = {b['n']}, {how(b)} | {b['peak_rss_mb']:.0f} MB | | "
                     f"≤ {TARGETS['rss_mb']:.0f} MB | {ok(b['peak_rss_mb'] <= TARGETS['rss_mb'])} |")
    a = r["amend"]
    if a.get("available"):
        lines.append(f"| `amend` med ett forslag ({a['proposal']}), marginalt etter oppstart | {a['marginal_ms_min']:.1f} ms | "
                     f"{a['marginal_ms_median']:.1f} ms | ≤ {TARGETS['amend_ms']:.0f} ms | "
                     f"{ok(a['marginal_ms_median'] <= TARGETS['amend_ms'])} |")
        lines.append(f"| `amend` med ett forslag, CPU-tid per kall | | {a['cpu_ms_median']:.1f} ms | | |")
        lines.append(f"| `amend` med ett forslag, kald | {a['cold']['min']:.3f} s | {a['cold']['median']:.3f} s | | |")
        w = a.get("live", {})
        if w.get("available"):
            lines.append(f"| én endring på endringssiden (forslaget lest, lagt på grunnlaget som er lastet og kontrollert "
                         f"én gang) | {w['marginal_ms_min']:.1f} ms | {w['marginal_ms_median']:.1f} ms | "
                         f"≤ {TARGETS['amend_ms']:.0f} ms | {ok(w['marginal_ms_median'] <= TARGETS['amend_ms'])} |")
            lines.append(f"| én endring på endringssiden, CPU-tid | | {w['cpu_ms_median']:.1f} ms | | |")
    else:
        lines.append(f"| `amend` | – | – | ≤ {TARGETS['amend_ms']:.0f} ms | ikke målt: {a['why']} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
