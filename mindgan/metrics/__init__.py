"""Sample quality without the internet: MindSpore nets trained on the data's labels, FID in their feature space.

fid.py       numpy statistics (FID with an eigh-based matrix square root, class histogram, KL)
classifier.py  the LeNet-style digit classifier: training, cache (shared with featnet), features + probabilities
featnet.py   a small CNN trained on an image folder's class sub-folders (or rotation): its feature space
inputs.py    reading samples (.npy, image folders) and real reference images into [0, 1] arrays
discriminator.py  D accuracy on real and fake (the conv GAN tutorial's evaluation), an epoch hook
report.py    one evaluation (digits or images) as a dict, the printed table, the per-epoch training hook
"""
