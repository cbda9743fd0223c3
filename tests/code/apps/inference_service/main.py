"""A small FastAPI inference service: sentiment and summarisation."""

import os

from fastapi import FastAPI
from pydantic import BaseModel
from transformers import AutoModelForSequenceClassification, AutoTokenizer, pipeline

SENTIMENT_MODEL = "distilbert/distilbert-base-uncased-finetuned-sst-2-english"
SUMMARY_MODEL = os.environ.get("SUMMARY_MODEL", "facebook/bart-large-cnn")

app = FastAPI(title="inference")

tokenizer = AutoTokenizer.from_pretrained(SENTIMENT_MODEL)
model = AutoModelForSequenceClassification.from_pretrained(SENTIMENT_MODEL)
classifier = pipeline("sentiment-analysis", model=model, tokenizer=tokenizer)
summarizer = pipeline(
    "summarization",
    model=SUMMARY_MODEL,
)
ner = pipeline("ner", "dslim/bert-base-NER", aggregation_strategy="simple")


class Text(BaseModel):
    text: str


@app.post("/sentiment")
def sentiment(body: Text) -> dict:
    return classifier(body.text)[0]


@app.post("/summary")
def summary(body: Text) -> dict:
    return summarizer(body.text, max_length=120)[0]
