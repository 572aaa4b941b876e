"""The funnel as a Mermaid diagram, read from the stage field's transitions."""

from __future__ import annotations

from orders.models import Order


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
    lines += ["```", ""]
    return "\n".join(lines)
