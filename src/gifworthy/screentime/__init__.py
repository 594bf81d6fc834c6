"""Screen time: how many seconds each character is on screen, from a few labelled frames.

One frame a second is embedded by a pretrained image model (EfficientNet-Lite0, shipped in a
package); a small head with one sigmoid output per character is trained on hand-labelled
frames, with class weights for rare characters. Several characters in one frame are several
labels; a frame with none of them is "none". Per-second probabilities are smoothed over time
before thresholding, and the seconds are summed.

Why a classic version of this project fell from 88% on validation to 64% on a new episode:
it validated on random frames of the training episodes, whose neighbours (near-identical
frames) were in the training set. Here validation holds out whole videos (leave one video
out), so the reported accuracy is what a new video will see; training frames are augmented
(flip, crop, colour) so the head leans less on one episode's look.

Labels CSV: a header with ``frame`` and ``label`` (or ``labels``) columns, and optionally
``video``. ``frame`` is a path relative to the frames directory; ``label`` is a class, several
classes joined by ``;`` (or ``+``/``|``), or ``none``. Repeated rows of one frame are merged.
The video of a frame is its ``video`` cell, else its first folder (``ep1/000012.jpg``), else
the name before its trailing number (``ep1_0012.jpg``).
Modules: ``labels`` (the labels CSV, the truth), ``frames`` (frames to label, frames of a
video, augmentation), ``model`` (the head, training, saving), ``validate`` (by-video folds,
thresholds, ``fit``), ``run`` (seconds on screen of a video, held-out evaluation), ``plot``
(the timeline picture) and ``sample`` (the synthetic characters corpus).
"""
