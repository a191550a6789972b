#include "core/internal/inference.h"

#include <ATen/Context.h>

namespace distillery {

bool inferenceAccelerationAvailable(const torch::Device& device) {
    return device.is_cpu() && at::hasMKLDNN();
}

InferenceRunner::InferenceRunner(GraphNet net, bool bf16) : mNet(std::move(net)), mBf16(bf16) {
    torch::NoGradGuard noGrad;
    const auto& nodes = mNet->nodes();
    const int count = static_cast<int>(nodes.size());
    mFoldedBn.assign(count, 0);
    mLastUse.assign(count, -1);
    for (int i = 0; i < count; ++i)
        for (int in : nodes[i].inputs)
            mLastUse[in] = i;
    const auto params = mNet->parameters();
    const bool cpuFloat = params.empty() || (params.front().device().is_cpu() &&
                                             params.front().scalar_type() == torch::kFloat32);
    if (!inferenceAccelerationAvailable(torch::kCPU) || !cpuFloat || mNet->isQuantized()) return;

    // conv node → the batch norm that may be folded into its packed weights (none after a tapped conv).
    std::vector<int> bnAfter(count, -1);
    const std::vector<int> into = mNet->batchNormFoldTargets(/*keepTaps=*/true);
    for (int j = 0; j < count; ++j)
        if (into[j] >= 0 && !nodes[j].folded) bnAfter[into[j]] = j;
    for (int i = 0; i < count; ++i) {
        const GraphNode& n = nodes[i];
        if (n.op != OpKind::Conv || !n.symmetricPads()) continue;
        auto w = mNet->layerWeight(i).detach().contiguous();
        auto b = mNet->layerBias(i);
        b = b.defined() ? b.detach().clone() : torch::zeros({w.size(0)});
        // Fold its batch norm into the packed weights (exact in eval mode).
        if (const int j = bnAfter[i]; j >= 0) {
            auto& bn = mNet->bnModule(j);
            auto factor = torch::rsqrt(bn->running_var + bn->options.eps());
            if (bn->options.affine()) factor = factor * bn->weight;
            w = w * factor.view({-1, 1, 1, 1});
            b = (b - bn->running_mean) * factor;
            if (bn->options.affine()) b = b + bn->bias;
            mFoldedBn[j] = 1;
        }
        Packed p;
        p.padding = {n.pads[0], n.pads[1]};
        p.stride = {n.stride[0], n.stride[1]};
        p.dilation = {n.dilation[0], n.dilation[1]};
        p.groups = n.groups;
        const auto packType = mBf16 ? torch::kBFloat16 : torch::kFloat32;
        p.weight = at::mkldnn_reorder_conv2d_weight(w.to(packType).contiguous().to_mkldnn(), p.padding,
                                                    p.stride, p.dilation, p.groups);
        p.bias = b.contiguous();
        mConv.emplace(i, std::move(p));
    }
    mAccelerated = !mConv.empty();
}

GraphNetImpl::Outputs InferenceRunner::run(const torch::Tensor& x, const std::vector<std::string>& taps) {
    torch::NoGradGuard noGrad;
    if (!mAccelerated || !x.device().is_cpu() || x.scalar_type() != torch::kFloat32)
        return mNet->run(x, taps);
    const auto& nodes = mNet->nodes();
    const int count = static_cast<int>(nodes.size());
    std::vector<char> keep(count, 0);
    std::vector<std::pair<std::string, int>> wanted;
    for (const auto& name : taps) {
        wanted.emplace_back(name, mNet->tapNode(name));
        keep[wanted.back().second] = 1;
    }
    const int output = mNet->outputNode();
    keep[output] = 1;

    // v: the value as produced (oneDNN or dense); d: its dense fp32 form, made when a dense op needs it.
    // oneDNN values are bf16 in a bf16 runner; dense ones always fp32.
    std::vector<torch::Tensor> v(count), d(count);
    auto dense = [&](int i) -> const torch::Tensor& {
        if (!d[i].defined()) d[i] = v[i].is_mkldnn() ? v[i].to_dense().to(torch::kFloat32) : v[i];
        return d[i];
    };
    auto onednn = [&](int i) {
        if (v[i].is_mkldnn()) return v[i];
        return mBf16 ? dense(i).to(torch::kBFloat16).contiguous().to_mkldnn()
                     : dense(i).contiguous().to_mkldnn();
    };
    // A oneDNN value read for the last time, by node `at`, held nowhere else (not a tap, not shared with a
    // folded batch norm's node): an op may overwrite it in place, which saves an allocation and a pass.
    auto dies = [&](int in, int at) {
        return mLastUse[in] == at && !keep[in] && v[in].use_count() == 1 && !d[in].defined();
    };
    v[0] = x;
    d[0] = x;
    for (int i = 1; i < count; ++i) {
        const GraphNode& n = nodes[i];
        const int in0 = n.inputs.empty() ? -1 : n.inputs[0];
        auto packed = mConv.find(i);
        if (packed != mConv.end()) {
            const Packed& p = packed->second;
            v[i] = at::mkldnn_convolution(onednn(in0), p.weight, p.bias, p.padding, p.stride, p.dilation,
                                          p.groups);
        } else if (n.op == OpKind::BatchNorm && (n.folded || mFoldedBn[i])) {
            v[i] = v[in0];
            d[i] = d[in0];
        } else if (n.op == OpKind::ReLU && v[in0].is_mkldnn()) {
            v[i] = dies(in0, i) ? at::relu_(v[in0]) : at::relu(v[in0]);
        } else if (n.op == OpKind::Add && v[in0].is_mkldnn() && v[n.inputs[1]].is_mkldnn()) {
            const int in1 = n.inputs[1];
            if (in1 != in0 && dies(in0, i))
                v[i] = v[in0].add_(v[in1]);
            else if (in1 != in0 && dies(in1, i))
                v[i] = v[in1].add_(v[in0]);
            else
                v[i] = v[in0] + v[in1];
        } else if (n.op == OpKind::MaxPool && v[in0].is_mkldnn() && n.symmetricPads() &&
                   2 * n.pads[0] <= n.kernel[0] && 2 * n.pads[1] <= n.kernel[1]) {
            v[i] = at::max_pool2d(v[in0], {n.kernel[0], n.kernel[1]}, {n.stride[0], n.stride[1]},
                                  {n.pads[0], n.pads[1]}, {n.dilation[0], n.dilation[1]}, n.ceilMode);
        } else if (n.op == OpKind::GlobalAvgPool && v[in0].is_mkldnn()) {
            v[i] = at::adaptive_avg_pool2d(v[in0], {1, 1});
        } else {
            for (int in : n.inputs)
                dense(in);
            v[i] = mNet->evalFloat(i, d);
            d[i] = v[i];
        }
        for (int in : n.inputs)
            if (mLastUse[in] == i && !keep[in]) {
                v[in] = torch::Tensor();
                d[in] = torch::Tensor();
            }
    }
    GraphNetImpl::Outputs out;
    out.output = dense(output);
    for (const auto& [name, node] : wanted)
        out.taps[name] = dense(node);
    return out;
}

}  // namespace distillery
