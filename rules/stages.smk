# One rule per persisted stage, one job per shard. No rule names another stage's outputs:
# DVC runs the stages in order (each `dvc repro` stage targets its own report here), and
# `gifworthy prepare <stage>` has removed every output whose key no longer matches its inputs,
# by content (GUIDE 3, traps 3 and 4). A bad item is a record (or a logged miss), never a
# failed shard; a killed shard reruns only its missing items. Retries are the profile's
# (a machine setting): profiles/local retries once, profiles/slurm twice.


rule download:
    output:
        marker("download"),
    resources:
        downloads=DOWNLOAD_WORKERS,
    shell:
        "gifworthy run-shard download {wildcards.shard} --workers {resources.downloads}"


rule trim:
    output:
        marker("trim"),
    threads: 2  # clips cut in parallel, one ffmpeg each
    shell:
        "gifworthy run-shard trim {wildcards.shard} --workers {threads}"


rule gifify:
    output:
        marker("gifify"),
    threads: 2
    shell:
        "gifworthy run-shard gifify {wildcards.shard} --workers {threads}"


rule align:
    output:
        marker("align"),
    threads: 2  # videos in parallel processes (hashing is Python work)
    shell:
        "gifworthy run-shard align {wildcards.shard} --workers {threads}"


rule shots:
    output:
        marker("shots"),
    threads: 2  # one video at a time; TransNetV2 uses every thread, loaded once per shard
    shell:
        "gifworthy run-shard shots {wildcards.shard}"


rule segments:
    output:
        marker("segments"),
    shell:
        "gifworthy run-shard segments {wildcards.shard}"


rule features:
    output:
        marker("features"),
    threads: 2  # one video at a time; the image model uses every thread
    shell:
        "gifworthy run-shard features {wildcards.shard}"


# The clips left to the Kinetics mirror (download.kinetics_source), once the shards are done:
# one pass over the archives, not a job per clip. A no-op for kinetics_source youtube.
rule download_mirror:
    input:
        markers("download"),
    output:
        ".gifworthy/mirror/synced.json",
    shell:
        "gifworthy mirror-sync"


# Reports gather the small per-item results; each names what its stage must have done.
rule download_report:
    input:
        markers("download"),
        ".gifworthy/mirror/synced.json",
    output:
        "data/download/stats.csv",
        "data/download/failed.csv",
        "data/download/time_share.csv",
        "metrics/download.json",
    shell:
        "gifworthy report download"


rule trim_report:
    input:
        markers("trim"),
    output:
        "metrics/trim.json",
    shell:
        "gifworthy report trim"


rule gifify_report:
    input:
        markers("gifify"),
    output:
        "metrics/gifify.json",
    shell:
        "gifworthy report gifify"


rule align_report:
    input:
        markers("align"),
    output:
        "data/align/alignments.csv",
        "metrics/align.json",
    shell:
        "gifworthy report align"


rule shots_report:
    input:
        markers("shots"),
    output:
        "metrics/shots.json",
    threads: 2
    shell:
        "gifworthy report shots"


rule segments_report:
    input:
        markers("segments"),
    output:
        "metrics/segments.json",
    shell:
        "gifworthy report segments"


rule features_report:
    input:
        markers("features"),
    output:
        "metrics/features.json",
    shell:
        "gifworthy report features"
