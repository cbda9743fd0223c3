import urllib2
from transformers import AutoModel

print "loading"
model = AutoModel.from_pretrained("bert-base-uncased")
