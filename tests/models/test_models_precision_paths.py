"""Issue 13 items 5 and 6 on the CPU: which precision path is taken where, and the published
defaults (revision, recipe precision) a bare id gets."""

from __future__ import annotations

import warnings

import pytest
import torch

from pytest_mieb.embed.batches import autocast_dtype
from pytest_mieb.embed.embedder import Embedder
from pytest_mieb.models import load_encoder
from pytest_mieb.models.defaults import defaults_note, run_precision
from pytest_mieb.runtime import PRECISIONS, resolve_dtype

CUDA, CPU = torch.device("cuda"), torch.device("cpu")
LAION = "laion/CLIP-ViT-B-32-laion2B-s34B-b79K"


@pytest.mark.parametrize(
    ("precision", "cuda_weights", "cuda_autocast"),
    [
        ("fp32", torch.float32, None),
        ("fp16", torch.float16, torch.float16),
        ("bf16", torch.bfloat16, torch.bfloat16),
        ("fp16-mixed", torch.float32, torch.float16),
        ("bf16-mixed", torch.float32, torch.bfloat16),
    ],
)
def test_weights_and_autocast_per_precision(precision, cuda_weights, cuda_autocast) -> None:
    """Mixed precisions keep fp32 weights and autocast on CUDA; on CPU all is fp32."""
    assert resolve_dtype(precision, "cuda:0") == cuda_weights
    assert autocast_dtype(precision, CUDA) == cuda_autocast
    assert autocast_dtype(precision, CPU) is None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert resolve_dtype(precision, "cpu") == torch.float32
    # Only a weight cast that cannot happen warns; mixed precision on CPU is fp32 by design.
    assert bool(caught) == (precision in ("fp16", "bf16"))


def test_an_embedder_in_mixed_precision_on_cpu_encodes_in_fp32() -> None:
    encoder = load_encoder("baseline/random")
    embedder = Embedder(encoder, num_workers=0, precision="fp16-mixed")
    assert embedder._autocast_dtype is None
    assert set(PRECISIONS) >= {"fp16-mixed", "bf16-mixed"}


def test_published_models_default_to_their_recipe_precision() -> None:
    assert run_precision(LAION, None) == "fp16-mixed"  # mteb's open_clip: fp16 autocast
    assert run_precision(f"{LAION}@main", None) == "fp16-mixed"
    assert run_precision("openai/clip-vit-base-patch16", None) == "fp32"
    assert run_precision(LAION, "fp32") == "fp32"  # an explicit setting wins
    assert run_precision("org/unpublished", None) == "fp32"
    assert run_precision(f"transformers:{LAION}", None) == "fp32"  # not the published route
    assert run_precision("baseline/pixels", None) == "fp32"


def test_the_summary_names_the_defaults_used() -> None:
    note = defaults_note(LAION, None)
    assert note == (
        f"{LAION}: revision 08f73555f1b2fb7c82058aebbd492887a94968ef (the published scores' "
        "revision; @main to override); precision fp16-mixed (the published recipe; "
        "--mieb-precision to override)"
    )
    assert defaults_note(f"{LAION}@main", "fp32") is None
    assert defaults_note("org/unpublished", None) is None


def test_every_published_model_defaults_to_its_table_precision() -> None:
    """bf16 (and every other recipe precision) where the reference uses it, unasked."""
    from pytest_mieb.models.model_table import published_models

    rows = [row for row in published_models().values() if row.backend]
    assert {row.precision for row in rows} >= {"fp32", "fp16-mixed", "bf16"}
    for row in rows:
        assert run_precision(row.id, None) == row.precision, row.id
        assert run_precision(row.id, "fp32") == "fp32", row.id
    bf16 = [row.id for row in rows if row.precision == "bf16"]
    assert bf16 and resolve_dtype("bf16", "cuda:0") == torch.bfloat16
