"""Every encoder passes one door, however it arrives, and the built-in loading is an ordinary
(`trylast`) implementation of `pytest_mieb_load_encoder` that a conftest can wrap or replace."""

from __future__ import annotations

from pathlib import Path

import pytest
from plugin_runs import Reports, run

ZERO_SHOT = ("LocalDigitsZeroShot", "LocalDigitsWdsZeroShot")

BROKEN = """
class Broken:
    '''Named like a model, but nothing to encode with and no fingerprint.'''

    name = "acme/broken"
    embed_dim = 8
    similarity = "cosine"
"""

#: A plugin module of the project: loads its own id form, leaves the others to the next.
ACME_MODELS = (
    BROKEN
    + """

def pytest_mieb_load_encoder(model_id):
    return Broken() if model_id == "acme/broken" else None
"""
)

#: The project's conftest: uses that plugin, and wraps whatever loading answers.
WRAPPING_CONFTEST = """
import pytest

pytest_plugins = ["acme_models"]


@pytest.hookimpl(wrapper=True)
def pytest_mieb_load_encoder(model_id):
    encoder = yield
    encoder.name = "wrapped/" + encoder.name
    return encoder
"""

MISSING = (
    "not an Encoder: missing fingerprint, an encode method (encode_texts, encode_pixels, "
    "encode_images or encode_fused) (see pytest_mieb.models.base.Encoder)"
)


@pytest.mark.usefixtures("offline_env")
def test_a_hook_can_wrap_the_builtin_loading_and_what_it_returns_is_validated(
    pytester: pytest.Pytester, local_data: Path
) -> None:
    pytester.makepyfile(acme_models=ACME_MODELS)
    pytester.makeconftest(WRAPPING_CONFTEST)
    reports = Reports()
    result = run(
        pytester, local_data, "--mieb-model=acme/broken", "--mieb-model=baseline/pixels",
        "-m", "mieb_local and zeroshot", plugins=(reports,),
    )  # fmt: skip
    for task in ZERO_SHOT:
        assert reports.outcomes[f"{task}[baseline/pixels]"] == "passed"
        line = reports.failures[f"{task}[acme/broken]"]
        assert line == f"ModelLoadError: model 'acme/broken' gave Broken, {MISSING}"
    # The built-in's encoder went through the user's wrapper: its results carry the new name.
    assert {p.name for p in (pytester.path / "results").iterdir()} == {"wrapped__baseline__pixels"}
    assert result.ret == pytest.ExitCode.TESTS_FAILED


@pytest.mark.usefixtures("offline_env")
def test_an_overridden_fixture_that_gives_no_encoder_fails_its_items_in_one_line(
    pytester: pytest.Pytester, local_data: Path
) -> None:
    pytester.makeconftest(
        BROKEN
        + """
import pytest


@pytest.fixture(scope="session")
def mieb_encoder():
    return Broken()
"""
    )
    reports = Reports()
    run(pytester, local_data, "-m", "mieb_local and zeroshot", plugins=(reports,))
    for task in ZERO_SHOT:
        line = reports.failures[task]
        assert line == f"ModelLoadError: the mieb_encoder fixture gave Broken, {MISSING}"
