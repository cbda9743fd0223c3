import torch
from diffusers import DiffusionPipeline, StableDiffusionXLPipeline, UNet2DConditionModel

BASE = "stabilityai/stable-diffusion-xl-base-1.0"
REFINER = "stabilityai/stable-diffusion-xl-refiner-1.0"

unet = UNet2DConditionModel.from_pretrained(BASE, subfolder="unet", revision="fp16")
pipe = StableDiffusionXLPipeline.from_pretrained(
    BASE, unet=unet, torch_dtype=torch.float16, variant="fp16", use_safetensors=True
)
pipe.load_lora_weights("nerijs/pixel-art-xl", weight_name="pixel-art-xl.safetensors")
refiner = DiffusionPipeline.from_pretrained(REFINER, text_encoder_2=pipe.text_encoder_2)
local = DiffusionPipeline.from_pretrained("./checkpoints/my-sdxl")
image = pipe("a pixel-art fox").images[0]
image = refiner("a pixel-art fox", image=image).images[0]
image.save("fox.png")
