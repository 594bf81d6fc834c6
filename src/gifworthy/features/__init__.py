"""Segment features: the extractor protocol and context (``base``), the registry that is the
single source of extractor names (``registry``), one module per extractor (``transnet``,
``image``, ``motion``, ``faces``, ``context``, ``c3d``), the pretrained networks
(``backbones``) and the stage (``stage``: every extractor of params.yaml from one decode per
video)."""
