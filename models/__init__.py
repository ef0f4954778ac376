"""Plain PyTorch models (no Lightning): the GRU translator, its decoding and losses; the DeViSE head, losses,
ranking and the classifier baselines."""
