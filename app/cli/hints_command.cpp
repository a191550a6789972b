// distillery-cli suggest-hints: clustering-based hint selection on a recipe's teacher.

#include <algorithm>
#include <climits>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "app/cli/arguments.h"
#include "app/cli/commands.h"
#include "core/hints.h"
#include "core/imaging.h"
#include "core/recipe.h"

namespace distillery::cli {

std::string hintsUsage() {
    return "usage: distillery-cli suggest-hints RECIPE [--clusters K] [--samples N] [--metrics M[,M...]]\n"
           "                                    [--method fitnet|at|cwd|nst|sp|vid|ft] [--write FILE.yaml]\n"
           "                                    [--threads N] [--json]\n"
           "\n"
           "Where to distil: measures every spatial layer of the recipe's teacher on N training samples\n"
           "(default 256), compares the layers pairwise with linear CKA, RBF CKA and RSA (the correlation "
           "of\n"
           "their distance matrices), clusters them into K groups (default 3; k-medoids on 1 - the mean\n"
           "similarity) and proposes each cluster's centre as a hint point, paired with the student layer "
           "at\n"
           "the same relative depth and resolution.\n"
           "  --metrics    the similarity metrics averaged (default linear_cka,rbf_cka,rsa)\n"
           "  --method     the feature term the hints are for (default: the recipe's first such term, else\n"
           "               fitnet); --write saves the recipe with that method's terms replaced by one per "
           "hint\n";
}

int runSuggestHints(const std::vector<std::string>& args) {
    Arguments a("suggest-hints", args, {"--json"},
                {"--clusters", "--samples", "--metrics", "--method", "--write", "--threads"});
    const std::string path = recipeArgument(a.positionals({"RECIPE"})[0]);
    const Recipe recipe = loadRecipe(path);
    HintOptions o;
    o.clusters = static_cast<int>(a.integer("--clusters", 3, 1, 64));
    o.samples = static_cast<int>(a.integer("--samples", 256, 8, 100000));
    o.threads = static_cast<int>(a.integer("--threads", 0, 0, INT_MAX));
    if (auto m = a.value("--metrics")) {
        o.metrics.clear();
        size_t start = 0;
        while (start <= m->size()) {
            const size_t comma = m->find(',', start);
            const std::string item =
                m->substr(start, comma == std::string::npos ? std::string::npos : comma - start);
            if (!item.empty()) o.metrics.push_back(item);
            if (comma == std::string::npos) break;
            start = comma + 1;
        }
        const auto allowed = hintMetricNames();
        for (const auto& item : o.metrics)
            if (std::find(allowed.begin(), allowed.end(), item) == allowed.end())
                throw a.error("--metrics: unknown metric '" + item + "' (allowed: linear_cka, rbf_cka, rsa)");
    }
    // The method the hints are for: as given, or the recipe's first single-map feature term, or fitnet.
    LossMethod method = hintMethodOf(recipe.losses);
    if (auto m = a.value("--method"))
        if (!parseMethod(*m, method)) throw a.error("--method: unknown method '" + *m + "'");
    const HintSuggestion s = suggestHints(recipe, o);
    Recipe hinted = recipe;
    hinted.losses = applyHints(recipe.losses, s, method);

    if (a.has("--json")) {
        nlohmann::json layers = nlohmann::json::array();
        for (size_t i = 0; i < s.layers.size(); ++i)
            layers.push_back({{"tap", s.layers[i]},
                              {"shape", s.shapes[i]},
                              {"cluster", s.cluster[i]},
                              {"centre", std::find(s.centres.begin(), s.centres.end(), static_cast<int>(i)) !=
                                             s.centres.end()}});
        nlohmann::json similarity = nlohmann::json::object();
        for (size_t m = 0; m < s.metrics.size(); ++m)
            similarity[s.metrics[m]] = s.similarity[m];
        nlohmann::json pairs = nlohmann::json::array();
        for (const auto& [t, st] : s.pairs)
            pairs.push_back({{"teacher_tap", t}, {"student_tap", st}});
        const nlohmann::json j = {{"layers", layers},
                                  {"metrics", s.metrics},
                                  {"similarity", similarity},
                                  {"combined", s.combined},
                                  {"hints", pairs},
                                  {"method", methodName(method)},
                                  {"student_layers", s.studentLayers}};
        std::printf("%s\n", j.dump(2).c_str());
    } else {
        std::printf("teacher layers on %d samples (similarity: mean of %zu metrics)\n", o.samples,
                    s.metrics.size());
        std::printf("%3s  %-16s  %-12s  %7s  %s\n", "#", "tap", "shape", "cluster",
                    "similarity to its centre");
        for (size_t i = 0; i < s.layers.size(); ++i) {
            const auto& sh = s.shapes[i];
            const std::string shape =
                std::to_string(sh[0]) + "x" + std::to_string(sh[1]) + "x" + std::to_string(sh[2]);
            const int centre = s.centres[s.cluster[i]];
            std::printf("%3zu  %-16s  %-12s  %7d  %.3f%s\n", i, s.layers[i].c_str(), shape.c_str(),
                        s.cluster[i] + 1, s.combined[i][centre],
                        centre == static_cast<int>(i) ? "  <- centre" : "");
        }
        std::printf("\nhint points for %s:\n", methodName(method));
        for (const auto& [t, st] : s.pairs)
            std::printf("  teacher %-16s -> student %s\n", t.c_str(), st.c_str());
    }
    if (auto out = a.value("--write")) {
        writeFileAtomically(*out, recipeToYaml(hinted));
        std::fflush(stdout);
        std::fprintf(stderr, "wrote %s\n", out->c_str());
    }
    return 0;
}

}  // namespace distillery::cli
