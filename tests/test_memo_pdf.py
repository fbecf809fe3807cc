"""What an auditor and a party print, measured as they print it: the HTML reports through a real browser's
print-to-PDF (Debian chromium, headless), pages counted in the PDF.

- the Asker memo (before the appendix) fits 4-6 A4 pages with every breach, every legal requirement that could
  not be assessed and the key-figure table; the appendix follows on its own pages;
- each bundled proposal's report (`amend --format html`) prints on 2-3 A4 pages.

Skips with a visible reason when chromium is missing (.ci/run installs it).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from budsjettkontroll.amend import run_all
from budsjettkontroll.amendment import bundled_amendments
from budsjettkontroll.check import run_check
from budsjettkontroll.package import load_package
from budsjettkontroll.report import amend_html, html

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium mangler (apt-get install chromium); "
                                                         "utskriften til PDF kan ikke måles")


def print_to_pdf(page: str, folder: Path, name: str) -> bytes:
    source, target = folder / f"{name}.html", folder / f"{name}.pdf"
    source.write_text(page, "utf-8")
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                    f"--user-data-dir={folder / 'profile'}", f"--print-to-pdf={target}", source.as_uri()],
                   check=True, capture_output=True, timeout=120)
    return target.read_bytes()


def pages(pdf: bytes) -> int:
    assert pdf.startswith(b"%PDF")
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))


@pytest.fixture(scope="module")
def asker():
    return run_check(load_package(None))


def test_asker_memo_prints_on_four_to_six_pages_and_the_appendix_follows(asker, tmp_path):
    memo_html = html.render([asker], {"appendix": False})
    # what page 1-6 must carry
    for must in ("Konklusjon:", "Brudd (7)", "ASKER-HR-gjeldsgrad", "ASKER-MAL-egenfinansiering",
                 "Lovkrav som ikke kunne vurderes (", "KL-14-18-minimumsavdrag", "KL-14-11-dekning-merforbruk",
                 "Netto driftsresultat i % av brutto driftsinntekter", "Hovedtall"):
        assert must in memo_html, must
    memo = pages(print_to_pdf(memo_html, tmp_path, "memo"))
    full = pages(print_to_pdf(html.render([asker], {}), tmp_path, "full"))
    print(f"\nAsker-notatet: {memo} A4-sider; med vedlegg: {full} sider")
    assert 4 <= memo <= 6
    assert full > memo  # the appendix starts on a new page after the memo


@pytest.mark.parametrize("proposal", [p.stem for p in bundled_amendments()])
def test_bundled_proposal_report_prints_on_two_to_three_pages(proposal, tmp_path):
    (result,) = run_all(load_package(None), [proposal])
    page = amend_html.render([result], {})
    assert result.amendment.spec.tittel in page
    count = pages(print_to_pdf(page, tmp_path, proposal))
    print(f"\n{proposal}: {count} A4-sider")
    assert 2 <= count <= 3
