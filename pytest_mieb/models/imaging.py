"""Image helpers shared by adapters: pixel batches made with the one RGB conversion
(`pytest_mieb.data.images.to_rgb`, the same on every path), and fast splits of the common
preprocessing pipelines (transformers' PIL resize -> crop -> normalise, torchvision's PIL
steps -> ToTensor -> Normalize): the per-image part runs in worker processes and gives
uint8, the normalisation runs once per batch with the same arithmetic, so the pixels do not
change."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from pytest_mieb.data.images import to_rgb


def pixel_batch(transform: Callable[[Any], Any], images: Sequence[Any]) -> Any:
    """Run `transform` on each image (as RGB) and stack the results into one tensor."""
    import torch

    if len(images) == 0:
        raise ValueError("no images to encode")
    return torch.stack([transform(to_rgb(image)) for image in images])


@dataclass(frozen=True)
class ResizeCropNormalize:
    """The resize -> centre-crop -> rescale -> normalise pipeline of CLIP-style image
    processors, split where it is cheapest: resize and crop per image with PIL, giving a
    uint8 (3, H, W) tensor (in worker processes); rescale and normalise as one float op
    on the stacked batch (`normalize`), instead of several numpy passes per image.

    Resize is either to `shortest_edge` (aspect ratio kept, the long side truncated as
    transformers does) or to exactly `size` (height, width); `crop` (height, width) pads
    with zeros where the resized image is smaller, as transformers' centre crop does.
    """

    resample: int
    scale: float
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    shortest_edge: int | None = None
    size: tuple[int, int] | None = None
    crop: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        if (self.shortest_edge is None) == (self.size is None):
            raise ValueError("give exactly one of shortest_edge and size")

    def resized_shape(self, width: int, height: int) -> tuple[int, int]:
        """(height, width) after the resize step."""
        if self.size is not None:
            return self.size
        assert self.shortest_edge is not None
        edge = self.shortest_edge
        if width <= height:
            return int(edge * height / width), edge
        return edge, int(edge * width / height)

    def __call__(self, image: Any) -> Any:
        """PIL image -> uint8 tensor (3, H, W), resized and cropped."""
        import torch

        return torch.from_numpy(np.ascontiguousarray(self.hwc_uint8(image).transpose(2, 0, 1)))

    def hwc_uint8(self, image: Any) -> np.ndarray:
        """PIL image -> uint8 array (H, W, 3), resized and cropped: what `__call__` gives,
        before the channels move first (a batch builder writes it into place at once)."""
        image = to_rgb(image)
        height, width = self.resized_shape(*image.size)
        pixels = np.asarray(image.resize((width, height), resample=self.resample))
        return pixels if self.crop is None else center_crop_hwc(pixels, *self.crop)

    @functools.cached_property
    def normalizer(self) -> BatchNormalize:
        return BatchNormalize(self.scale, self.mean, self.std)

    def normalize(self, batch: Any) -> Any:
        """uint8 (n, 3, H, W) -> float32 pixels, bit for bit what transformers' PIL
        processor computes (see `BatchNormalize`)."""
        return self.normalizer(batch)

    @property
    def rescale_divisor(self) -> float | None:
        return self.normalizer.rescale_divisor


@dataclass(frozen=True)
class BatchNormalize:
    """uint8 (n, C, H, W) -> float32 ``(x * scale - mean) / std`` on the batch's device.

    Bit for bit what the per-image reference steps compute: transformers' PIL processor
    (rescale in float64, then subtract and divide in float32) and torchvision's
    ``ToTensor`` + ``Normalize`` (divide by 255 in float32, then the same), so scores do
    not move: an unconverged probe classifier turns even 1e-7 pixel differences into a
    few flipped predictions.
    """

    scale: float
    mean: tuple[float, ...]
    std: tuple[float, ...]

    def __call__(self, batch: Any) -> Any:
        import torch

        divisor = self.rescale_divisor
        if divisor is not None:  # x / d in float32 equals float32(x * scale) for all bytes
            pixels = batch.to(torch.float32).div_(divisor)
        else:
            pixels = batch.to(torch.float64).mul_(self.scale).to(torch.float32)
        mean = torch.tensor(self.mean, dtype=torch.float32, device=batch.device)
        std = torch.tensor(self.std, dtype=torch.float32, device=batch.device)
        return pixels.sub_(mean.view(1, -1, 1, 1)).div_(std.view(1, -1, 1, 1))

    @functools.cached_property
    def rescale_divisor(self) -> float | None:
        """d with float32(x) / d == float32(float64(x) * scale) for every byte x, if any:
        the float32 division is much cheaper than a float64 pass."""
        divisor = np.float32(1.0 / self.scale)
        byte_values = np.arange(256)
        wanted = (byte_values.astype(np.float64) * self.scale).astype(np.float32)
        if np.array_equal(byte_values.astype(np.float32) / divisor, wanted):
            return float(divisor)
        return None


def center_crop_hwc(pixels: np.ndarray, height: int, width: int) -> np.ndarray:
    """Centre crop of an (H, W, C) array; where it is smaller, zeros pad it first (placed
    as transformers' `center_crop` places them, so odd margins land the same way)."""
    have_h, have_w = pixels.shape[:2]
    top, left = (have_h - height) // 2, (have_w - width) // 2
    if top >= 0 and left >= 0:
        return pixels[top : top + height, left : left + width]
    new_h, new_w = max(height, have_h), max(width, have_w)
    padded = np.zeros((new_h, new_w, *pixels.shape[2:]), dtype=pixels.dtype)
    pad_top, pad_left = math.ceil((new_h - have_h) / 2), math.ceil((new_w - have_w) / 2)
    padded[pad_top : pad_top + have_h, pad_left : pad_left + have_w] = pixels
    top, left = top + pad_top, left + pad_left
    return padded[max(0, top) : min(new_h, top + height), max(0, left) : min(new_w, left + width)]


#: Largest difference from the reference pixels a fast path may show on the load-time probes.
FAST_PIXEL_TOLERANCE = 1e-5


@dataclass(frozen=True)
class SplitAtToTensor:
    """A torchvision pipeline ``[PIL steps..., ToTensor, Normalize]`` (open_clip's
    preprocess) split at ``ToTensor``: the PIL steps run per image in worker processes and
    give uint8 (3, H, W), a quarter of the float bytes to pass between processes and to the
    device; ``ToTensor``'s division by 255 and ``Normalize`` then run on the stacked batch
    (`normalize`), with the same float32 arithmetic, so the pixels are the same.
    """

    head: Callable[[Any], Any]
    normalizer: BatchNormalize

    def __call__(self, image: Any) -> Any:
        """PIL image -> uint8 tensor (3, H, W) after the PIL steps."""
        import torch

        pixels = np.array(self.hwc_uint8(image), dtype=np.uint8, copy=True)
        return torch.from_numpy(pixels).permute(2, 0, 1).contiguous()

    def hwc_uint8(self, image: Any) -> np.ndarray:
        """PIL image -> uint8 array (H, W, 3) after the PIL steps (see `ResizeCropNormalize`)."""
        from PIL import Image

        out = self.head(to_rgb(image))
        if not isinstance(out, Image.Image) or out.mode != "RGB":
            raise ValueError(
                f"the preprocessing steps before ToTensor gave {type(out).__name__} "
                f"{getattr(out, 'mode', '')}, not an RGB PIL image"
            )
        return np.asarray(out)

    def normalize(self, batch: Any) -> Any:
        return self.normalizer(batch)


def split_at_to_tensor(preprocess: Any) -> SplitAtToTensor | None:
    """`SplitAtToTensor` for a torchvision ``Compose`` that ends in ``ToTensor`` (or
    open_clip's or timm's ``MaybeToTensor``) then ``Normalize``; None for any other pipeline, and
    None unless probe images of several sizes come out of both paths the same."""
    from torchvision import transforms

    steps = list(getattr(preprocess, "transforms", None) or [])
    if not isinstance(preprocess, transforms.Compose) or len(steps) < 2:
        return None
    to_tensor, normalize = steps[-2:]
    if type(normalize) is not transforms.Normalize or not _is_to_tensor(to_tensor):
        return None
    try:
        normalizer = BatchNormalize(1 / 255, _floats(normalize.mean), _floats(normalize.std))
        split = SplitAtToTensor(transforms.Compose(steps[:-2]), normalizer)
        return split if agrees_on_probes(preprocess, split) else None
    except (TypeError, ValueError):
        return None


def _is_to_tensor(step: Any) -> bool:
    from torchvision import transforms

    if type(step) is transforms.ToTensor:
        return True
    kinds = []
    try:
        from open_clip.transform import MaybeToTensor
    except ImportError:  # pragma: no cover - open_clip is a dependency
        pass
    else:
        kinds.append(MaybeToTensor)
    try:
        from timm.data.transforms import MaybeToTensor as TimmMaybeToTensor
    except ImportError:  # pragma: no cover - timm is a dependency
        pass
    else:
        kinds.append(TimmMaybeToTensor)
    return type(step) in kinds


def _floats(values: Any) -> tuple[float, ...]:
    return tuple(float(v) for v in values)


def agrees_on_probes(reference: Callable[[Any], Any], fast: Any) -> bool:
    """Whether `fast` (uint8 per image, `normalize` per batch) gives `reference`'s pixels
    on random probe images of several sizes and aspect ratios."""
    from PIL import Image

    rng = np.random.default_rng(0)
    for width, height in ((61, 47), (23, 90), (300, 200)):
        probe = Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8))
        expected = reference(probe)
        got = fast.normalize(fast(probe)[None])[0]
        if got.shape != expected.shape:
            return False
        if float((got - expected).abs().max()) > FAST_PIXEL_TOLERANCE:
            return False
    return True
