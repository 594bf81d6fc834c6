# Shared names for all rules. Every fan-out stage runs one job per *shard* of its items
# (gifworthy.pipeline.shards): `gifworthy prepare <stage>` (run by DVC first) plans the shards
# and marks the finished ones in .gifworthy/shards/<stage>/; a rule's job is
# `gifworthy run-shard <stage> <shard>`, which does the shard's missing items with a bounded
# pool and writes the shard's marker. Only the small plan is read here, never the manifest,
# so the DAG of a 650,000-item stage is built in about a second, and every cluster job parses
# this file as fast.
from gifworthy.core.config import load_params
from gifworthy.pipeline.shards import marker_path, shard_ids

# With params.local.yaml laid over (a machine's own execution settings), as the stages read it.
EXECUTION = load_params("params.yaml")["execution"]
# A download shard takes one unit of the profile's `downloads` resource per concurrent
# download it runs, so the profile's cap holds across shards (never more than the cap: a job
# asking for more than exists would never start).
def _available(name, default):
    value = workflow.global_resources.get(name)
    value = getattr(value, "value", value)  # a snakemake Resource, or a number
    return int(value) if isinstance(value, (int, float)) and value > 0 else default


DOWNLOAD_WORKERS = min(int(EXECUTION["download_workers"]),
                       _available("downloads", int(EXECUTION["download_workers"])))


def marker(stage):
    return str(marker_path(stage, "{shard}"))


def markers(stage):
    return [str(marker_path(stage, s)) for s in shard_ids(stage)]


wildcard_constraints:
    shard=r"\d+",
