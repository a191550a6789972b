#pragma once
// Batch norm in training mode followed by ReLU (or ReLU6), as one operation: one pass over the feature map to
// gather the batch statistics and one to normalise and clamp; in the backward pass one to reduce and one to
// write the input's gradient, with the activation's mask recomputed from the saved input. LibTorch runs the
// pair as four forward passes (mean, variance, normalise, ReLU) and three backward ones (ReLU's mask, then
// batch norm's reduction and its input gradient), each reading or writing whole feature maps, which weighs on
// a small student's step once the convolutions are fast.

#include <torch/torch.h>

#include <limits>

namespace distillery {

/** Whether fusedBatchNormRelu can run `bn` on `x`: training mode, affine with running statistics, a CPU
 *  tensor in fp32 or bf16, 4-D and dense channels-last, more than one value per channel, and the fusion
 *  enabled. Elsewhere the caller runs the module and a ReLU as before. */
/** On unless DISTILLERY_FUSED_BN_RELU=0 is in the environment (for side-by-side timings) or a test turned it
 *  off. */
bool fusedBatchNormReluEnabled();
void setFusedBatchNormRelu(bool on);

bool fusedBatchNormReluApplies(const torch::nn::BatchNorm2dImpl& bn, const torch::Tensor& x);

/** relu(bn(x)) with bn in training mode, or with `upper` = 6 relu6(bn(x)), with hardtanh's gradient (zero at
 *  0 and 6, in bf16 too, where the unfused graph's clamp also passes it at values that round to 0 or 6): the
 *  same values and gradients (for x, the weight and the bias) as the module followed by torch::relu or
 *  torch::hardtanh, up to rounding, and the same updates of the running mean, the running (unbiased) variance
 *  and num_batches_tracked. Requires fusedBatchNormReluApplies(bn, x). */
torch::Tensor fusedBatchNormRelu(torch::nn::BatchNorm2dImpl& bn, const torch::Tensor& x,
                                 double upper = std::numeric_limits<double>::infinity());

/** Whether fusedBatchNormAddRelu can run: fusedBatchNormReluApplies(bn, x), and `residual` a CPU tensor of
 *  x's sizes, type and (dense channels-last) layout. */
bool fusedBatchNormAddReluApplies(const torch::nn::BatchNorm2dImpl& bn, const torch::Tensor& x,
                                  const torch::Tensor& residual);

/** relu(bn(x) + residual) (or relu6 with `upper` = 6): a residual block's end, where the batch norm's output
 *  is read by the addition alone and the sum by the activation alone. The same values, gradients (x, the
 *  residual, the weight and the bias) and running statistics as the module, the addition and torch::relu (or
 *  hardtanh) up to rounding; the activation's mask is taken from the output, as ReLU's backward takes it.
 *  Two passes forward (statistics; normalise, add and clamp) where the module, the addition and the ReLU make
 *  four or more, and two backward. Requires
 *  fusedBatchNormAddReluApplies(bn, x, residual). */
torch::Tensor fusedBatchNormAddRelu(torch::nn::BatchNorm2dImpl& bn, const torch::Tensor& x,
                                    const torch::Tensor& residual,
                                    double upper = std::numeric_limits<double>::infinity());

}  // namespace distillery
