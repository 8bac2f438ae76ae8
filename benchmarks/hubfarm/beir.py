"""BEIR-style retrieval / multiple-choice repos: configs `corpus`, `query`, `qrels`.

The MIEB copies of M-BEIR (MRBench), JamieSJS, isaacchung and gowitheflow repos all use
configs `corpus` (split `corpus`), `query` (split `test`) and `qrels` (split `test`), never
`queries` / `default`; the loaders reach them through their fallbacks. Styles:

* `root`: `corpus-00000-of-00001.parquet`, `query-…`, `qrels-…` at the repo root;
* `folders`: `corpus/corpus-…`, `query/test-…`, `qrels/test-…`;
* `forb`: corpus/ and query/ folders, the qrels file at the root.

Columns: corpus `id`, `modality`, then `text` / `image` (both always with `all_columns`,
the M-BEIR layout, with nulls where a row lacks the modality; else only the modalities
the task encodes), query likewise, qrels `query-id`, (`Q0`,) `corpus-id`, `score`
(int8 unless the table says otherwise).

Relevance (table key `relevance`):

* `pair`: query i is about concept c_i and judges `per_query` documents of c_i relevant;
  the corpus adds distractors;
* `class`: documents belong to classes; a query judges every document of its class
  (`self_in_corpus`: the queries are the corpus items themselves, same ids, and a query
  does not judge itself, the skip-first-result tasks); `judge_all` adds score-0 judgments
  for every other document (r-Oxford / r-Paris);
* `choice`: each query judges `choices` documents, one relevant (score 1), the others 0
  (multiple choice candidates);
* `pool`: the corpus is a small pool of answer texts; each query judges
  `pool_candidates` of them, its answer with score 1.
"""

from __future__ import annotations

from typing import Any

from hubfarm import draw
from hubfarm.common import Context


def write(ctx: Context, schema: dict[str, Any]) -> None:
    qmods, cmods = ctx.modalities("query"), ctx.modalities("corpus")
    rng = ctx.rng("content")
    relevance = schema["relevance"]
    if relevance == "pair":
        corpus, queries, qrels = _pairs(ctx, rng, int(schema.get("per_query", 1)))
    elif relevance == "class":
        corpus, queries, qrels = _classes(ctx, rng, schema, qmods)
    elif relevance == "choice":
        corpus, queries, qrels = _choices(ctx, rng, int(schema.get("choices", 2)))
    elif relevance == "pool":
        corpus, queries, qrels = _pool(ctx, rng, int(schema.get("pool_candidates", 1)))
    else:  # pragma: no cover - table error
        raise ValueError(f"{ctx.repo}: unknown relevance {relevance!r}")
    side_text = {"query": _query_text(ctx), "corpus": _doc_text(ctx)}
    repo = ctx.new_repo()
    style = schema.get("style", "root")
    layout = {
        "root": {"corpus": "corpus", "query": "query", "qrels": "qrels"},
        "folders": {"corpus": "corpus/corpus", "query": "query/test", "qrels": "qrels/test"},
        "forb": {"corpus": "corpus/corpus", "query": "query/test", "qrels": "qrels"},
    }[style]
    images: dict[str, Any] = {}
    for config, items, mods in (("corpus", corpus, cmods), ("query", queries, qmods)):
        columns, feats = _side_table(ctx, rng, schema, items, mods, side_text[config], images)
        split = "corpus" if config == "corpus" else "test"
        repo.add(config, split, columns, feats, files=layout[config])
    repo.add("qrels", "test", *_qrels_table(schema, qrels), files=layout["qrels"])
    ctx.finish(repo)


# -- relevance structures: items are dicts {id, concept, kind}; qrels (qid, did, score) ----


