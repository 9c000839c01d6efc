"""Root conftest: the bn-claims plugin serves both claims/ and tests/."""

import os

# TensorFlow's C++ start-up chatter (oneDNN, CPU features) hides the progress lines.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

pytest_plugins = ["fixtures.plugin", "fixtures.outputs", "pytester"]
