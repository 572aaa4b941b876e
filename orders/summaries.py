"""The orders' maintained summaries beside the board counters, as SQL that refills them from
the rows: migration 0015_closed_day_counters fills them with it, and bench/seed.py runs it
after a seed (SUMMARIES_REBUILD), empties the tables (SUMMARIES_TABLES) and compares them
with the rows (SUMMARIES_CHECK).

Won and lost orders per day: a day is the date of `stage_changed_at` in the company's time
zone (settings.TIME_ZONE), worked out in PostgreSQL by `orders_closed_day()`. The zone is
written into that function when it is made; after changing TIME_ZONE, run the rebuild
statements again (they remake the function, then refill the table)."""

from __future__ import annotations

from core.zones import company_zone

CLOSED = "('won', 'lost')"


CLOSED_DAY_FUNCTION = f"""
CREATE OR REPLACE FUNCTION orders_closed_day(p_at timestamptz) RETURNS date AS $$
    SELECT (p_at AT TIME ZONE '{company_zone()}')::date
$$ LANGUAGE sql IMMUTABLE;
"""

CLOSED_DAYS_FILL = f"""
INSERT INTO orders_closeddaycounter (day, stage, manager_key, orders, total)
SELECT (stage_changed_at AT TIME ZONE '{company_zone()}')::date, stage, COALESCE(manager_id, 0),
       COUNT(*), SUM(total_amount)
FROM orders_order WHERE stage IN {CLOSED}
GROUP BY 1, 2, 3;
"""

SUMMARIES_REBUILD = [
    CLOSED_DAY_FUNCTION,
    "DELETE FROM orders_closeddaycounter;",
    CLOSED_DAYS_FILL,
]
SUMMARIES_TABLES = ["orders_closeddaycounter"]
SUMMARIES_CHECK = {
    "won and lost per day = closed orders by day, stage and manager": f"""
SELECT count(*) FROM (
    SELECT orders_closed_day(stage_changed_at) AS day, stage,
           COALESCE(manager_id, 0) AS manager_key, count(*) AS orders,
           sum(total_amount) AS total
    FROM orders_order WHERE stage IN {CLOSED} GROUP BY 1, 2, 3
) o
FULL JOIN (SELECT * FROM orders_closeddaycounter WHERE orders <> 0) c
       USING (day, stage, manager_key)
WHERE o.orders IS DISTINCT FROM c.orders OR o.total IS DISTINCT FROM c.total
""",
}
