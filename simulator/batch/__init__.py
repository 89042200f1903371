"""``simulate batch``: every clip of a manifest at every clock, as deterministic jobs on a local
process pool or a Dask cluster, resumable, with an aggregate report (docs/batch.md).

manifest (the clips) -> runner.plan (jobs) -> engines (where they run) -> runner.run_batch
(retries, accuracy, gates, store) -> aggregate (distributions, worst clips) -> summary / HTML.
"""
