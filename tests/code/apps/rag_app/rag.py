"""Retrieval-augmented generation over a folder of documents."""

from pathlib import Path

import yaml
from huggingface_hub import hf_hub_download, snapshot_download
from sentence_transformers import CrossEncoder, SentenceTransformer
from sentence_transformers import util as st_util

CONFIG = yaml.safe_load(Path(__file__).with_name("config.yaml").read_text())
EMBEDDER = "all-MiniLM-L6-v2"

embedder = SentenceTransformer(EMBEDDER)
reranker = CrossEncoder("cross-encoder/ms-marco-MiniLM-L-6-v2", max_length=512)
generator_dir = snapshot_download(repo_id=CONFIG["generator"]["model_name_or_path"])
gguf = hf_hub_download("TheBloke/Mistral-7B-Instruct-v0.2-GGUF", "mistral-7b-instruct-v0.2.Q4_K_M.gguf")
corpus = hf_hub_download(repo_id="squad", filename="train.json", repo_type="dataset")


def search(query: str, documents: list[str]) -> list[str]:
    hits = st_util.semantic_search(embedder.encode(query), embedder.encode(documents))[0]
    pairs = [(query, documents[hit["corpus_id"]]) for hit in hits]
    scores = reranker.predict(pairs)
    return [doc for _, doc in sorted(zip(scores, [p[1] for p in pairs]), reverse=True)]
