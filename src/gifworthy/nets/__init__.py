"""Pretrained networks and the inference runtime they run in (OpenVINO, ONNX Runtime, torch):
:mod:`gifworthy.nets.runtime`. The networks themselves live with the stage that uses them
(TransNetV2 in :mod:`gifworthy.shots.transnet`, EfficientNet-Lite0 in
:mod:`gifworthy.features.backbones`)."""
