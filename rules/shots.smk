# Shot boundaries (both detectors, one decode per video) for every video that has GIFs.
SHOTS_DIR = str(layout.shots_dir(config))


rule shots_video:
    input:
        ancient(DOWNLOAD_DIR + "/status/{youtube_id}.json"),
    output:
        SHOTS_DIR + "/{youtube_id}.npz",
        SHOTS_DIR + "/{youtube_id}.npz.key",
    threads: 2  # torch uses both cores: one TransNetV2 job at a time
    shell:
        "gifworthy shots-video --youtube-id {wildcards.youtube_id}"


rule shots_report:
    input:
        expand(SHOTS_DIR + "/{youtube_id}.npz", youtube_id=VIDEOS),
    output:
        "metrics/shots.json",
    threads: 2
    shell:
        "gifworthy shots-report"
