"""Reads of the sales workspace, one module per subject: access, board, customers, order,
people, tasks. Import from those modules."""
