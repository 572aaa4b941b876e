"""Writes of the order itself, by subject. What a change sets off elsewhere (a stage move,
an invoice, a task announced) is the pipeline's (pipeline/flow.py)."""
