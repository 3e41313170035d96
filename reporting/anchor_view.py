"""A meter's trust anchors before and after a request, as one small table: each role with its Digital
Signing (DS) and Key Agreement (KA) cell, the owner by name with the identifier beside it, and the cells
that changed marked. A reader sees at a glance what the request did.

The anchors come as the Control API lists them: ``{role, key_use, entity_id, owner, certificate_id}``.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from reporting.exchange_view import CELL, TABLE, head

KEY_USES = ("DS", "KA")
ROLE_ORDER = ("Supplier", "NetworkOperator", "ACB", "WNWO", "Transitional CoS")
ROLE_NAMES = {"NetworkOperator": "Network Operator", "ACB": "Access Control Broker"}
Anchor = Mapping[str, str]


@dataclass(frozen=True)
class Cell:
    """One trust-anchor cell before and after."""

    role: str
    key_use: str
    before: Anchor | None
    after: Anchor | None

    @property
    def changed(self) -> bool:
        def key(anchor: Anchor | None) -> tuple[str, str] | None:
            return None if anchor is None else (anchor.get("entity_id", ""), anchor.get("certificate_id", ""))

        return key(self.before) != key(self.after)


def learn_names(anchors: Sequence[Anchor]) -> dict[str, str]:
    """What the anchors themselves say about who owns an identifier (the SMKI's organisation name)."""
    return {
        anchor["entity_id"]: anchor["owner"]
        for anchor in anchors
        if anchor.get("entity_id") and anchor.get("owner") and anchor["owner"] != anchor["entity_id"]
    }


def cells(before: Sequence[Anchor], after: Sequence[Anchor]) -> list[Cell]:
    """Every cell held before or after, role by role (in the order a reader expects), DS then KA."""
    by_cell_before = {(anchor["role"], anchor["key_use"]): anchor for anchor in before}
    by_cell_after = {(anchor["role"], anchor["key_use"]): anchor for anchor in after}
    roles = {role for role, _ in by_cell_before} | {role for role, _ in by_cell_after}
    ordered = sorted(roles, key=lambda role: (ROLE_ORDER.index(role) if role in ROLE_ORDER else 99, role))
    return [
        Cell(role, key_use, by_cell_before.get((role, key_use)), by_cell_after.get((role, key_use)))
        for role in ordered
        for key_use in KEY_USES
        if (role, key_use) in by_cell_before or (role, key_use) in by_cell_after
    ]


def owner(anchor: Anchor | None, names: Mapping[str, str]) -> str:
    """``Western Power (90-B3-…)``, or the identifier alone when nobody knows its name; "—" for an empty cell."""
    if anchor is None:
        return "—"
    entity = anchor.get("entity_id", "")
    name = _name(anchor, names)
    return f"{name} ({entity})" if name else entity


def _name(anchor: Anchor, names: Mapping[str, str]) -> str | None:
    entity = anchor.get("entity_id", "")
    return names.get(entity) or (anchor.get("owner") if anchor.get("owner") != entity else None)


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _owner_html(anchor: Anchor | None, names: Mapping[str, str]) -> str:
    """The owner's name, and its identifier beside it in small type."""
    if anchor is None:
        return "— (empty)"
    entity, name = anchor.get("entity_id", ""), _name(anchor, names)
    small = f'<br><small style="color:#555">{_e(entity)}</small>'
    return f"{_e(name)}{small}" if name else _e(entity)


def render_anchor_change(
    before: Sequence[Anchor], after: Sequence[Anchor], names: Mapping[str, str], title: str
) -> str:
    """One table: role × DS/KA, owner before and after; a changed cell is highlighted and marked ▲."""
    rows = []
    changed = 0
    for cell in cells(before, after):
        mark = cell.changed
        changed += mark
        style = CELL + (";background:#fff3b0;font-weight:600" if mark else "")
        after_html = ("▲ " if mark else "") + _owner_html(cell.after, names)
        rows.append(
            f'<tr class="{"changed" if mark else "unchanged"}"><td style="{CELL}">'
            f"{_e(ROLE_NAMES.get(cell.role, cell.role))}</td>"
            f'<td style="{CELL}">{_e(cell.key_use)}</td><td style="{CELL}">{_owner_html(cell.before, names)}</td>'
            f'<td style="{style}">{after_html}</td></tr>'
        )
    summary = f"{changed} of {len(rows)} cells changed (marked ▲)" if changed else "no cell changed"
    return (
        f'<section class="mp107-anchors" style="font:13px/1.4 system-ui,sans-serif">'
        f'<h3 style="margin:6px 0">{_e(title)}</h3><p>{_e(summary)}.</p>'
        f'<table class="mp107-anchor-table" style="{TABLE}"><tr>{head("Trust anchor", 24)}{head("Cell", 8)}'
        f"{head('Owner before', 34)}{head('Owner after', 34)}</tr>{''.join(rows)}</table></section>"
    )
