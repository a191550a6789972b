#pragma once
// The graph analysis and surgery behind structured pruning (core/prune.h), exposed for tests.

#include <torch/torch.h>

#include <string>
#include <vector>

#include "core/internal/graph_net.h"

namespace distillery {

/** A set of channels that are removed together (see PrunedGroup). */
struct ChannelGroup {
    int64_t channels = 0;
    std::vector<int> producers;   // convs (groups 1) whose output channels these are
    std::vector<int> batchNorms;  // batch norms over these channels
    std::vector<int> depthwise;   // depthwise convs over these channels
    bool prunable = true;
    std::string fixedBecause;  // why not, when not
};

struct ChannelAnalysis {
    std::vector<ChannelGroup> groups;
    /** For every node, the groups its output channels are, in channel order (each group whole). */
    std::vector<std::vector<int>> nodeGroups;
};

/** Traces which channels must be removed together. `values` are the node outputs of one forward pass
 *  (GraphNetImpl::runAll), used for spatial sizes. Ops that mix channels in ways the pruner does not
 *  follow (reshape, softmax over channels, constants broadcast per channel, ...) fix the channels they read.
 */
ChannelAnalysis analyzeChannels(const GraphNetImpl& net, const std::vector<torch::Tensor>& values);

/** Each group's channel scores (higher = more important): mean |γ| of its batch norms ("bn"; "l1" where it
 *  has none, reported in `used`), or the mean absolute weight of its producers' filters ("l1"). */
std::vector<torch::Tensor> channelScores(GraphNetImpl& net, const ChannelAnalysis& analysis,
                                         const std::string& criterion,
                                         std::vector<std::string>* used = nullptr);

/** Parameters and MACs (as measureModel counts them) of the model with `kept[g]` channels in group g. */
std::pair<int64_t, int64_t> prunedCost(const GraphNetImpl& net, const ChannelAnalysis& analysis,
                                       const std::vector<torch::Tensor>& values,
                                       const std::vector<int64_t>& kept);

/** A copy of `net` keeping, in group g, the channels `keep[g]` (sorted indices; all of them for groups that
 *  are not prunable), with the weights sliced accordingly. In eval mode. */
GraphNet prunedCopy(GraphNetImpl& net, const ChannelAnalysis& analysis,
                    const std::vector<std::vector<int64_t>>& keep);

}  // namespace distillery
