"""One dynamic partition per assessment, keyed ``ISO3-YEAR``."""

from dagster import DynamicPartitionsDefinition

ASSESSMENTS_PARTITION = "assessments"
assessments_partitions = DynamicPartitionsDefinition(name=ASSESSMENTS_PARTITION)
