# Segments and labels: shots cut to length, labelled against the aligned GIFs.
SEGMENTS_DIR = str(layout.segments_dir(config))


rule segments_video:
    input:
        shots=ancient(SHOTS_DIR + "/{youtube_id}.npz"),
        align=ancient("data/align/status/{youtube_id}.json"),
    output:
        SEGMENTS_DIR + "/{youtube_id}.csv",
        SEGMENTS_DIR + "/{youtube_id}.csv.key",
    shell:
        "gifworthy segments-video --youtube-id {wildcards.youtube_id}"


rule segments_report:
    input:
        expand(SEGMENTS_DIR + "/{youtube_id}.csv", youtube_id=VIDEOS),
    output:
        "metrics/segments.json",
    shell:
        "gifworthy segments-report"
