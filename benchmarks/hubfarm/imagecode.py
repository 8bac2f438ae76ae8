"""ImageCoDe repos (JamieSJS/imagecode, JamieSJS/imagecode-multi layout).

Configs at the repo root: `corpus` (split `corpus`: `id`, `modality`, `image`), `query`
(split `test`: `id`, `modality`, `text`), `qrels` (split `test`: `query-id`, `corpus-id`,
`score` int8). Every query owns ten near-identical frames (one concept, different
jitter, one frame with the described extra detail). `judge_all` (imagecode-multi, the
pair-matching task): qrels list all ten frames, the target with score 1 placed at a
varying position, the nine others with 0. Otherwise (imagecode, the T2I retrieval task)
only the target is judged.
"""

from __future__ import annotations

from typing import Any

from hubfarm import draw
from hubfarm.common import Context

FRAMES = 10


def write(ctx: Context, schema: dict[str, Any]) -> None:
    from datasets import Features, Image, Value

    rng = ctx.rng("frames")
    string = Value("string")
    corpus: dict[str, list[Any]] = {"id": [], "modality": [], "image": []}
    query: dict[str, list[Any]] = {"id": [], "modality": [], "text": []}
    qrels: dict[str, list[Any]] = {"query-id": [], "corpus-id": [], "score": []}
    n_queries = max(2, ctx.rows // 2)
    for i in range(n_queries):
        c = int(rng.integers(0, draw.N_CONCEPTS))
        target = int(rng.integers(0, FRAMES))
        detail = (c + 3) % draw.N_CONCEPTS
        qid = f"{i}"
        query["id"].append(qid)
        query["modality"].append("text")
        query["text"].append(
            f"the {draw.concept_words(c)} with a small {draw.concept_words(detail)} beside it"
        )
        frame_ids = []
        for f in range(FRAMES):
            cid = f"{i}_{f}"
            frame_ids.append(cid)
            image = draw.concept_image(c, rng, size=ctx.image_size, extra=0)
            if f == target:
                image = draw.objects_image(
                    [(c, 0.45, 0.5, 0.28), (detail, 0.85, 0.15, 0.12)], rng, size=ctx.image_size
                )
            corpus["id"].append(cid)
            corpus["modality"].append("image")
            corpus["image"].append(draw.image_cell(image, "JPEG"))
        judged = frame_ids if schema.get("judge_all") else [frame_ids[target]]
        for cid in judged:
            qrels["query-id"].append(qid)
            qrels["corpus-id"].append(cid)
            qrels["score"].append(1 if cid == frame_ids[target] else 0)
    repo = ctx.new_repo()
    repo.add(
        "corpus",
        "corpus",
        corpus,
        Features({"id": string, "modality": string, "image": Image()}),
        files="corpus",
    )
    repo.add(
        "query",
        "test",
        query,
        Features({"id": string, "modality": string, "text": string}),
        files="query",
    )
    repo.add(
        "qrels",
        "test",
        qrels,
        Features({"query-id": string, "corpus-id": string, "score": Value("int8")}),
        files="qrels",
    )
    ctx.finish(repo)
