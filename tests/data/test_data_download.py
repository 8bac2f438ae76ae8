"""`download` fills a mirror with snapshot_download at the pinned revisions (no network:
snapshot_download is replaced by a recorder that writes a file like the real one)."""

from __future__ import annotations

from pathlib import Path

import pytest
from data_layouts import REVISION, make_spec

from pytest_mieb.data import DataError, download
from pytest_mieb.data.source import REVISION_MARKER
from pytest_mieb.tasks.spec import DatasetRef


class RecordingSnapshot:
    def __init__(self, fail: dict[str, Exception] | None = None) -> None:
        self.calls: list[dict] = []
        self.fail = fail or {}

    def __call__(self, **kwargs):
        self.calls.append(kwargs)
        if kwargs["repo_id"] in self.fail:
            raise self.fail[kwargs["repo_id"]]
        target = Path(kwargs["local_dir"])
        target.mkdir(parents=True, exist_ok=True)
        (target / "README.md").write_text("---\n---\n")
        return str(target)


def specs():
    cifar = DatasetRef("mteb/cifar10", "a" * 40)
    return [
        make_spec(name="CIFAR10", dataset=cifar),
        make_spec(name="CIFAR10ZeroShot", dataset=cifar, protocol="zero_shot"),
        make_spec(
            name="VisualSTS17Eng",
            dataset=DatasetRef("aggregate tasks do not have a path", "1"),
            protocol="aggregate_of_visual_sts",
            loader="sts_subsets",
            params={
                "subtasks": [
                    {
                        "dataset": {"path": "Pixel-Linguist/rendered-sts17", "revision": "b" * 40},
                        "hf_subsets_used": ["en-en"],
                    }
                ]
            },
        ),
        make_spec(
            name="LocalDigits",
            dataset=DatasetRef("pytest-mieb/local-digits", "local-v1"),
            markers=("mieb_local",),
        ),
    ]


def test_download_fetches_each_pinned_dataset_once(tmp_path: Path) -> None:
    snapshot = RecordingSnapshot()
    written = download(specs(), tmp_path, snapshot_download=snapshot)
    assert snapshot.calls == [
        {
            "repo_id": "mteb/cifar10",
            "repo_type": "dataset",
            "revision": "a" * 40,
            "local_dir": str(tmp_path / "mteb" / "cifar10"),
        },
        {
            "repo_id": "Pixel-Linguist/rendered-sts17",
            "repo_type": "dataset",
            "revision": "b" * 40,
            "local_dir": str(tmp_path / "Pixel-Linguist" / "rendered-sts17"),
        },
    ]
    assert written == [
        tmp_path / "mteb" / "cifar10",
        tmp_path / "Pixel-Linguist" / "rendered-sts17",
    ]
    assert (tmp_path / "mteb" / "cifar10" / REVISION_MARKER).read_text().strip() == "a" * 40


def test_download_uses_huggingface_hub_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    snapshot = RecordingSnapshot()
    monkeypatch.setattr("huggingface_hub.snapshot_download", snapshot)
    download(specs()[:1], tmp_path)
    assert [c["repo_id"] for c in snapshot.calls] == ["mteb/cifar10"]


def test_download_reports_every_failure_after_trying_all(tmp_path: Path) -> None:
    gated = make_spec(
        name="Winoground", dataset=DatasetRef("facebook/winoground", REVISION, gated=True)
    )
    snapshot = RecordingSnapshot(
        fail={
            "facebook/winoground": PermissionError("403 Forbidden"),
            "mteb/cifar10": ConnectionError("no route to host"),
        }
    )
    with pytest.raises(DataError) as info:
        download([gated, *specs()], tmp_path, snapshot_download=snapshot)
    message = str(info.value)
    assert message.startswith("2 dataset(s) not downloaded")
    assert "request access" in message and "HF_TOKEN" in message
    assert f"mteb/cifar10@{'a' * 40}: ConnectionError: no route to host" in message
    assert len(snapshot.calls) == 3  # the rendered-sts17 download still happened
    assert (tmp_path / "Pixel-Linguist" / "rendered-sts17" / REVISION_MARKER).is_file()
    assert not (tmp_path / "mteb" / "cifar10" / REVISION_MARKER).exists()
