"""The read side: what the dashboards, lists and exports count, computed in the database.

`facts` keeps the per-trainee facts table true on every write; `needs` is the lead's list of
trainees who need someone (overdue, stalled, records waiting)."""
