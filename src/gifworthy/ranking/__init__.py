"""GIF-suitability ranking: the data (``data``: videos with features, labels and GIFs, splits,
pairs), the rankers (``models``: a protocol and registry; RankNet, LightGBM and the
baselines), the official Video2GIF metrics (``metrics``), training (``train``), evaluation
(``evaluate``), the loss ablation (``ablation``) and ``rank`` on any video (``inference``).

Training pairs are formed only within a video: every positive segment against ``k`` sampled
negatives of the same video. Features are standardised with statistics of the training
segments only. Scores are per segment; evaluation broadcasts them to frames
(``metrics.frame_scores``) so every method is scored at the same granularity."""
