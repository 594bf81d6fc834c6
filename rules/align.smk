# Align GIFs to their source videos, one job per video so each video is decoded once.
import json as _json

if config["corpus"]["source"] == "sample" and os.path.exists("data/sample/gifs.json"):
    with open("data/sample/gifs.json", encoding="utf-8") as _fh:
        ALIGN_VIDEOS = sorted({g["youtube_id"] for g in _json.load(_fh)} & set(ITEMS))
else:
    ALIGN_VIDEOS = sorted({row["youtube_id"] for row in V2G.values()})


rule align_video:
    input:
        ancient(DOWNLOAD_DIR + "/status/{youtube_id}.json"),
    output:
        "data/align/status/{youtube_id}.json",
    shell:
        "gifworthy align-video --youtube-id {wildcards.youtube_id}"


rule align_report:
    input:
        expand("data/align/status/{youtube_id}.json", youtube_id=ALIGN_VIDEOS),
    output:
        "data/align/alignments.csv",
        "metrics/align.json",
    shell:
        "gifworthy align-report"
