"""The explorer: a static page of the GIFs by label and by video, with the trained ranker's
best segments beside each test video's GIFs (``build``; the page's files are in ``web/``)."""
