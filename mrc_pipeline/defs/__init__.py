"""Dagster wiring of mrc-pipeline, and nothing else.

- ``resources``: paths of the data and output folders, and the IO manager that puts
  per-assessment tables in the partition store and output tables in versioned Delta
  tables plus CSV exports.
- ``partitions``: the dynamic partitions, one per assessment (``ISO3-YEAR``).
- ``assessment_assets``: per-assessment assets (raw workbook -> validated tables) and
  their blocking checks.
- ``aggregate_assets``: unpartitioned tables computed over all assessments.
- ``audit_assets``: the audit of the published figures and the bootstrap intervals.
- ``report_assets``: the figures (PNG and SVG) and the HTML report built on them.
- ``metadata``: row counts and previews attached to materialisations.

All statistics live in the plain modules of ``mrc_pipeline``.
"""
