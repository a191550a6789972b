#pragma once
// Channel distributions (docs/METHODS.md §5c): each channel's activations across a batch of samples, teacher
// beside student (the student as the loss sees it, after its term's adapter and resize), and the spatial
// softmax distributions CWD compares. Computed from a run folder's checkpoint. No torch.

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/types.h"

namespace distillery {

struct ChannelDistribution {
    int64_t channel = 0;
    /** Activations over every sample and position, on bins shared by teacher and student over [lo, hi]:
     *  the fraction of values in each bin (each histogram sums to 1). */
    double lo = 0.0, hi = 0.0;
    std::vector<double> teacherHistogram, studentHistogram;
    double teacherMean = 0.0, teacherStd = 0.0, studentMean = 0.0, studentStd = 0.0;
    /** Quantiles 5, 25, 50, 75 and 95 % (box or violin plots). */
    std::array<double, 5> teacherQuantiles{}, studentQuantiles{};
    /** mean over the samples of KL(softmax_HW(t/τ) ‖ softmax_HW(s/τ)): CWD's term for this channel / τ². */
    double kl = 0.0;
    /** softmax_HW(x/τ) averaged over the samples, row-major H×W. */
    std::vector<float> teacherSoftmax, studentSoftmax;
};

struct DistributionRequest {
    std::string runDir;
    std::string teacherTap;  // empty: the student alone (a train run); then no KL and no teacher columns
    std::string studentTap;
    int64_t samples = 64;  // the first N samples of the split
    int bins = 32;
    double tau = 1.0;
    Split split = Split::Val;
    CheckpointChoice checkpoint = CheckpointChoice::Best;
};

struct ChannelDistributions {
    std::string teacherTap, studentTap;
    int64_t samples = 0;
    int64_t height = 0, width = 0;
    double tau = 1.0;
    bool withTeacher = false;
    std::vector<ChannelDistribution> channels;  // channel order; min(C_T, C_S) channels with a teacher
};

/** Throws Error for a bad request (unknown tap, a run without a checkpoint, samples < 1, bins < 2). */
ChannelDistributions channelDistributions(const DistributionRequest& request);

}  // namespace distillery
