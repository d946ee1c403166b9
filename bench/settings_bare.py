"""No middleware at all: the floor a DRF hello-world view is measured on."""

from bench.settings import *  # noqa: F403

MIDDLEWARE = []
