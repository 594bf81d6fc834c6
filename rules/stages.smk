# One rule per persisted stage, one job per item. Inputs are ancient(): after `dvc pull` or a
# checkout their mtimes say nothing (GUIDE 3, trap 4); `gifworthy prepare <stage>` (run by
# DVC first) removes every output whose key no longer matches its inputs, by content. Every
# job writes a record even for a bad item, so one bad item never fails the stage.


rule download:
    output:
        DOWNLOAD_DIR + f"/{STATUS}/{{item}}.json",
        DOWNLOAD_DIR + f"/{STATUS}/{{item}}.json.key",
    resources:
        downloads=1,
    retries: 1
    shell:
        "gifworthy run-one download {wildcards.item}"


rule trim:
    input:
        ancient(DOWNLOAD_DIR + f"/{STATUS}/{{item}}.json"),
    output:
        CLIPS_DIR + f"/{STATUS}/{{item}}.json",
        CLIPS_DIR + f"/{STATUS}/{{item}}.json.key",
    retries: 1
    shell:
        "gifworthy run-one trim {wildcards.item}"


def _gifify_input(wc):
    if wc.kind == "clips":
        return ancient(CLIPS_DIR + f"/{STATUS}/{wc.item}.json")
    return ancient(DOWNLOAD_DIR + f"/{STATUS}/{V2G[wc.item]['youtube_id']}.json")


rule gifify:
    input:
        _gifify_input,
    output:
        GIFS_DIR + f"/{STATUS}/{{kind}}/{{item}}.json",
        GIFS_DIR + f"/{STATUS}/{{kind}}/{{item}}.json.key",
    retries: 1
    shell:
        "gifworthy run-one gifify {wildcards.kind}/{wildcards.item}"


rule align:
    input:
        ancient(DOWNLOAD_DIR + f"/{STATUS}/{{video}}.json"),
    output:
        ALIGN_DIR + "/{video}.json",
        ALIGN_DIR + "/{video}.json.key",
    shell:
        "gifworthy run-one align {wildcards.video}"


rule shots:
    input:
        ancient(DOWNLOAD_DIR + f"/{STATUS}/{{video}}.json"),
    output:
        SHOTS_DIR + "/{video}.npz",
        SHOTS_DIR + "/{video}.npz.key",
    threads: 2  # torch uses both cores: one TransNetV2 job at a time
    shell:
        "gifworthy run-one shots {wildcards.video}"


rule segments:
    input:
        shots=ancient(SHOTS_DIR + "/{video}.npz"),
        align=ancient(ALIGN_DIR + "/{video}.json"),
    output:
        SEGMENTS_DIR + "/{video}.csv",
        SEGMENTS_DIR + "/{video}.csv.key",
    shell:
        "gifworthy run-one segments {wildcards.video}"


rule features:
    input:
        segments=ancient(SEGMENTS_DIR + "/{video}.csv"),
        shots=ancient(SHOTS_DIR + "/{video}.npz"),
    output:
        FEATURES_DIR + "/{video}.npz",
        FEATURES_DIR + "/{video}.npz.key",
    threads: 2  # the image model uses both cores
    shell:
        "gifworthy run-one features {wildcards.video}"


# Reports gather the small per-item results; each names what its stage must have done.
rule download_report:
    input:
        expand(DOWNLOAD_DIR + f"/{STATUS}/{{item}}.json", item=sorted(ITEMS)),
    output:
        "data/download/stats.csv",
        "data/download/failed.csv",
        "data/download/time_share.csv",
        "metrics/download.json",
    shell:
        "gifworthy report download"


rule trim_report:
    input:
        expand(CLIPS_DIR + f"/{STATUS}/{{item}}.json", item=CLIP_IDS),
    output:
        "metrics/trim.json",
    shell:
        "gifworthy report trim"


rule gifify_report:
    input:
        expand(GIFS_DIR + f"/{STATUS}/clips/{{item}}.json", item=CLIP_IDS),
        expand(GIFS_DIR + f"/{STATUS}/v2g/{{item}}.json", item=sorted(V2G)),
    output:
        "metrics/gifify.json",
    shell:
        "gifworthy report gifify"


rule align_report:
    input:
        expand(ALIGN_DIR + "/{video}.json", video=VIDEOS),
    output:
        "data/align/alignments.csv",
        "metrics/align.json",
    shell:
        "gifworthy report align"


rule shots_report:
    input:
        expand(SHOTS_DIR + "/{video}.npz", video=VIDEOS),
    output:
        "metrics/shots.json",
    threads: 2
    shell:
        "gifworthy report shots"


rule segments_report:
    input:
        expand(SEGMENTS_DIR + "/{video}.csv", video=VIDEOS),
    output:
        "metrics/segments.json",
    shell:
        "gifworthy report segments"


rule features_report:
    input:
        expand(FEATURES_DIR + "/{video}.npz", video=VIDEOS),
    output:
        "metrics/features.json",
    shell:
        "gifworthy report features"
