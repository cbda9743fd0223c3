"""Every model pinned to a commit: a push to the model cannot reach this service."""

from huggingface_hub import hf_hub_download
from transformers import AutoModelForCausalLM, AutoTokenizer

MODEL = "Qwen/Qwen2.5-0.5B-Instruct"
MODEL_REVISION = "7ae557604adf67be50417f59c2c2f167def9a775"

tokenizer = AutoTokenizer.from_pretrained(MODEL, revision=MODEL_REVISION)
model = AutoModelForCausalLM.from_pretrained(
    MODEL,
    revision="7ae557604adf67be50417f59c2c2f167def9a775",
    trust_remote_code=False,
)
config = hf_hub_download(
    repo_id="Qwen/Qwen2.5-0.5B-Instruct",
    filename="config.json",
    revision="7ae557604adf67be50417f59c2c2f167def9a775",
)
