"""yt-dlp extractor of the loopback sample site (``gifworthy.sample.server``), a plugin so
the sample run goes through the same info-dict path as YouTube: the watch page, then the
site's JSON API for the video's metadata (title, duration, counts, categories, tags, upload
date and a "Most replayed" heatmap) and its formats. It claims only 127.0.0.1 / localhost watch
pages. Errors the site states (a bot check, a private video) become yt-dlp's own
``ExtractorError``, worded as YouTube words them, so the same classifier reads them.

Extractor arguments (params ``access.extractor_args: {gifworthysample: {...}}``) are passed
to the site as query parameters, which lets a test see them arrive.
"""

from __future__ import annotations

import urllib.parse

from yt_dlp.extractor.common import InfoExtractor
from yt_dlp.utils import ExtractorError, float_or_none, int_or_none

__all__ = ["GifworthySampleIE"]

# The site answers these with a JSON {"error": ...} to read (as YouTube's player response).
_ERROR_ANSWERS = (403, 404, 410)


class GifworthySampleIE(InfoExtractor):
    IE_NAME = "gifworthysample"  # pyright: ignore[reportAssignmentType]  # a classproperty
    IE_DESC = "gifworthy's loopback sample site"
    _VALID_URL = (r"https?://(?P<host>127\.0\.0\.1|localhost)(?::\d+)?/watch\?(?:[^#]*&)?"
                  r"v=(?P<id>[A-Za-z0-9_-]{1,128})")
    _WORKING = True

    def _real_extract(self, url):
        video_id = self._match_id(url)
        parts = urllib.parse.urlsplit(url)
        base = f"{parts.scheme}://{parts.netloc}"
        # The watch page first, as YouTube's extractor does (a throttled or missing page
        # fails here, with the page's own HTTP status).
        self._download_webpage(url, video_id)
        query = {key: ",".join(values) for key, values in
                 (self.get_param("extractor_args") or {}).get(
                     self.ie_key().lower(), {}).items()}
        data = self._download_json(f"{base}/api/videos/{video_id}.json", video_id,
                                   note="Downloading video metadata", query=query,
                                   expected_status=_ERROR_ANSWERS)  # pyright: ignore
        if data.get("error"):
            raise ExtractorError(data["error"], expected=True, video_id=video_id)
        formats = [{
            "format_id": f"{int(f['height'])}p",
            "url": urllib.parse.urljoin(base, f["url"]),
            "ext": "mp4",
            "width": int_or_none(f.get("width")),
            "height": int_or_none(f.get("height")),
            "fps": float_or_none(f.get("fps")),
        } for f in data.get("formats") or []]
        return {
            "id": video_id,
            "title": data.get("title"),
            "duration": float_or_none(data.get("duration")),
            "view_count": int_or_none(data.get("view_count")),
            "like_count": int_or_none(data.get("like_count")),
            "categories": data.get("categories"),
            "tags": data.get("tags"),
            "upload_date": data.get("upload_date"),
            "uploader": data.get("uploader"),
            "heatmap": data.get("heatmap"),
            "webpage_url": url,
            "formats": formats,
        }
