# Cut each downloaded clip. The download record is ancient(): after `dvc pull` or a checkout
# its mtime says nothing (GUIDE 3, trap 4); `gifworthy trim-prepare` requeues clips whose
# download really changed, by content.


rule trim:
    input:
        ancient(DOWNLOAD_DIR + "/status/{item}.json"),
    output:
        CLIPS_DIR + "/status/{item}.json",
    retries: 1
    shell:
        "gifworthy trim-one {input:q}"


rule trim_report:
    input:
        expand(CLIPS_DIR + "/status/{item}.json", item=CLIP_IDS),
    output:
        "metrics/trim.json",
    shell:
        "gifworthy trim-report"