def _pairs(ctx: Context, rng, per_query: int):
    n_q = ctx.rows
    concepts = rng.permutation(draw.N_CONCEPTS * 4)[:n_q] % draw.N_CONCEPTS
    corpus, queries, qrels = [], [], []
    for i, c in enumerate(concepts):
        qid = f"q{i}"
        queries.append({"id": qid, "concept": int(c)})
        for k in range(per_query):
            did = f"c{i}_{k}"
            corpus.append({"id": did, "concept": int(c), "variant": k})
            qrels.append((qid, did, 1))
    for j in range(max(2, n_q // 2)):
        corpus.append({"id": f"d{j}", "concept": int(rng.integers(0, draw.N_CONCEPTS))})
    order = rng.permutation(len(corpus))
    return [corpus[i] for i in order], queries, qrels


def _classes(ctx: Context, rng, schema: dict[str, Any], qmods: tuple[str, ...]):
    n_classes = max(3, min(draw.N_CONCEPTS, ctx.rows // 6))
    corpus = [{"id": str(j), "concept": j % n_classes} for j in range(ctx.rows)]
    rng.shuffle(corpus)
    if schema.get("self_in_corpus"):
        queries = [dict(item) for item in corpus]
    elif qmods == ("text",):  # one text query per class (TU-Berlin: class names)
        queries = [{"id": f"q{k}", "concept": k} for k in range(n_classes)]
    else:
        n_q = max(n_classes, ctx.rows // 3)
        queries = [{"id": f"q{i}", "concept": i % n_classes} for i in range(n_q)]
    qrels = []
    for q in queries:
        for d in corpus:
            if d["id"] == q["id"]:
                continue
            if d["concept"] == q["concept"]:
                qrels.append((q["id"], d["id"], 1))
            elif schema.get("judge_all"):
                qrels.append((q["id"], d["id"], 0))
    return corpus, queries, qrels


def _choices(ctx: Context, rng, choices: int):
    corpus, queries, qrels = [], [], []
    for i in range(ctx.rows):
        c = int(rng.integers(0, draw.N_CONCEPTS))
        qid = f"q{i}"
        queries.append({"id": qid, "concept": c})
        options = [
            c,
            *(
                (c + 1 + int(rng.integers(0, draw.N_CONCEPTS - 1))) % draw.N_CONCEPTS
                for _ in range(choices - 1)
            ),
        ]
        for k, option in enumerate(options):
            did = f"c{i}_{k}"
            corpus.append({"id": did, "concept": option})
            qrels.append((qid, did, 1 if k == 0 else 0))
    return corpus, queries, qrels


def _pool(ctx: Context, rng, candidates: int):
    answers = list(draw.COLOUR_NAMES)
    corpus = [{"id": f"a{k}", "concept": k, "answer": name} for k, name in enumerate(answers)]
    queries, qrels = [], []
    for i in range(ctx.rows):
        c = int(rng.integers(0, draw.N_CONCEPTS))
        right = c % len(answers)
        qid = f"q{i}"
        queries.append({"id": qid, "concept": c})
        others = [k for k in rng.permutation(len(answers)) if k != right][: candidates - 1]
        for k in [right, *others]:
            qrels.append((qid, f"a{k}", 1 if k == right else 0))
    return corpus, queries, qrels


# -- tables -----------------------------------------------------------------------------


def _query_text(ctx: Context):
    category = ctx.tasks[0].category if ctx.tasks else ""
    if category.startswith("it2"):
        if category in ("it2i",):
            return lambda item: f"find a picture of the same {draw.concept_words(item['concept'])}"
        return lambda item: f"what is the {draw.concept(item['concept'])[1]} in this picture?"
    return lambda item: f"a photo of a {draw.concept_words(item['concept'])}"


def _doc_text(ctx: Context):
    def text(item: dict[str, Any]) -> str:
        if "answer" in item:
            return item["answer"]
        variant = item.get("variant", 0)
        lead = ("a", "one", "the")[variant % 3]
        return f"{lead} {draw.concept_words(item['concept'])} on a grey background"

    return text


def _side_table(ctx: Context, rng, schema, items, mods, text_of, images):
    """One config's columns; `images` (id -> cell) is shared by both sides, so in a
    self-in-corpus repo a query's image is its corpus twin's bytes."""
    from datasets import Image, Value

    string = Value("string")
    with_text = schema.get("all_columns") or "text" in mods
    with_image = schema.get("all_columns") or "image" in mods
    feats: dict[str, Any] = {"id": string, "modality": string}
    columns: dict[str, list[Any]] = {"id": [], "modality": []}
    if with_text:
        feats["text"] = Value("null") if schema.get("text_null") else string
        columns["text"] = []
    if with_image:
        feats["image"] = Image()
        columns["image"] = []
    for item in items:
        columns["id"].append(item["id"])
        present = [m for m in ("image", "text") if m in mods]
        if "answer" in item:
            present = ["text"]
        columns["modality"].append(",".join(present))
        if with_text:
            use = "text" in present and not schema.get("text_null")
            columns["text"].append(text_of(item) if use else None)
        if with_image:
            if "image" in present:
                key = item["id"]
                if key not in images:
                    picture = draw.concept_image(item["concept"], rng, size=ctx.image_size)
                    images[key] = draw.image_cell(picture, "JPEG")
                columns["image"].append(images[key])
            else:
                columns["image"].append(None)
    from datasets import Features

    return columns, Features(feats)


def _qrels_table(schema: dict[str, Any], qrels):
    from datasets import Features, Value

    string = Value("string")
    feats: dict[str, Any] = {"query-id": string}
    columns: dict[str, list[Any]] = {"query-id": [q for q, _, _ in qrels]}
    if schema.get("q0"):
        feats["Q0"] = string
        columns["Q0"] = ["Q0"] * len(qrels)
    feats["corpus-id"] = string
    feats["score"] = Value(schema.get("score", "int8"))
    columns["corpus-id"] = [d for _, d, _ in qrels]
    columns["score"] = [s for _, _, s in qrels]
    return columns, Features(feats)
