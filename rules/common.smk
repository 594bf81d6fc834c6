# Shared names for all rules: the manifest's items and the params-dependent folders. Paths
# come from gifworthy.pipeline.paths; every rule runs `gifworthy run-one <stage> <item>`
# (the job writes its output, then `<output>.key`) and `gifworthy report <stage>`.
from gifworthy.core.ids import ITEM_ID_PATTERN
from gifworthy.corpus.manifest import read_downloads, read_gif_rows, videos_with_gifs
from gifworthy.pipeline import paths

ITEMS = {i.item_id: i for i in read_downloads()}
CLIP_IDS = sorted(i for i, item in ITEMS.items() if item.is_segment)
# Video2GIF GIF segments (regenerated from their source video: the GIF links are dead).
V2G = {row["gif_id"]: row for row in read_gif_rows() if row["youtube_id"] in ITEMS}
# Videos with GIFs: the ones align, shots, segments and features cover (one job each).
VIDEOS = videos_with_gifs(config, items=ITEMS)
STATUS = paths.STATUS
DOWNLOAD_DIR = str(paths.download_dir(config))
CLIPS_DIR = str(paths.clips_dir(config))
GIFS_DIR = str(paths.gifs_dir(config))
ALIGN_DIR = str(paths.ALIGN_DIR / paths.STATUS)
SHOTS_DIR = str(paths.shots_dir(config))
SEGMENTS_DIR = str(paths.segments_dir(config))
FEATURES_DIR = str(paths.features_dir(config))

wildcard_constraints:
    item=ITEM_ID_PATTERN,
    video=ITEM_ID_PATTERN,
    kind="clips|v2g",
