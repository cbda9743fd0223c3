"""chatbot: a small inference service (the demo's application; mlsc reads it, never runs it).

    uvicorn app:api --port 8000
"""

from __future__ import annotations

from fastapi import FastAPI
from pydantic import BaseModel
from transformers import AutoModelForCausalLM, AutoTokenizer, pipeline

# The chat model is pinned to a commit: a later push to the repository does not reach us.
CHAT_MODEL = "lumen-lab/Evo-8B-g07"
CHAT_REVISION = "4f6b2c1d9e8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c"

tokenizer = AutoTokenizer.from_pretrained(CHAT_MODEL, revision=CHAT_REVISION)
model = AutoModelForCausalLM.from_pretrained(CHAT_MODEL, revision=CHAT_REVISION)

# The moderation model follows main: whatever is pushed next is what we load.
moderation = pipeline("text-generation", model="meta-llama/Llama-3.1-8B-Instruct")

api = FastAPI(title="chatbot")


class Prompt(BaseModel):
    text: str
    max_new_tokens: int = 128


@api.post("/chat")
def chat(prompt: Prompt) -> dict[str, str]:
    verdict = moderation(f"Is this safe to answer? {prompt.text}", max_new_tokens=4)
    if "no" in verdict[0]["generated_text"][-4:].lower():
        return {"reply": "I can't help with that."}
    inputs = tokenizer(prompt.text, return_tensors="pt")
    output = model.generate(**inputs, max_new_tokens=prompt.max_new_tokens)
    return {"reply": tokenizer.decode(output[0], skip_special_tokens=True)}
