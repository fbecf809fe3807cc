"""Screenshots of the printed reports for the README (headless Debian chromium).

    .venv/bin/python scripts/report_screenshots.py        # writes docs/memo-side1.png and docs/forslag-side1.png

The first A4 page (at 96 dpi) of the auditor's memo for the bundled Asker budget (`check --format html`) and of
the proposal report for the bundled example with a new hall (`amend --format html`).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from budsjettkontroll.amend import run_all
from budsjettkontroll.check import run_check
from budsjettkontroll.package import load_package
from budsjettkontroll.report import amend_html, html

ROOT = Path(__file__).resolve().parent.parent


def shoot(page: str, target: Path, height: int = 1123) -> None:
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "page.html"
        source.write_text(page, "utf-8")
        subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        "--force-device-scale-factor=1", f"--user-data-dir={tmp}/profile",
                        f"--window-size=794,{height}", f"--screenshot={target}", source.as_uri()],
                       check=True, capture_output=True, timeout=120)
    print(f"skrev {target.relative_to(ROOT)} ({target.stat().st_size // 1024} kB)")


def main() -> None:
    out = ROOT / "docs"
    out.mkdir(exist_ok=True)
    shoot(html.render([run_check(load_package(None))], {"appendix": False}), out / "memo-side1.png")
    (result,) = run_all(load_package(None), ["endringsforslag-flerbrukshall"])
    shoot(amend_html.render([result], {}), out / "forslag-side1.png")


if __name__ == "__main__":
    main()
