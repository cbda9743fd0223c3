import torch

yolo = torch.hub.load("ultralytics/yolov5", "yolov5s", pretrained=True)
resnet = torch.hub.load("pytorch/vision:v0.10.0", "resnet18", weights="IMAGENET1K_V1")
local = torch.hub.load("./hubconf_dir", "custom", source="local")
dino = torch.hub.load(repo_or_dir="facebookresearch/dinov2", model="dinov2_vits14")
