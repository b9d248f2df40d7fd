"""Where an ingested batch waits for validation, and how a publication is recognised.

``ingest`` writes the batch to ``<destination>_staging`` in one Delta commit whose
``userMetadata`` names the batch (``{"mlops_batch": "<id>"}``); ``validate`` publishes
it to the destination in one commit carrying the same marker. So "is a batch waiting?"
is answered from the two Delta logs alone: the staging table's last batch is pending
until some destination commit names it. The marker and the publication are one commit,
so no crash can leave them disagreeing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from databricks_mlops.runtime import looks_like_table_name

STAGING_SUFFIX = "_staging"
_BATCH_KEY = "mlops_batch"


@dataclass(frozen=True)
class StagedBatch:
    """A batch in the staging table that no destination commit has published yet."""

    location: str
    version: int
    batch_id: str
    destination: str
    # The destination's latest version when the batch was looked up; None: not created yet.
    destination_version: int | None


def staging_location(destination: str) -> str:
    """``main.s.customers`` -> ``main.s.customers_staging``; ``dbfs:/x/customers/`` ->
    ``dbfs:/x/customers_staging`` (a sibling, never a folder inside the table)."""
    if looks_like_table_name(destination):
        if destination.endswith("`"):
            return f"{destination[:-1]}{STAGING_SUFFIX}`"
        return f"{destination}{STAGING_SUFFIX}"
    return f"{destination.rstrip('/')}{STAGING_SUFFIX}"


def batch_marker(batch_id: str) -> str:
    return json.dumps({_BATCH_KEY: batch_id})


def batch_of(user_metadata: str | None) -> str | None:
    """The batch id a commit's ``userMetadata`` names, if it is one of ours."""
    if not user_metadata:
        return None
    try:
        parsed = json.loads(user_metadata)
    except ValueError:
        return None
    value = parsed.get(_BATCH_KEY) if isinstance(parsed, dict) else None
    return value if isinstance(value, str) else None
