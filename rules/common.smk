# Shared names for all rules: the manifest's items and the params-dependent directories.
import os

from gifworthy import fanout, layout
from gifworthy.manifest import read_downloads, read_gif_rows

ITEMS = (
    {i.item_id: i for i in read_downloads(layout.DOWNLOADS_CSV)}
    if os.path.exists(layout.DOWNLOADS_CSV)
    else {}
)
CLIP_IDS = sorted(i for i, item in ITEMS.items() if item.is_segment)
DOWNLOAD_DIR = str(layout.download_dir(config))
CLIPS_DIR = str(layout.clips_dir(config))
# Videos with GIFs: the ones align, shots, segments and features cover (one job each). Their
# outputs persist between runs; `gifworthy <stage>-prepare` deletes the stale ones first, and
# every job also writes `<output>.key`, the fingerprint that prepare checks.
VIDEOS = fanout.videos(config, items=ITEMS)

wildcard_constraints:
    item=r"[A-Za-z0-9_-]+",
    gif_id=r"[A-Za-z0-9_-]+",
    youtube_id=r"[A-Za-z0-9_-]{11}",

GIFS_DIR = str(layout.gifs_dir(config))
# Video2GIF GIF segments (regenerated from their source video: the GIF links are dead).
V2G = {row["gif_id"]: row for row in read_gif_rows(layout.GIFS_CSV) if row["youtube_id"] in ITEMS}
