"""Screenshots of the amendment page for the README (headless Debian chromium via Playwright).

    .venv/bin/python benchmarks/web_screenshots.py        # writes docs/serve-*.png

Starts `budsjettkontroll serve --no-browser --proposal endringsforslag-flerbrukshall` in its own process and
photographs the page as a party secretary sees it: the balance strip over the grid with the new hall and the
renter, avdrag and avskrivninger the tool adds under it; then the key figures and rules before → after.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--hide-scrollbars"]


def main() -> None:
    out = ROOT / "docs"
    out.mkdir(exist_ok=True)
    proc = subprocess.Popen([sys.executable, "-c", "from budsjettkontroll.cli import main; main()", "serve",
                             "--no-browser", "--proposal", "endringsforslag-flerbrukshall"],
                            stdout=subprocess.PIPE, text=True)
    try:
        url = re.search(r"http://\S+", proc.stdout.readline()).group(0)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.goto(url)
            page.fill('input[data-table="drift"][data-line="Avsetninger til disposisjonsfond"][data-year="2026"]',
                      "-3000")
            page.wait_for_selector('[data-balance-year="2026"]:has-text("3 613")')
            page.locator('tr[data-row]', has_text="Ny flerbrukshall").scroll_into_view_if_needed()
            page.mouse.wheel(0, 120)
            page.wait_for_timeout(300)
            page.screenshot(path=out / "serve-forslag.png")
            page.locator("#resultater h2", has_text="Nøkkeltall").scroll_into_view_if_needed()
            page.wait_for_timeout(300)
            page.screenshot(path=out / "serve-resultater.png")
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    for name in ("serve-forslag.png", "serve-resultater.png"):
        print(f"skrev docs/{name} ({(out / name).stat().st_size // 1024} kB)")


if __name__ == "__main__":
    main()
