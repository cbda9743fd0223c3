"""Fine-tune a causal LM with LoRA; the base model comes from the command line."""

import argparse

import torch
from datasets import load_dataset
from peft import LoraConfig, PeftModel, get_peft_model
from transformers import AutoModelForCausalLM, AutoTokenizer, Trainer, TrainingArguments


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model_name_or_path", default="mistralai/Mistral-7B-v0.1")
    parser.add_argument("--revision", default=None)
    parser.add_argument("--output_dir", default="./out")
    parser.add_argument("--resume_adapter", default=None)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    tokenizer = AutoTokenizer.from_pretrained(args.model_name_or_path, revision=args.revision)
    model = AutoModelForCausalLM.from_pretrained(
        args.model_name_or_path, torch_dtype=torch.bfloat16
    )
    if args.resume_adapter:
        model = PeftModel.from_pretrained(model, args.resume_adapter)
    else:
        model = get_peft_model(model, LoraConfig(r=16, lora_alpha=32))
    data = load_dataset("tatsu-lab/alpaca", split="train")
    trainer = Trainer(model=model, args=TrainingArguments(args.output_dir), train_dataset=data)
    trainer.train()
    model.save_pretrained(args.output_dir)
    AutoTokenizer.from_pretrained(args.output_dir)


if __name__ == "__main__":
    main()
