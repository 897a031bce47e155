"""Ready-made architectures and blocks (Functional-API builders)."""

from brickwork.applications.autoencoders import conv_autoencoder, dense_autoencoder
from brickwork.applications.blocks import inception_block, residual_block
from brickwork.applications.gpt import CharTokenizer, generate, gpt_model
from brickwork.applications.text_encoder import bert_classifier
from brickwork.applications.time_series import fcn, resnet1d, time_series_transformer
from brickwork.applications.translator import greedy_translate, transformer_translator
from brickwork.applications.vision import small_cnn, small_inception, small_resnet

__all__ = ["CharTokenizer", "bert_classifier", "fcn", "generate", "gpt_model", "greedy_translate", "inception_block",
           "residual_block", "resnet1d", "small_cnn", "small_inception", "small_resnet", "time_series_transformer",
           "transformer_translator"]
__all__ += ["conv_autoencoder", "dense_autoencoder"]

from brickwork.applications import imagenet_utils  # noqa: E402
from brickwork.applications.efficientnet_lite import EfficientNetLite0  # noqa: E402
from brickwork.applications.keras_applications import VGG16, MobileNetV2, ResNet50  # noqa: E402

__all__ += ["EfficientNetLite0", "MobileNetV2", "ResNet50", "VGG16", "imagenet_utils"]

from brickwork.applications.unet import unet  # noqa: E402

__all__ += ["unet"]

from brickwork.applications.masked_lm import mask_tokens, masked_lm_model, pretrain_masked_lm  # noqa: E402

__all__ += ["mask_tokens", "masked_lm_model", "pretrain_masked_lm"]
