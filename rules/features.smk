# Segment features: every extractor of params.yaml from one decode per video.
FEATURES_DIR = str(layout.features_dir(config))


rule features_video:
    input:
        segments=ancient(SEGMENTS_DIR + "/{youtube_id}.csv"),
        shots=ancient(SHOTS_DIR + "/{youtube_id}.npz"),
    output:
        FEATURES_DIR + "/{youtube_id}.npz",
        FEATURES_DIR + "/{youtube_id}.npz.key",
    threads: 2  # the image model uses both cores
    shell:
        "gifworthy features-video --youtube-id {wildcards.youtube_id}"


rule features_report:
    input:
        expand(FEATURES_DIR + "/{youtube_id}.npz", youtube_id=VIDEOS),
    output:
        "metrics/features.json",
    shell:
        "gifworthy features-report"
