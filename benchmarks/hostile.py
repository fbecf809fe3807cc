"""Time and peak memory of refusing hostile inputs (issue 17 item 4 and 9): run by hand, results in README.

    .venv/bin/python benchmarks/hostile.py

Each input is generated in a temporary folder and checked by a fresh process, which reports its own peak
resident memory (VmHWM). Prints a Markdown table: input, size on disk, exit code, seconds, peak MB.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.test_corpus import m_workbook_xml  # noqa: E402
from tests.test_robust_outputs import remove_deep_tree  # noqa: E402
from tests.test_robust_workbooks import PEAK  # noqa: E402

WORKBOOKS = ["merge-whole-sheet", "hyperlink-whole-sheet", "many-small-merges", "sheet-expands", "many-cells"]


def measure(args: list[str]) -> tuple[int, float, int]:
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-c", PEAK.replace('"check", sys.argv[1], "--format", "text"', "*sys.argv[1:]"),
                          *args], capture_output=True, text=True, timeout=600)
    seconds = time.perf_counter() - start
    fields = dict(p.split("=") for p in run.stderr.strip().splitlines()[-1].split())
    return int(fields["exit"]), seconds, int(fields["peak_kb"]) // 1024


def main() -> None:
    print("| inndata | størrelse | exit | sekunder | topp-minne |\n|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for edit in WORKBOOKS:
            path = folder / f"{edit}.xlsx"
            m_workbook_xml(folder, path, edit)
            code, seconds, peak = measure(["check", str(path), "--format", "text"])
            print(f"| {edit}.xlsx | {path.stat().st_size // 1024} kB | {code} | {seconds:.2f} | {peak} MB |")
        deep = folder / "dyp"
        deep.mkdir()
        fd = os.open(deep, os.O_RDONLY)
        for _ in range(1200):  # a folder tree 1 200 levels deep (batch discovery); paths relative to fd
            os.mkdir("d", dir_fd=fd)
            fd, old = os.open("d", os.O_RDONLY, dir_fd=fd), fd
            os.close(old)
        os.close(fd)
        code, seconds, peak = measure(["check", str(deep), "--format", "text"])
        print(f"| mappetre 1 200 nivåer | – | {code} | {seconds:.2f} | {peak} MB |")
        remove_deep_tree(deep)  # TemporaryDirectory's clean-up recurses


if __name__ == "__main__":
    main()
