"""JUnit XML: one test case per rule and year (and subject, for rules judged per sum line or project), so
CI test reporters (GitHub, GitLab, Jenkins, Azure) list the budget's legal checks like tests.

A failure at or above --fail-on is a <failure>; a failure below it (a MERKNAD, or a warning under the
default threshold) passes with the message in <system-out>, so the report agrees with the exit code.
Not evaluated and waived are <skipped> with the reason.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from typing import Any

from ..findings import FAIL, NOT_EVALUATED, SEVERITY_RANK, WAIVED, year_label
from .present import display_path, reference_text


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def x(text: Any) -> str:
    """Text XML 1.0 can carry: control characters from a hostile label become U+FFFD, not a broken report."""
    return _NOT_XML.sub("\ufffd", str(text))


def case_name(finding) -> str:
    name = f"{finding.rule} [{year_label(finding)}]"
    return x(f"{name} {finding.subject}" if finding.subject else name)


def render(results: list, options: dict[str, Any]) -> str:
    threshold = SEVERITY_RANK[options.get("fail_on", "error")]
    root = ET.Element("testsuites", name="budsjettkontroll")
    totals = defaultdict(int)
    for result in results:
        budget = result.budget
        by_pack: dict[str, list] = defaultdict(list)
        for finding in result.findings:
            by_pack[finding.pack or "regler"].append(finding)
        for pack, findings in by_pack.items():
            suite = ET.SubElement(root, "testsuite", name=x(f"{budget.meta.kommune}: {budget.meta.title} · {pack}"))
            props = ET.SubElement(suite, "properties")
            for key, value in (("kommune", budget.meta.kommune), ("pakke", budget.name), ("regelpakke", pack),
                               ("fail-on", options.get("fail_on", "error"))):
                ET.SubElement(props, "property", name=key, value=x(value))
            counts = defaultdict(int)
            for f in findings:
                case = ET.SubElement(suite, "testcase", name=case_name(f), classname=x(f"{budget.name}.{pack}.{f.rule}"))
                if f.file:
                    case.set("file", x(display_path(f.file) or ""))
                if f.line:
                    case.set("line", str(f.line))
                counts["tests"] += 1
                detail = f"{f.title}\n{f.message}\nHjemmel: {reference_text(f)}"
                if f.file:
                    detail += f"\nSted: {display_path(f.file)}" + (f":{f.line}" if f.line else "")
                detail = x(detail)
                if f.status == FAIL and SEVERITY_RANK[f.severity] >= threshold:
                    failure = ET.SubElement(case, "failure", message=x(f.message), type=f.severity)
                    failure.text = detail
                    counts["failures"] += 1
                elif f.status == FAIL:
                    out = ET.SubElement(case, "system-out")
                    out.text = f"{'MERKNAD' if f.severity == 'info' else 'ADVARSEL'} (under --fail-on): {detail}"
                elif f.status == NOT_EVALUATED:
                    ET.SubElement(case, "skipped", message=x(f.message))
                    counts["skipped"] += 1
                elif f.status == WAIVED:
                    ET.SubElement(case, "skipped", message=x(f"Unntatt: {f.justification or ''} ({f.message})"))
                    counts["skipped"] += 1
            for key in ("tests", "failures", "skipped"):
                suite.set(key, str(counts[key]))
                totals[key] += counts[key]
            suite.set("errors", "0")
    for key in ("tests", "failures", "skipped"):
        root.set(key, str(totals[key]))
    root.set("errors", "0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
