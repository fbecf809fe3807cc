"""An empty package with the statutory lines pre-filled, for a kommune to fill in."""

from __future__ import annotations

import datetime as dt

from .budget import Budget, Row, Table
from .catalogue import TABLES
from .meta import BudgetMeta

# Lines a template leaves out: the forskrift's net lines where the template offers the gross pair instead.
_SKIP = {"netto_bundne_driftsfond", "netto_disposisjonsfond", "netto_bundne_investeringsfond",
         "netto_ubundne_investeringsfond", "herav_netto_bundne_driftsfond", "herav_netto_disposisjonsfond",
         "bruk_tidligere_mindreforbruk"}  # printed in accounts, not a line of the forskrift's budget schedules


def template_budget(first_plan_year: int | None = None) -> Budget:
    year = first_plan_year or dt.date.today().year + 1
    meta = BudgetMeta(
        kommune="Eksempel", kommunenummer="0000", title=f"Økonomiplan {year}-{year + 3}", status="forslag",
        years={"regnskap": [year - 2], "budsjett": [year - 1], "plan": [year, year + 1, year + 2, year + 3]},
        source={"title": "Fyll inn kildedokumentet", "pages": {}},
    )
    years = meta.years.all
    tables = {}
    for stem, tdef in TABLES.items():
        if tdef.legacy or tdef.accounts_only:
            continue
        rows = []
        for line in tdef.lines:
            if line.key in _SKIP:
                continue
            group = "vann" if tdef.area_column else None  # selvkost: one example block, copied per område
            if stem == "investering_fordeling" and line.key.startswith("del"):
                group = int(line.key[3])
                rows.append(Row(f"Eksempelprosjekt del {group}", None, 0, dict.fromkeys(years), group))
            if stem == "drift_fordeling" and line.key == "sum":
                rows.append(Row("Eksempelområde", None, 0, dict.fromkeys(years)))
            rows.append(Row(line.label, line.key, 0, dict.fromkeys(years), group))
        tables[stem] = Table(stem, f"{stem}.csv", rows)
    return Budget(meta=meta, tables=tables)
