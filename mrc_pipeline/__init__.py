"""mrc-pipeline: comparative analysis of MRC capacity assessments as Dagster assets.

Plain modules (``reference``, ``labels``, ``instrument``, ``stats``, ``aggregate``,
``published``, ``store``) hold the logic and know nothing of Dagster; the
``mrc_pipeline.defs`` package wires them into assets, checks and jobs.
"""

__version__ = "0.1.0"
