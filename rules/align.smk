# Align GIFs to their source videos, one job per video so each video is decoded once. Like
# every fan-out stage after download, the job also writes `<output>.key` (see common.smk).

rule align_video:
    input:
        ancient(DOWNLOAD_DIR + "/status/{youtube_id}.json"),
    output:
        "data/align/status/{youtube_id}.json",
        "data/align/status/{youtube_id}.json.key",
    shell:
        "gifworthy align-video --youtube-id {wildcards.youtube_id}"


rule align_report:
    input:
        expand("data/align/status/{youtube_id}.json", youtube_id=VIDEOS),
    output:
        "data/align/alignments.csv",
        "metrics/align.json",
    shell:
        "gifworthy align-report"
