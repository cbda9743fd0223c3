import open_clip
import timm
import torch

backbone = timm.create_model("resnet50", pretrained=True)
vit = timm.create_model("hf-hub:timm/vit_base_patch16_224.augreg2_in21k_ft_in1k", pretrained=True)
model, _, preprocess = open_clip.create_model_and_transforms(
    "hf-hub:laion/CLIP-ViT-B-32-laion2B-s34B-b79K"
)
tokenizer = open_clip.get_tokenizer("hf-hub:laion/CLIP-ViT-B-32-laion2B-s34B-b79K")
convnext = timm.create_model("convnext_tiny")
with torch.no_grad():
    features = vit(torch.zeros(1, 3, 224, 224))
