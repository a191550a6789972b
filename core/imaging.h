#pragma once
// Pictures and tables of feature maps for people: PNG grids of channel heat maps and per-channel statistics.

#include <string>
#include <vector>

#include "core/types.h"

namespace distillery {

struct ChannelStats {
    int channel = 0;
    double mean = 0, std = 0, min = 0, max = 0;
    double spatialEntropy = 0;  // entropy of softmax over H*W at tau (nats), CWD's view of the channel
};

std::vector<ChannelStats> channelStatistics(const FeatureMap& map, double tau = 1.0);

/**
 * Renders the channels as a grid of heat-map tiles (each channel min-max normalised), `tileSize` pixels per
 * tile, and writes a PNG atomically. Throws Error when the file cannot be written.
 */
void writeChannelGrid(const FeatureMap& map, const std::string& pngPath, int tileSize = 48);

/** Writes channelStatistics() as CSV (header: channel,mean,std,min,max,spatial_entropy), atomically. */
void writeChannelCsv(const std::vector<ChannelStats>& stats, const std::string& csvPath);

/** Writes text to a temporary file beside `path` and renames it over `path`. Throws Error naming the path. */
void writeFileAtomically(const std::string& path, const std::string& contents);

}  // namespace distillery
