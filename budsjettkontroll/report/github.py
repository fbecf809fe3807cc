"""GitHub Actions workflow commands: `::error file=…,line=…,title=…::message` for each failing finding, so the
breach is annotated on the right line of the right file in a pull request (warning → ::warning, info → ::notice).

Values are escaped as the runner requires (%, CR, LF; and : , in properties), so a label cannot forge a command.
"""

from __future__ import annotations

from typing import Any

from ..findings import FAIL, exit_code, year_label
from .present import display_path, reference_text, sort_findings, verdict

COMMAND = {"error": "error", "warning": "warning", "info": "notice"}


def escape_data(text: str) -> str:
    return str(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(finding) -> str:
    props = []
    if finding.file:
        props.append(f"file={escape_property(display_path(finding.file))}")
        if finding.line:
            props.append(f"line={finding.line}")
    title = f"{finding.rule} ({year_label(finding)})"
    props.append(f"title={escape_property(title)}")
    message = f"{finding.title}: {finding.message} [Hjemmel: {reference_text(finding)}]"
    return f"::{COMMAND[finding.severity]} {','.join(props)}::{escape_data(message)}"


def render(results: list, options: dict[str, Any]) -> str:
    fail_on = options.get("fail_on", "error")
    lines = []
    for result in results:
        for finding in sort_findings(result.findings):
            if finding.status == FAIL:
                lines.append(annotation(finding))
    for result in results:
        meta = result.budget.meta
        word = verdict(result.findings, fail_on)
        lines.append(escape_data(f"budsjettkontroll: {meta.kommune} – {meta.title}: {word}"))
    if len(results) > 1:
        every = [f for r in results for f in r.findings]
        lines.append(f"budsjettkontroll: {'BRUDD' if exit_code(every, fail_on) else 'ingen brudd'} "
                     f"på eller over «{fail_on}» i {len(results)} budsjetter")
    return "\n".join(lines) + "\n"
