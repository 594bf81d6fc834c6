# Shared names for all rules: the manifest's items and the params-dependent directories.
import os

from gifworthy import layout
from gifworthy.manifest import read_downloads

ITEMS = (
    {i.item_id: i for i in read_downloads(layout.DOWNLOADS_CSV)}
    if os.path.exists(layout.DOWNLOADS_CSV)
    else {}
)
CLIP_IDS = sorted(i for i, item in ITEMS.items() if item.is_segment)
DOWNLOAD_DIR = str(layout.download_dir(config))
CLIPS_DIR = str(layout.clips_dir(config))

wildcard_constraints:
    item=r"[A-Za-z0-9_-]+",
