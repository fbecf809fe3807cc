"""How the lines of an årsavslutning table (§ 5-9, an årsregnskap) are read beyond their catalogued names.

These tables print three things a schedule of the budget does not, and each is read as what it is, never refused
and never dropped:

* «Herav …» lines: a gross line («Herav avsetninger til bundne driftsfond») is that line; a part of a line
  («Herav strykning av bruk av lån - startlån») is a herav line of it (key «<line>:<what>»), and the herav lines
  of a line must add up to it (rules/arsregnskap.yaml).
* A net line printed a second time below its gross lines, with «(spesifikasjon)» or verbatim: its specification,
  a line of its own that must equal the line above.
* A plain § 5-4/§ 5-5 line («Overføring til investering») printed ABOVE «Årets budsjettavvik (… før strykninger)»
  when the table has no «i henhold til årsbudsjettet og fullmakter» form of it: the budsjettavvik is the sum of the
  lines above it, so the line is read as the amount before strykninger (with a note).

The lines, their names and sums are data (catalogue_arsavslutning.yaml); this module only knows the three patterns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .labels import normalise

_SPLIT = re.compile(r"\s+[-–—]\s+|:\s*|\s*\(|,\s+")


@dataclass
class Reading:
    before: str | None  # the key of «Årets budsjettavvik (… før strykninger)»
    herav_words: tuple[str, ...] = ()
    spec_words: tuple[str, ...] = ()
    before_of: dict[str, str] = field(default_factory=dict)  # plain (after strykninger) key → its «i henhold til» key
    spec_of: dict[str, str] = field(default_factory=dict)  # net line key → its specification's key

    def _rest(self, label: str) -> str | None:
        """The label without a leading «Herav»/«Derav»/«Av dette» (None when it has none)."""
        text = " ".join(str(label).split())
        for word in sorted(self.herav_words, key=len, reverse=True):
            if text.lower().startswith(word.lower()) and (len(text) == len(word) or not text[len(word)].isalnum()):
                rest = text[len(word):].lstrip(" :,-–")
                return rest or None
        return None

    def resolve(self, table: Any, label: str) -> tuple[Any, str | None, None] | None:
        """(line, note, None) for a «Herav …» label: the catalogued line it names, or a herav line of one; None when
        the label is no herav line of this table (the caller then says «ukjent linje»)."""
        from .catalogue import LineDef  # noqa: PLC0415 - catalogue imports this module while it loads

        rest = self._rest(label)
        if rest is None:
            return None
        if (line := table.match(rest)) is not None:
            return line, None, None
        parts = _SPLIT.split(rest, maxsplit=1)
        if len(parts) == 2 and parts[1].strip(" )") and (line := table.match(parts[0])) is not None \
                and ":" not in line.key:
            what = normalise(parts[1]) or "del"
            return (LineDef(f"{line.key}:{what}", label),
                    f"«{label}» er lest som en del av «{line.label}» (herav-linje); herav-linjene skal til sammen "
                    "ikke være mer enn linjen", None)
        return None

    def relabel(self, records: list[dict[str, Any]], key: str, norm: str, label: str, line: str,
                file: str) -> list[str]:
        """Read repeated and plain lines as what they are (in place, on the reader's records); the notes saying so."""
        notes: list[str] = []
        printed = {r[key] for r in records if r.get(key)}
        seen: set[str] = set()
        for record in records:
            k = record.get(key)
            if k in seen and k in self.spec_of and self.spec_of[k] not in printed:
                record[key] = self.spec_of[k]
                record[norm] = f"{record[norm]}spesifikasjon"
                printed.add(self.spec_of[k])
                notes.append(f"{file}:{record[line]}: «{record[label]}» står for andre gang (under bruttolinjene) og "
                             "er lest som spesifikasjonen av linjen over; de to skal være like")
                continue
            if k:
                seen.add(k)
        at = next((i for i, r in enumerate(records) if r.get(key) == self.before), None)
        if at is not None:
            for record in records[:at]:
                k = record.get(key)
                if k in self.before_of and self.before_of[k] not in printed:
                    record[key] = self.before_of[k]
                    printed.add(self.before_of[k])
                    notes.append(f"{file}:{record[line]}: «{record[label]}» står over «Årets budsjettavvik (før "
                                 "strykninger)» og er lest som beløpet i henhold til årsbudsjettet og fullmakter "
                                 "(før strykninger)")
        return notes
