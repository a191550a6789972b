#pragma once
// Channels-last (NHWC) tensors with exact strides, also where a dimension of size 1 makes the layout
// ambiguous.

#include <torch/types.h>

namespace distillery {

/** `t` with channels-last strides, copied only when its strides are not already exactly channels-last. Unlike
 *  Tensor::contiguous(ChannelsLast), this also restrides a one-channel batch [N, 1, H, W] or a
 * one-input-channel weight [C, 1, k, k] (a grey-scale stem, a depthwise convolution): those are already
 * "contiguous" in both formats, so contiguous() keeps their NCHW strides and the convolution that reads them
 * picks NCHW for its output; everything up to the next convolution then runs in NCHW, and the backward pass
 * mixes layouts. */
torch::Tensor exactChannelsLast(const torch::Tensor& t);

}  // namespace distillery
