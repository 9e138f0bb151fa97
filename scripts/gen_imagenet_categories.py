#!/usr/bin/python3
"""Writes resources/imagenet_categories.txt from torchvision's own list
(torchvision.models._meta._IMAGENET_CATEGORIES), one name per line, index =
output index. Run with Debian's /usr/bin/python3 (python3-torchvision)."""
import pathlib
import sys

from torchvision.models._meta import _IMAGENET_CATEGORIES

out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "resources/imagenet_categories.txt")
out.write_text("\n".join(_IMAGENET_CATEGORIES) + "\n", encoding="utf-8")
print(f"wrote {len(_IMAGENET_CATEGORIES)} names to {out}")
