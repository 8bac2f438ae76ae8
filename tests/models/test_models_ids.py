"""Model ids: which adapter each form reaches, and the errors for forms that reach none."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pytest_mieb.models import ModelLoadError, load_encoder, parse_model_id
from pytest_mieb.models.id_forms import split_revision


@pytest.mark.parametrize(
    ("model_id", "backend", "target", "revision"),
    [
        ("baseline/pixels", "baseline", "pixels", None),
        ("baseline/random", "baseline", "random", None),
        ("openai/clip-vit-base-patch16@main", "transformers", "openai/clip-vit-base-patch16",
         "main"),
        ("org/any-clip", "transformers", "org/any-clip", None),
        ("google/siglip-so400m-patch14-384@9fdffc5", "transformers",
         "google/siglip-so400m-patch14-384", "9fdffc5"),
        ("Salesforce/blip-itm-base-coco@refs/pr/3", "transformers",
         "Salesforce/blip-itm-base-coco", "refs/pr/3"),
        ("laion/CLIP-ViT-L-14-laion2B-s32B-b82K@r", "open_clip",
         "laion/CLIP-ViT-L-14-laion2B-s32B-b82K", "r"),
        ("laion/CoCa-ViT-B-32-laion2B-s13B-b90k@main", "open_clip",
         "laion/CoCa-ViT-B-32-laion2B-s13B-b90k", "main"),
        ("hf-hub:timm/ViT-B-16-SigLIP@abc", "open_clip", "timm/ViT-B-16-SigLIP", "abc"),
        ("open_clip:hf-hub:apple/DFN5B-CLIP-ViT-H-14", "open_clip", "apple/DFN5B-CLIP-ViT-H-14",
         None),
        ("open_clip:ViT-B-32/laion2b_s34b_b79k", "open_clip", "ViT-B-32", None),
        ("royokong/e5-v@0c1f22679417b3ae925d779442221c40cd1861ab", "e5v", "royokong/e5-v",
         "0c1f22679417b3ae925d779442221c40cd1861ab"),
        ("e5-v:some-org/llava-embedder", "e5v", "some-org/llava-embedder", None),
        ("transformers:laion/CLIP-ViT-B-32-laion2B-s34B-b79K@main", "transformers",
         "laion/CLIP-ViT-B-32-laion2B-s34B-b79K", "main"),
        ("my_package.models:build_encoder", "user", "my_package.models:build_encoder", None),
        ("mymodule:factory", "user", "mymodule:factory", None),
    ],
)  # fmt: skip
def test_id_forms_reach_their_adapter(model_id, backend, target, revision) -> None:
    ref = parse_model_id(model_id)
    assert (ref.backend, ref.target, ref.revision) == (backend, target, revision)


def test_names_drop_routing_prefixes_and_revisions() -> None:
    assert parse_model_id("hf-hub:laion/CLIP-x@abc").name == "laion/CLIP-x"
    assert parse_model_id("hf-hub:org/x@abc").name == "hf-hub:org/x"  # bare org/x: transformers
    assert parse_model_id("transformers:org/x@v1").name == "org/x"
    assert parse_model_id("open_clip:ViT-B-32/openai").name == "open_clip:ViT-B-32/openai"
    assert parse_model_id("royokong/e5-v@abc").name == "royokong/e5-v"


def test_open_clip_tag_keeps_the_tag_and_paths_become_absolute(tmp_path, monkeypatch) -> None:
    assert parse_model_id("open_clip:ViT-B-32/openai").pretrained == "openai"
    ckpt = tmp_path / "runs" / "epoch_3.pt"
    ckpt.parent.mkdir()
    ckpt.write_bytes(b"x")
    monkeypatch.chdir(tmp_path)
    assert parse_model_id("open_clip:ViT-B-32/runs/epoch_3.pt").pretrained == str(ckpt)
    assert parse_model_id(f"open_clip:ViT-B-32/{ckpt}").pretrained == str(ckpt)
    assert parse_model_id(f"open_clip:ViT-B-32{ckpt}").pretrained == str(ckpt)


def test_the_route_of_a_hub_id_never_depends_on_the_cache(monkeypatch) -> None:
    import huggingface_hub

    def cached(*args, **kwargs):  # a cache that holds an open_clip config for every repo
        return "/cache/open_clip_config.json"

    monkeypatch.setattr(huggingface_hub, "try_to_load_from_cache", cached)
    ref = parse_model_id("timm/ViT-SO400M-14-SigLIP-384@r1")
    assert (ref.backend, ref.by_files) == ("transformers", True)  # the loader reads the repo
    assert parse_model_id("google/siglip-base-patch16-224").backend == "transformers"


def test_published_ids_load_their_published_revision_unless_one_is_given() -> None:
    ref = parse_model_id("openai/clip-vit-base-patch16")
    assert ref.revision == "57c216476eefef5ab752ec549e440a49ae4ae5f3"
    assert (ref.revision_source, ref.by_files) == ("published", False)
    main = parse_model_id("openai/clip-vit-base-patch16@main")
    assert (main.revision, main.revision_source) == ("main", "given")
    laion = parse_model_id("laion/CLIP-ViT-B-32-laion2B-s34B-b79K")
    assert (laion.backend, laion.revision) == (
        "open_clip",
        "08f73555f1b2fb7c82058aebbd492887a94968ef",
    )
    assert parse_model_id("org/unpublished").revision is None


@pytest.mark.parametrize(
    ("model_id", "backend", "revision", "precision"),
    [
        ("Alibaba-NLP/gme-Qwen2-VL-7B-Instruct", "mllm", "477027a6480f", "fp16"),
        ("VLM2Vec/VLM2Vec-V2.0", "mllm", "e39ff079b827", "bf16"),
        ("vidore/colSmol-256M", "late_interaction", "a59110fdf114", "fp16"),
        ("vidore/colqwen2.5-v0.2", "late_interaction", "6f6fcdfd1a11", "fp16"),
    ],
)  # fmt: skip
def test_models_mteb_registers_without_published_scores_get_its_revision_and_precision(
    model_id: str, backend: str, revision: str, precision: str
) -> None:
    from pytest_mieb.models.defaults import defaults_note, run_precision

    ref = parse_model_id(model_id)
    assert (ref.backend, ref.revision_source) == (backend, "registered")
    assert ref.revision is not None and len(ref.revision) == 40
    assert ref.revision.startswith(revision)
    assert run_precision(model_id, None) == precision
    assert run_precision(model_id, "fp32") == "fp32"  # --mieb-precision wins
    assert "mteb's pinned revision" in (defaults_note(model_id, None) or "")
    pinned_elsewhere = parse_model_id(f"{model_id}@main")
    assert (pinned_elsewhere.revision, pinned_elsewhere.revision_source) == ("main", "given")
    assert run_precision("org/unlisted-model", None) == "fp32"


def test_a_forced_adapter_keeps_its_prefix_in_the_name() -> None:
    """Two adapters' results of one repo never share a results folder."""
    repo = "laion/CLIP-ViT-B-32-laion2B-s34B-b79K"
    assert parse_model_id(repo).name == repo
    assert parse_model_id(f"hf-hub:{repo}").name == repo
    assert parse_model_id(f"transformers:{repo}").name == f"transformers:{repo}"
    assert parse_model_id("hf-hub:openai/clip-vit-base-patch16").name == (
        "hf-hub:openai/clip-vit-base-patch16"
    )
    assert parse_model_id("e5-v:org/llava@r").name == "e5-v:org/llava"
    assert parse_model_id("e5-v:royokong/e5-v@r").name == "royokong/e5-v"


