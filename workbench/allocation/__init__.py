"""Step 6 — Allocation: who works which clients, how often, and how many people that takes.

One plan, of which the FTE table, the playbooks' frequencies and the call
plan are views: ``workload`` turns playbooks into hours under the method's
rules (key-account managers, dedicated hunters, dropped and automated tiers,
span of control, sales departments); ``economics`` prices that work and chooses the contact
frequency that pays, within the team's hours (HiGHS), with stand-ins;
``assignment`` gives every client one owner; ``step`` runs it for a run folder.
"""

from .assignment import assign_clients, assignment_quality
from .economics import Assumptions, best_hires, break_even, marginal_fte_value, optimise, options, segment_base
from .step import apply_solution, run_step, team_position
from .workload import (
    SELLER_ROLES,
    compare_with_team,
    fte_by_role,
    sales_departments,
    sequence,
    whole_sellers,
    workload,
)

__all__ = [
    "SELLER_ROLES",
    "Assumptions",
    "apply_solution",
    "assign_clients",
    "assignment_quality",
    "break_even",
    "compare_with_team",
    "fte_by_role",
    "marginal_fte_value",
    "best_hires",
    "optimise",
    "options",
    "run_step",
    "sales_departments",
    "segment_base",
    "sequence",
    "team_position",
    "whole_sellers",
    "workload",
]
