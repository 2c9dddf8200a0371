"""Sample quality without the internet: a MindSpore digit classifier, FID in a feature space, KL, confidence.

fid.py       numpy statistics (FID with an eigh-based matrix square root, class histogram, KL)
classifier.py  the LeNet-style digit classifier: training, cache, features + probabilities
randfeat.py  a fixed random conv net: the feature space for image folders (no pretrained weights offline)
inputs.py    reading samples (.npy, image folders) and real reference images into [0, 1] arrays
discriminator.py  D accuracy on real and fake (the conv GAN tutorial's evaluation), an epoch hook
report.py    one evaluation (digits or images) as a dict, the printed table, the per-epoch training hook
"""
