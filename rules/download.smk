# One job per manifest item. The output is the status record, written for success and
# failure alike, so one bad video never fails the stage (GUIDE 3, trap 2). No inputs: the
# item's fields come as params, so neither a new manifest nor checkout mtimes rerun it.


def _opt(value):
    return "" if value is None else f"{value:g}"


rule download:
    output:
        DOWNLOAD_DIR + "/status/{item}.json",
    params:
        youtube_id=lambda wc: ITEMS[wc.item].youtube_id,
        url=lambda wc: ITEMS[wc.item].url,
        segment=lambda wc: (
            f"--start {_opt(ITEMS[wc.item].start)} --end {_opt(ITEMS[wc.item].end)}"
            if ITEMS[wc.item].is_segment
            else ""
        ),
    resources:
        downloads=1,
    retries: 1
    shell:
        "gifworthy download-one --item-id {wildcards.item} --youtube-id {params.youtube_id} "
        "--url {params.url:q} {params.segment}"


rule download_report:
    input:
        expand(DOWNLOAD_DIR + "/status/{item}.json", item=sorted(ITEMS)),
    output:
        "data/download/stats.csv",
        "data/download/failed.csv",
        "data/download/time_share.csv",
        "metrics/download.json",
    shell:
        "gifworthy download-report"
