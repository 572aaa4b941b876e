"""The funnel as a Mermaid diagram, read from the stage field's transitions, and the
pipeline's tables (pipeline/flow.py) as Markdown."""

from __future__ import annotations

from orders.models import OPEN_STAGES, Order
from pipeline.flow import EVENTS, ON_ENTER, Step


def pipeline_mermaid() -> str:
    field = Order._meta.get_field("stage")
    edges = sorted(
        {
            (t.source, t.target, t.name, bool(t.custom.get("manual")))
            for t in field.get_all_transitions(Order)
        }
    )
    lines = [
        "# The order funnel",
        "",
        "Generated from `Order.stage` by `manage.py pipeline_graph`; a test keeps it current.",
        "Solid arrows are manual actions, dotted ones happen by themselves.",
        "",
        "```mermaid",
        "flowchart LR",
    ]
    for source, target, name, manual in edges:
        arrow = "-->" if manual else "-.->"
        lines.append(f"    {source} {arrow}|{name}| {target}")
    lines += ["```", "", *pipeline_tables()]
    return "\n".join(lines)


def _steps(steps: tuple[Step, ...]) -> str:
    return "; ".join(
        (step.__doc__ or step.__name__).strip().splitlines()[0].rstrip(".") for step in steps
    )


def pipeline_tables() -> list[str]:
    """pipeline/flow.py's EVENTS and ON_ENTER, one row each."""
    lines = [
        "## What each event does (pipeline/flow.py)",
        "",
        "| Event | First | Moves (from stage: transition) | Then | Leads to |",
        "|---|---|---|---|---|",
    ]
    for event, rule in EVENTS.items():
        if {move.stage for move in rule.moves} == set(OPEN_STAGES):
            moves = f"any open stage: {rule.moves[0].transition}"
        else:
            moves = "; ".join(f"{move.stage}: {move.transition}" for move in rule.moves)
        if rule.must_move:
            moves += " (else refused)"
        leads = f"{rule.then[0]} {(rule.then[1].__doc__ or '').strip()}" if rule.then else ""
        lines.append(
            f"| {event} | {_steps(rule.before)} | {moves} | {_steps(rule.after)} | {leads} |"
        )
    lines += ["", "## What entering a stage sets off", "", "| Stage | Consequences |", "|---|---|"]
    lines += [f"| {stage} | {_steps(steps)} |" for stage, steps in ON_ENTER.items()]
    lines.append("")
    return lines
