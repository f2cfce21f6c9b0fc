"""Stage 4, outputs: plots, disclosure control, data overview, the report and the dashboard.
Outputs never compute an estimate themselves; they call ``impact`` and ``policy``."""
