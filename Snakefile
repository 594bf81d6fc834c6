# Per-file work of the fan-out stages. Thin on purpose: rules call `gifworthy` commands; all
# logic lives in src/gifworthy. DVC runs one target of this file per stage (see dvc.yaml).
from snakemake.utils import validate

from gifworthy.core.config import SCHEMA_PATH

configfile: "params.yaml"
validate(config, str(SCHEMA_PATH))

include: "rules/common.smk"
include: "rules/stages.smk"

# Reports only gather small per-file results: on a cluster they run where Snakemake runs.
localrules: download_mirror, download_report, trim_report, gifify_report, align_report, shots_report, segments_report, features_report
