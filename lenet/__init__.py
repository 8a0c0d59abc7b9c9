"""LeNet-5 Studio's engine: data, models, training, runs, preprocessing and inference. It never imports streamlit."""

import os

# TensorFlow prints pages of start-up notices (CUDA probing, CPU flags); keep warnings and errors only.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