def test_local_directories_are_routed_by_their_config_file(tmp_path) -> None:
    hf = tmp_path / "hf"
    hf.mkdir()
    (hf / "config.json").write_text("{}")
    oc = tmp_path / "oc"
    oc.mkdir()
    (oc / "open_clip_config.json").write_text("{}")
    (oc / "config.json").write_text("{}")
    assert parse_model_id(str(hf)).backend == "transformers"
    assert parse_model_id(str(hf)).local
    assert parse_model_id(str(oc)).backend == "open_clip"
    assert parse_model_id(f"e5-v:{hf}").backend == "e5v"
    with pytest.raises(ModelLoadError, match=r"neither a transformers config\.json"):
        parse_model_id(str(tmp_path))


@pytest.mark.parametrize(
    ("model_id", "needle"),
    [
        ("", "empty id"),
        ("clip", "accepted forms"),
        ("baseline/zeros", "baseline/pixels, baseline/random"),
        ("open_clip:ViT-B-32", "open_clip:ARCH/PRETRAINED_TAG"),
        ("hf-hub:not a repo", "hf-hub:ORG/NAME"),
        ("org/name@", "empty revision"),
        ("/no/such/model/dir", "does not exist"),
        ("transformers:./no/such/dir", "does not exist"),
    ],
)
def test_unknown_forms_raise_one_line_errors_listing_the_remedy(model_id, needle) -> None:
    with pytest.raises(ModelLoadError, match=needle) as info:
        load_encoder(model_id)
    assert "\n" not in str(info.value)


def test_unknown_id_lists_every_accepted_form() -> None:
    with pytest.raises(ModelLoadError) as info:
        parse_model_id("definitely-not-a-model")
    message = str(info.value)
    for form in ("baseline/pixels", "open_clip:ARCH/PRETRAINED_TAG", "hf-hub:", "e5-v:",
                 "package.module:factory", "@REVISION"):  # fmt: skip
        assert form in message


def test_a_lone_checkpoint_file_asks_for_its_architecture(tmp_path) -> None:
    ckpt = tmp_path / "model.pt"
    ckpt.write_bytes(b"x")
    with pytest.raises(ModelLoadError, match="open_clip:ARCH/PATH"):
        parse_model_id(str(ckpt))


def test_split_revision() -> None:
    assert split_revision("org/name") == ("org/name", None)
    assert split_revision("org/name@refs/pr/1") == ("org/name", "refs/pr/1")


def test_importing_the_models_package_does_not_import_torch() -> None:
    code = (
        "import sys, pytest_mieb.models as m; m.parse_model_id('baseline/pixels');"
        "heavy = [x for x in ('torch', 'transformers', 'open_clip') if x in sys.modules];"
        "print(','.join(heavy))"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root
    )
    assert out.stdout.strip() == ""
