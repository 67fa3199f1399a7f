"""The convolution block's settings: validated from a config, and the shapes they give.

A convolution reads each sample's inputs as an image (height x width, row by row), slides F kernels of k x k over
it (stride 1, no padding: maps of (h-k+1) x (w-k+1)), and max-pools each map in p x p windows with stride p
(leftover rows and columns dropped, as torch's MaxPool2d). The dense layers read the pooled maps flattened in
torch's order: filter, row, column.
"""

from __future__ import annotations

from typing import Any

from sheetnet.errors import SheetnetError

MAX_FILTERS = 16  # a Conv sheet shows every filter's map beside the image: more would not fit a screen
MAX_KERNEL = 7
MAX_IMAGE_SIDE = 32


def _integer(section: str, key: str, value: Any, least: int, most: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not float(value).is_integer():
        raise SheetnetError(f"[{section}] {key} must be an integer, got {value!r}")
    if not least <= value <= most:
        raise SheetnetError(f"[{section}] {key} must be {least} to {most}, got {int(value)}")
    return int(value)


def network_keys(raw: dict) -> dict[str, int]:
    """conv_filters, conv_kernel and pool as given in [network], each checked on its own."""
    out = {}
    if "conv_filters" in raw:
        out["conv_filters"] = _integer("network", "conv_filters", raw["conv_filters"], 0, MAX_FILTERS)
    if "conv_kernel" in raw:
        out["conv_kernel"] = _integer("network", "conv_kernel", raw["conv_kernel"], 1, MAX_KERNEL)
    if "pool" in raw:
        value = raw["pool"]
        if not isinstance(value, bool) and isinstance(value, (int, float)) and value < 1:
            raise SheetnetError(f"[network] pool must be 1 (no pooling) or more, got {value}")
        out["pool"] = _integer("network", "pool", value, 1, MAX_KERNEL)
    return out


def image_shape_key(raw: dict) -> dict[str, tuple[int, int]]:
    """[data] image_shape = [height, width]."""
    if "image_shape" not in raw:
        return {}
    value = raw["image_shape"]
    if not isinstance(value, list) or len(value) != 2:
        raise SheetnetError(f"[data] image_shape must be [height, width], got {value!r}")
    return {"image_shape": tuple(_integer("data", "image_shape", side, 1, MAX_IMAGE_SIDE) for side in value)}


def map_shape(image: tuple[int, int], kernel: int) -> tuple[int, int]:
    """(rows, columns) of each filter's map: the positions where the kernel fits inside the image."""
    return image[0] - kernel + 1, image[1] - kernel + 1


def pooled_shape(image: tuple[int, int], kernel: int, pool: int) -> tuple[int, int]:
    rows, cols = map_shape(image, kernel)
    return rows // pool, cols // pool


def check_shapes(image: tuple[int, int], kernel: int, pool: int) -> None:
    """A kernel larger than the image, or a pooling window larger than the map, is refused."""
    if kernel > min(image):
        raise SheetnetError(f"[network] conv_kernel = {kernel} is larger than the {image[0]}x{image[1]} image")
    rows, cols = map_shape(image, kernel)
    if pool > min(rows, cols):
        raise SheetnetError(f"[network] pool = {pool} is larger than the {rows}x{cols} maps a {kernel}x{kernel} "
                            f"kernel makes of a {image[0]}x{image[1]} image")


def flat_size(filters: int, image: tuple[int, int], kernel: int, pool: int) -> int:
    """How many numbers the dense layers read: every filter's pooled map."""
    rows, cols = pooled_shape(image, kernel, pool)
    return filters * rows * cols
