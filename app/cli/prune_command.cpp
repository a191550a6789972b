// distillery-cli prune: structured pruning of a trained model to a parameter or MAC budget.

#include <algorithm>
#include <climits>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "app/cli/arguments.h"
#include "app/cli/commands.h"
#include "core/format.h"
#include "core/prune.h"

namespace distillery::cli {

std::string pruneUsage() {
    return "usage: distillery-cli prune SOURCE --out FILE.pt --budget params=SHARE|macs=SHARE\n"
           "                            [--criterion bn|l1] [--scope global|layer] [--min-keep SHARE]\n"
           "                            [--checkpoint best|last] [--data RECIPE [--calib-batches N]\n"
           "                            [--subset N] [--threads N]] [--json]\n"
           "\n"
           "Removes whole channels of a trained fp32 model (a run folder's best or last checkpoint, or a\n"
           "checkpoint file) until it fits the budget, and writes the smaller model with its own structure "
           "to\n"
           "FILE.pt. Channels that are added together (a residual stream) go together; a removed channel's\n"
           "batch norm, depthwise filter and every consumer's input slice go with it. Recover the accuracy "
           "by\n"
           "training it, best by distilling from the unpruned model: a recipe with model: {checkpoint: "
           "FILE.pt}\n"
           "and the unpruned run as teacher (docs/PRUNING.md).\n"
           "  --budget       params= or macs=, a share of the unpruned model (50%, 0.5) or a count (120k, "
           "3.5M)\n"
           "  --criterion    bn: |gamma| of the channel's batch norms (default; L1 where a channel has "
           "none);\n"
           "                 l1: mean |weight| of the channel's filters\n"
           "  --scope        global: one ranking over every layer (default); layer: the same share of each\n"
           "  --min-keep     the least share of its channels a layer keeps (default 0.1, at least one)\n"
           "  --data RECIPE  the data the model was trained on (a recipe file or a shipped recipe's name):\n"
           "                 evaluate the model before and after pruning on its validation split (--subset "
           "N:\n"
           "                 the first N samples), and re-estimate the pruned model's batch-norm statistics\n"
           "                 on --calib-batches train batches (default 20; 0: keep them) before saving it\n";
}

int runPrune(const std::vector<std::string>& args) {
    Arguments a("prune", args, {"--json"},
                {"--out", "--budget", "--criterion", "--scope", "--min-keep", "--checkpoint", "--data",
                 "--calib-batches", "--subset", "--threads"});
    PruneOptions o;
    o.source = a.positionals({"SOURCE"})[0];
    o.output = a.required("--out", "FILE.pt");
    o.budget = parsePruneBudget(a.required("--budget", "params=SHARE or macs=SHARE"));
    o.criterion = a.choice("--criterion", "bn", {"bn", "l1"});
    o.scope = a.choice("--scope", "global", {"global", "layer"});
    o.minKeep = a.number("--min-keep", 0.1);
    if (!(o.minKeep > 0.0 && o.minKeep <= 1.0)) throw a.error("--min-keep expects a share in (0, 1]");
    o.which = checkpointFrom(a.value("--checkpoint").value_or("best"), "--checkpoint");
    if (auto data = a.value("--data")) o.dataRecipe = recipeArgument(*data);
    for (const char* needsData : {"--calib-batches", "--subset"})
        if (a.has(needsData) && o.dataRecipe.empty())
            throw a.error(std::string(needsData) + " needs --data RECIPE (the data to use)");
    o.calibrationBatches = static_cast<int>(a.integer("--calib-batches", 20, 0, 100000));
    o.subset = static_cast<int>(a.integer("--subset", 0, 0, INT_MAX));
    o.threads = static_cast<int>(a.integer("--threads", 0, 0, INT_MAX));
    const PruneResult r = pruneCheckpoint(o);

    if (a.has("--json")) {
        nlohmann::json groups = nlohmann::json::array();
        for (const auto& g : r.groups)
            groups.push_back({{"layers", g.layers},
                              {"channels", g.channels},
                              {"kept", g.kept},
                              {"criterion", g.criterion}});
        nlohmann::json j = {{"output", r.output},
                            {"arch", r.arch},
                            {"params_before", r.paramsBefore},
                            {"params_after", r.paramsAfter},
                            {"macs_before", r.macsBefore},
                            {"macs_after", r.macsAfter},
                            {"groups", groups},
                            {"fixed", r.fixed}};
        if (!r.metric.empty())
            j["metric"] = {{"name", r.metric},
                           {"unpruned", r.metricBefore},
                           {"pruned", r.metricPruned},
                           {"recalibrated", r.metricRecalibrated}};
        std::printf("%s\n", j.dump(2).c_str());
        return 0;
    }
    size_t width = 6;
    std::vector<std::string> names;
    for (const auto& g : r.groups) {
        std::string name = g.layers.front();
        if (g.layers.size() > 1) name += " +" + std::to_string(g.layers.size() - 1) + " added";
        width = std::max(width, name.size());
        names.push_back(name);
    }
    std::printf("%-*s  %8s  %6s  %6s  %s\n", static_cast<int>(width), "layers", "channels", "kept", "share",
                "ranked by");
    for (size_t i = 0; i < r.groups.size(); ++i) {
        const auto& g = r.groups[i];
        std::printf("%-*s  %8lld  %6lld  %5.0f%%  %s\n", static_cast<int>(width), names[i].c_str(),
                    static_cast<long long>(g.channels), static_cast<long long>(g.kept),
                    100.0 * static_cast<double>(g.kept) / static_cast<double>(g.channels),
                    g.criterion.c_str());
    }
    if (!r.fixed.empty()) {
        std::printf("\nkept whole:\n");
        for (const auto& f : r.fixed)
            std::printf("  %s\n", f.c_str());
    }
    auto share = [](int64_t after, int64_t before) {
        return before > 0 ? 100.0 * static_cast<double>(after) / static_cast<double>(before) : 0.0;
    };
    std::printf("\nparams: %s -> %s (%.1f %%)\nMACs:   %s -> %s (%.1f %%)\n",
                countText(r.paramsBefore).c_str(), countText(r.paramsAfter).c_str(),
                share(r.paramsAfter, r.paramsBefore), countText(r.macsBefore).c_str(),
                countText(r.macsAfter).c_str(), share(r.macsAfter, r.macsBefore));
    if (!r.metric.empty()) {
        std::printf("%s:    %.2f unpruned, %.2f pruned", r.metric.c_str(), r.metricBefore, r.metricPruned);
        if (r.metricRecalibrated >= 0)
            std::printf(", %.2f after re-estimating batch-norm statistics", r.metricRecalibrated);
        std::printf("\n");
    }
    std::printf("wrote %s (%s); train it with model: {checkpoint: %s}\n", r.output.c_str(), r.arch.c_str(),
                r.output.c_str());
    return 0;
}

}  // namespace distillery::cli
