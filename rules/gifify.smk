# Explorer-style animations of every trimmed clip and every Video2GIF GIF segment.


rule gifify_clip:
    input:
        ancient(CLIPS_DIR + "/status/{item}.json"),
    output:
        GIFS_DIR + "/status/clips/{item}.json",
    retries: 1
    shell:
        "gifworthy gifify-clip {input:q}"


rule gifify_v2g:
    input:
        lambda wc: ancient(DOWNLOAD_DIR + f"/status/{V2G[wc.gif_id]['youtube_id']}.json"),
    output:
        GIFS_DIR + "/status/v2g/{gif_id}.json",
    params:
        start=lambda wc: V2G[wc.gif_id]["start_sec"],
        end=lambda wc: V2G[wc.gif_id]["end_sec"],
    retries: 1
    shell:
        "gifworthy gifify-v2g {input:q} --gif-id {wildcards.gif_id} "
        "--start {params.start} --end {params.end}"


rule gifify_report:
    input:
        expand(GIFS_DIR + "/status/clips/{item}.json", item=CLIP_IDS),
        expand(GIFS_DIR + "/status/v2g/{gif_id}.json", gif_id=sorted(V2G)),
    output:
        "metrics/gifify.json",
    shell:
        "gifworthy gifify-report"
