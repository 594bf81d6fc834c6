"""Shot boundaries: the detector protocol and registry (``detectors``), TransNetV2
(``transnet``, pretrained; its ``fc1`` layer is also kept as a spatio-temporal feature),
PySceneDetect (``scenedetect``), their precision/recall/F1 against known cuts (``evaluate``)
and the stage (``stage``: both detectors on every video with GIFs, one job each)."""
