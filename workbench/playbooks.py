"""Step 5 — Playbooks: how to work each segment.

A playbook answers the methodology's questions for a group (products, terms,
contact frequency, channel, whom to contact, resources) and carries the two
numbers the allocation step needs (contacts per year, hours per contact) and
the role that does the work. Entries come from a YAML template in
``templates/playbooks/`` and are layered: the segment's tier, then the
segment's own entry in the template, then the engagement's overrides by tier,
then by segment.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

from .config import PlaybookEntry
from .paths import TEMPLATES

FIELDS = tuple(PlaybookEntry.model_fields)


def template_path(template: str, language: str) -> Path:
    """``templates/playbooks/<template>.<language>.yaml``, or ``template`` itself if it is a file."""
    candidate = Path(template)
    if candidate.suffix in {".yaml", ".yml"}:
        return candidate
    return TEMPLATES / "playbooks" / f"{template}.{language}.yaml"


def load_template(path: str | Path) -> dict[str, dict]:
    """Read and check a playbook template (every entry must be a valid playbook)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"playbook template {path} not found")
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    entries = {}
    for key, entry in raw.items():
        try:
            entries[str(key)] = PlaybookEntry.model_validate(entry).model_dump(exclude_none=True)
        except Exception as exc:  # pydantic's message names the field
            raise ValueError(f"{path}: entry '{key}': {exc}") from exc
    return entries


def build_playbooks(
    priorities: pd.DataFrame, template: dict[str, dict], overrides: dict[str, dict] | None = None
) -> pd.DataFrame:
    """The playbook of each segment.

    Parameters
    ----------
    priorities : DataFrame
        ``segment`` and ``tier`` (from ``priorities.priority_scores``), in priority order.
    template : dict
        Entries keyed ``tier_<n>`` and by segment label.
    overrides : dict, optional
        The engagement's overrides, keyed the same way (values as dicts).

    Returns
    -------
    DataFrame
        ``segment, tier`` and every playbook field. A field no layer sets is
        an error naming the segment, so a half-filled template cannot pass.
    """
    overrides = overrides or {}
    rows = []
    for seg, tier in zip(priorities["segment"], priorities["tier"], strict=True):
        tier_key = f"tier_{int(tier)}"
        entry: dict = {}
        for layer in (template.get(tier_key), template.get(seg), overrides.get(tier_key), overrides.get(seg)):
            if layer:
                entry.update({k: v for k, v in layer.items() if v is not None})
        missing = [f for f in FIELDS if f not in entry]
        if missing:
            raise ValueError(f"playbook for segment '{seg}' (tier {tier}): no value for {', '.join(missing)}")
        rows.append({"segment": seg, "tier": int(tier), **{f: entry[f] for f in FIELDS}})
    return pd.DataFrame(rows)


def run_step(run_dir, playbook_template: str = "default", language: str = "en", overrides: dict | None = None) -> dict:
    """Build the playbook of each segment from the template and the overrides; save it."""
    from . import artifacts

    ranked = artifacts.load(run_dir, "priorities", "priorities")
    template = load_template(template_path(playbook_template, language))
    table = build_playbooks(ranked, template, overrides)
    artifacts.save(run_dir, "playbooks", playbooks=table)
    return {"playbooks": table}
