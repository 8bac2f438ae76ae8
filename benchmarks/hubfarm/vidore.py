"""ViDoRe copies (`mteb/*_beir`): configs `corpus`, `queries`, `qrels`, each split `test`.

Layout (vidore/*_beir cards): `corpus/test-00000-of-00001.parquet` (`corpus-id` int64,
`image`), `queries/test-…` (`query-id` int64, `query` string), `qrels/test-…`
(`query-id`, `corpus-id` int64, `score` int64 or float64 by repo). Pages are tiny
rendered documents with a coloured header; a query asks about its page's title words.
Most queries judge one page; every fourth judges a second page too, and a few pages are
judged by no query.
"""

from __future__ import annotations

from typing import Any

from hubfarm import draw
from hubfarm.common import Context

TOPICS = ("revenue", "energy", "climate", "budget", "safety", "health", "transport", "water")


def write(ctx: Context, schema: dict[str, Any]) -> None:
    from datasets import Features, Image, Value

    rng = ctx.rng("pages")
    n_pages = ctx.rows
    page_ids = [int(x) for x in 1000 + rng.permutation(n_pages * 3)[:n_pages]]
    titles = []
    pages = []
    for j in range(n_pages):
        topic = TOPICS[j % len(TOPICS)]
        colour, _ = draw.concept(j)
        title = f"{colour} {topic} {j}"
        body = f"report on {topic} for {colour} region, figures and tables for year {2000 + j}"
        titles.append((colour, topic, j))
        pages.append(draw.image_cell(draw.page_image(title, body, j, rng), "PNG"))
    repo = ctx.new_repo()
    repo.add(
        "corpus",
        "test",
        {"corpus-id": page_ids, "image": pages},
        Features({"corpus-id": Value("int64"), "image": Image()}),
        files="corpus/test",
    )
    n_queries = n_pages - max(1, n_pages // 8)
    query_ids, texts, rel = [], [], []
    for i in range(n_queries):
        colour, topic, j = titles[i]
        qid = 10 * i + 3
        query_ids.append(qid)
        texts.append(f"what does the {colour} {topic} report say about year {2000 + j}?")
        rel.append((qid, page_ids[i], 1))
        if i % 4 == 3:
            rel.append((qid, page_ids[(i + 1) % n_pages], 1))
    repo.add(
        "queries",
        "test",
        {"query-id": query_ids, "query": texts},
        Features({"query-id": Value("int64"), "query": Value("string")}),
        files="queries/test",
    )
    score_type = schema.get("score", "float64")
    repo.add(
        "qrels",
        "test",
        {
            "query-id": [q for q, _, _ in rel],
            "corpus-id": [d for _, d, _ in rel],
            "score": [float(s) if score_type.startswith("float") else s for _, _, s in rel],
        },
        Features(
            {"query-id": Value("int64"), "corpus-id": Value("int64"), "score": Value(score_type)}
        ),
        files="qrels/test",
    )
    ctx.finish(repo)
