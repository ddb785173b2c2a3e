"""The catalogue's Open Referral UK read API (HSDS 3.0) under /api/openreferral/.

- `taxonomy`: the two taxonomies services are classified by, and the stable ids
  derived for everything that has no row of its own.
- `queries`: which rows the API may show and how its filters select them.
- `mapping`: plain functions turning catalogue objects into HSDS dicts.
- `params`: query-string parsing; bad input becomes a 400, never a 500.
- `export`: the analysts' CSV download.
- `views`, `urls`: thin HTTP glue.
"""
